#!/usr/bin/env node
const { App } = require('aws-cdk-lib');
const { applyRulePacks } = require('@secure-api/cdk/rule-packs');
const { CardsStack } = require('../lib/cards-stack');

const app = new App();
new CardsStack(app, 'CardsStack', { env: { account: '111122223333', region: 'eu-west-2' } });
applyRulePacks(app);
