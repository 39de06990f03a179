import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { applyRulePacks } from '../compliance/rule-packs';
import { appSettings } from './app-settings';
import { FinancialApiStack } from './financial-api-stack';

/**
 * The example app: the payments stack with its settings from context, checked by the AwsSolutions,
 * PCI DSS 3.2.1 and NIST 800-53 rev 5 packs (any unacknowledged finding fails synthesis).
 * `bin/app.ts` and the security report both build it here, so they see the same app.
 */
export function buildExampleApp(app: App): { stack: FinancialApiStack } {
  const stack = new FinancialApiStack(app, 'FinancialApiStack', {
    description: 'Example financial REST API built with the secure-rest-api construct library',
    ...appSettings(app),
    // The OpenAPI document the README links to, regenerated (deterministically) on every synth.
    openApiFile: path.join(__dirname, '..', '..', 'docs', 'openapi.json'),
  });
  applyRulePacks(app);
  return { stack };
}
