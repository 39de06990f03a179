/**
 * The reviewed list of rule-pack acknowledgements of the example app. A new acknowledgement (or one
 * more of an existing kind) fails this test until the list below is updated in the same change, so
 * every suppression is a reviewed decision. The reasons live next to the resources; the security
 * report (`npm run security`) lists them.
 */
import { acknowledgements } from '../../lib/compliance/acknowledge';
import { exampleStack, testApp } from '../helpers/app';

/** Finding id -> number of constructs it is acknowledged on, with why it is accepted. */
const REVIEWED: Record<string, [count: number, decision: string]> = {
  'AwsSolutions-APIG4': [10, 'CORS preflight (8 OPTIONS) and the two routes public by the route table'],
  'AwsSolutions-COG4': [14, 'the same 10, plus 4 protected routes using the Lambda (aws-jwt-verify) authorizer instead of the Cognito one'],
  'AwsSolutions-IAM5[Resource::*]': [8, 'X-Ray (and GetRandomPassword on the rotation role): no resource-level permissions'],
  'AwsSolutions-SMG4': [4, 'webhook secret shared with the processor: rotation is a runbook; 3 usage-plan key values (two integrations, people): identifiers no caller can present (key source AUTHORIZER), resolved at deploy'],
  'NIST.800.53.R5-APIGWCacheEnabledAndEncrypted': [1, 'no response cache on purpose'],
  'NIST.800.53.R5-APIGWSSLEnabled': [1, 'backend client certificate applies to HTTP integrations only'],
  'NIST.800.53.R5-DynamoDBInBackupPlan': [1, 'PITR + deletion protection; backup plans are account-wide'],
  'NIST.800.53.R5-IAMNoInlinePolicy': [8, 'one policy per function role'],
  'NIST.800.53.R5-LambdaConcurrency': [8, 'standard profile; the regulated profile reserves concurrency'],
  'NIST.800.53.R5-LambdaDLQ': [8, 'synchronous invocations only'],
  'NIST.800.53.R5-LambdaInsideVPC': [8, 'standard profile; the regulated profile builds the VPC'],
  'NIST.800.53.R5-SecretsManagerRotationEnabled': [4, 'webhook secret shared with the processor; 3 usage-plan key values resolved at deploy'],
  'PCI.DSS.321-APIGWCacheEnabledAndEncrypted': [1, 'no response cache on purpose'],
  'PCI.DSS.321-APIGWSSLEnabled': [1, 'backend client certificate applies to HTTP integrations only'],
  'PCI.DSS.321-IAMNoInlinePolicy': [8, 'one policy per function role'],
  'PCI.DSS.321-LambdaInsideVPC': [8, 'standard profile; the regulated profile builds the VPC'],
};

describe('rule-pack acknowledgements of the example app', () => {
  const app = testApp();
  exampleStack({}, app);
  const acks = acknowledgements(app);

  test('match the reviewed list exactly (a new suppression needs a reviewed entry here)', () => {
    const counts: Record<string, number> = {};
    for (const a of acks) counts[a.id] = (counts[a.id] ?? 0) + 1;
    const expected = Object.fromEntries(Object.entries(REVIEWED).map(([id, [count]]) => [id, count]));
    expect(counts).toEqual(expected);
  });

  test('every acknowledgement carries a real reason, not a placeholder', () => {
    for (const a of acks) {
      expect({ id: a.id, path: a.path, ok: a.reason.trim().length >= 40 && !/todo|tbd|fixme|temporar/i.test(a.reason) })
        .toEqual({ id: a.id, path: a.path, ok: true });
    }
  });

  test('no acknowledgement silences a whole rule at stack or app level (each sits on its resource)', () => {
    for (const a of acks) expect(a.path.split('/').length).toBeGreaterThan(2);
  });
});
