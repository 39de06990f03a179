#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { appSettings } from '../lib/stacks/app-settings';
import { FinancialApiStack } from '../lib/stacks/financial-api-stack';

const app = new App();
const settings = appSettings(app);

new FinancialApiStack(app, 'FinancialApiStack', {
  description: 'Example financial REST API built with the secure-rest-api construct library',
  ...settings,
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
