import { Match, Template } from 'aws-cdk-lib/assertions';
import { PAYMENTS_TABLE } from '../../lambda/example/payments/payments-table';
import { exampleStack } from '../helpers/app';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

let template: Template;
beforeAll(() => {
  template = exampleStack().template;
});

/** Every statement of the policies attached to the role of the function whose logical id starts with `prefix`. */
function statementsOf(prefix: string): Statement[] {
  const fns = template.findResources('AWS::Lambda::Function');
  const [, fn] = Object.entries(fns).find(([id]) => id.startsWith(prefix)) ?? [];
  expect(fn).toBeDefined();
  const roleId = ((fn as { Properties: { Role: { 'Fn::GetAtt': string[] } } }).Properties.Role['Fn::GetAtt'])[0];
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).includes(`"${String(roleId)}"`))
    .flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}

function actionsOf(prefix: string): string[] {
  return statementsOf(prefix).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();
}

function envOf(prefix: string): Record<string, unknown> {
  const fns = template.findResources('AWS::Lambda::Function');
  const [, fn] = Object.entries(fns).find(([id]) => id.startsWith(prefix)) ?? [];
  return (fn as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables;
}

describe('payments table', () => {
  test('customer-managed KMS key, point-in-time recovery, deletion protection, on-demand', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: PAYMENTS_TABLE.ownerIndex })],
    });
  });

  test('RETAIN on delete and replace', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('secrets', () => {
  test('both secrets are encrypted with the customer-managed key and retained', () => {
    const secrets = template.findResources('AWS::SecretsManager::Secret');
    // The payments data's two secrets; ApiIdentity's usage-key secrets (issue 14) must meet the same bar.
    expect(Object.keys(secrets).filter((id) => id.startsWith('PaymentsData'))).toHaveLength(2);
    for (const s of Object.values(secrets)) {
      expect((s as { Properties: { KmsKeyId?: unknown } }).Properties.KmsKeyId).toBeDefined();
      expect((s as { DeletionPolicy: string }).DeletionPolicy).toBe('Retain');
    }
  });

  test('the cursor key rotates automatically every 30 days through the rotation function', () => {
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationLambdaARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PaymentsDataCursorKeyRotation'), 'Arn'] },
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
  });
});

describe('least privilege: each handler gets only the actions its code calls', () => {
  test.each([
    ['PaymentsApiCreatePayment', ['dynamodb:GetItem', 'dynamodb:PutItem'], false, false],
    ['PaymentsApiGetPayment', ['dynamodb:GetItem'], false, false],
    ['PaymentsApiListPayments', ['dynamodb:Query'], true, false],
    ['PaymentsApiAdminListPayments', ['dynamodb:Scan'], true, false],
    ['PaymentsApiProcessorWebhook', ['dynamodb:GetItem', 'dynamodb:UpdateItem'], false, true],
  ])('%s', (prefix, dynamoActions, cursor, webhook) => {
    const actions = actionsOf(prefix);
    expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual(dynamoActions);
    expect(actions.some((a) => a.includes('*') && !a.startsWith('xray:'))).toBe(false);
    const env = envOf(prefix);
    expect(env[PAYMENTS_TABLE.tableNameEnv]).toBeDefined();
    expect(env[PAYMENTS_TABLE.cursorSecretEnv] !== undefined).toBe(cursor);
    expect(env[PAYMENTS_TABLE.webhookSecretEnv] !== undefined).toBe(webhook);
    expect(actions.includes('secretsmanager:GetSecretValue')).toBe(cursor || webhook);
  });

  test('Query is allowed on the owner index only, never on index/*', () => {
    const query = statementsOf('PaymentsApiListPayments').find((s) => s.Action === 'dynamodb:Query');
    expect(JSON.stringify(query?.Resource)).toContain(`/index/${PAYMENTS_TABLE.ownerIndex}`);
    expect(JSON.stringify(statementsOf('PaymentsApiListPayments'))).not.toContain('/index/*');
  });

  test('the health function touches no data', () => {
    const actions = actionsOf('PaymentsApiHealth');
    expect(actions.some((a) => a.startsWith('dynamodb:') || a.startsWith('secretsmanager:') || a.startsWith('kms:'))).toBe(false);
    expect(envOf('PaymentsApiHealth')[PAYMENTS_TABLE.tableNameEnv]).toBeUndefined();
  });
});
