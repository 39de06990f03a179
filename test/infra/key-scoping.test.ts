/**
 * Issue #14 item 9: function roles use the data key only through DynamoDB (kms:ViaService), and the
 * logs key serves only this stack's log groups (kms:EncryptionContext:aws:logs:arn).
 */
import { exampleStack } from '../helpers/app';

type Statement = { Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>>; Principal?: { Service?: unknown } };
type Resource = { Type: string; Properties: Record<string, unknown> };

const { stack, template } = exampleStack();
const resources = template.toJSON().Resources as Record<string, Resource>;
const dataKeyId = stack.getLogicalId(stack.data.key.node.defaultChild as never);

describe('data key grants of function roles', () => {
  const kmsStatements = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy')
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
    .filter((st) => [st.Action].flat().some((a) => a.startsWith('kms:')) && JSON.stringify(st.Resource).includes(`"${dataKeyId}"`));

  test('every statement on the data key is bound to one AWS service with kms:ViaService', () => {
    expect(kmsStatements.length).toBeGreaterThan(0);
    for (const st of kmsStatements) {
      const via = st.Condition?.StringEquals?.['kms:ViaService'];
      expect({ actions: st.Action, via }).toEqual({ actions: st.Action, via: expect.stringMatching(/^(dynamodb|secretsmanager)\.eu-west-1\.amazonaws\.com$/) });
    }
  });

  test('the table actions (Encrypt / GenerateDataKey for writers, Decrypt for readers) go through DynamoDB only', () => {
    const dynamo = kmsStatements.filter((st) => st.Condition?.StringEquals?.['kms:ViaService'] === 'dynamodb.eu-west-1.amazonaws.com');
    expect(dynamo.length).toBe(5);
    expect(dynamo.some((st) => [st.Action].flat().includes('kms:GenerateDataKey'))).toBe(true);
  });
});

describe('logs key', () => {
  const key = Object.entries(resources).find(([id]) => id.startsWith('SecureApiLogsKey'))?.[1];
  const logsStatement = (key?.Properties.KeyPolicy as { Statement: Statement[] }).Statement
    .find((st) => JSON.stringify(st.Principal?.Service ?? '').includes('logs.'));
  const arns = (logsStatement?.Condition?.ArnLike?.['kms:EncryptionContext:aws:logs:arn'] as unknown[]).map((a) => JSON.stringify(a));

  test('serves this stack\'s generated log-group names and its fixed ones, not every log group of the account', () => {
    expect(arns.some((a) => a.includes(':log-group:*'))).toBe(false);
    expect(arns.some((a) => a.includes(':logs:eu-west-1:123456789012:log-group:FinancialApiStack-*"'))).toBe(true);
    expect(arns.some((a) => a.includes('API-Gateway-Execution-Logs_'))).toBe(true);
    expect(arns.some((a) => a.includes('aws-waf-logs-') && a.includes('AWS::StackId'))).toBe(true);
    expect(arns).toHaveLength(3);
  });
});
