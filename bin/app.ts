#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { applyRulePacks } from '../lib/compliance/rule-packs';
import { appSettings } from '../lib/stacks/app-settings';
import { FinancialApiStack } from '../lib/stacks/financial-api-stack';

const app = new App();

new FinancialApiStack(app, 'FinancialApiStack', {
  description: 'Example financial REST API built with the secure-rest-api construct library',
  ...appSettings(app),
});

// AwsSolutions, PCI DSS 3.2.1 and NIST 800-53 rev 5: any unacknowledged finding fails the synth.
applyRulePacks(app);
