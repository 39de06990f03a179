#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { applyRulePacks } from '@secure-api/cdk/rule-packs';
import { AccountsStack } from '../lib/accounts-stack';

const app = new App();
new AccountsStack(app, 'AccountsStack', { env: { account: '111122223333', region: 'eu-central-1' } });
applyRulePacks(app);
