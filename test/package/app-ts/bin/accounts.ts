#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { applyRulePacks } from '@secure-api/cdk/rule-packs';
import { AccountsStack } from '../lib/accounts-stack';

const app = new App();
new AccountsStack(app, 'AccountsStack');
applyRulePacks(app); // AwsSolutions, PCI DSS 3.2.1, NIST 800-53 r5: any unacknowledged finding fails synth
