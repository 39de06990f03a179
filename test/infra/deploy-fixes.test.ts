/**
 * Issue #12: what a template can meet on paper and still fail on at deploy or run time. Each test
 * fails if its defect comes back.
 */
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as z from 'zod/mini';
import { defaultCognitoDomainPrefix, sanitizeDomainLabel } from '../../lib/common/unique-names';
import { jsonSchemaDraft4, SecureRestApi, stripUnsupportedFormats } from '../../lib/constructs/secure-rest-api';
import { RouteDefinition } from '../../lib/routes';
import { exampleStack, testApp, testStack } from '../helpers/app';

type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[]; DeletionPolicy?: string };

const HANDLERS_DIR = path.join(__dirname, '..', '..', 'lambda', 'example', 'handlers');
const HEALTH: RouteDefinition = { method: 'GET', path: '/health', handler: 'health', auth: { public: true, reason: 'Liveness probe for monitors' } };

function publicApi(stack: Stack, props: Partial<ConstructorParameters<typeof SecureRestApi>[2]> = {}): SecureRestApi {
  return new SecureRestApi(stack, 'Api', { routes: [HEALTH], allowedOrigins: [], handlersDir: HANDLERS_DIR, ...props });
}

const standard = exampleStack();
const resources = standard.template.toJSON().Resources as Record<string, Resource>;
const ofType = (res: Record<string, Resource>, type: string): [string, Resource][] => Object.entries(res).filter(([, r]) => r.Type === type);

describe('per-method stage settings', () => {
  const [, stage] = ofType(resources, 'AWS::ApiGateway::Stage')[0] as [string, Resource];
  const settings = stage.Properties?.MethodSettings as Record<string, unknown>[];

  test('every entry, not only /*/*, logs errors, has detailed metrics and no data trace (an entry does not inherit /*/*)', () => {
    expect(settings.length).toBeGreaterThan(1);
    for (const entry of settings) {
      expect(entry).toMatchObject({ LoggingLevel: 'ERROR', MetricsEnabled: true, DataTraceEnabled: false });
    }
  });
});

describe('request models', () => {
  const models = ofType(resources, 'AWS::ApiGateway::Model').map(([, m]) => JSON.stringify(m.Properties?.Schema));

  test('no model of the example carries a format JSON Schema draft 4 lacks (date, uuid), the patterns stay', () => {
    expect(models.length).toBeGreaterThan(0);
    for (const model of models) {
      expect(model).not.toMatch(/"format":"(date|uuid|time|duration)"/);
    }
    expect(models.join()).toContain('"requestedExecutionDate"');
    expect(models.join()).toContain('"pattern"');
  });

  test('formats are dropped where draft 4 lacks them or a pattern already holds; a property named format stays', () => {
    const doc = jsonSchemaDraft4(z.strictObject({
      day: z.iso.date(),
      id: z.uuid(),
      format: z.string(),
    }), testStack(), 'body');
    const props = doc.properties as Record<string, Record<string, unknown>>;
    expect(props.day?.format).toBeUndefined();
    expect(props.day?.pattern).toEqual(expect.any(String));
    expect(props.id?.format).toBeUndefined();
    expect(props.format).toEqual({ type: 'string' });
    expect(stripUnsupportedFormats({ type: 'string', format: 'email' })).toEqual({ type: 'string', format: 'email' });
    expect(stripUnsupportedFormats({ items: [{ format: 'date' }], allOf: [{ format: 'uuid' }] })).toEqual({ items: [{}], allOf: [{}] });
  });
});

describe('names that must be unique', () => {
  test('the REST API is named after the stack and construct path, not "Api"', () => {
    const [, api] = ofType(resources, 'AWS::ApiGateway::RestApi')[0] as [string, Resource];
    expect(api.Properties?.Name).toMatch(/^FinancialApiStack-PaymentsApi-[A-F0-9]{8}$/);
    const app = testApp();
    const one = testStack(app, 'One');
    const two = testStack(app, 'Two');
    publicApi(one);
    publicApi(two);
    const [a, b] = [Template.fromStack(one), Template.fromStack(two)];
    const name = (t: Template): unknown => Object.values(t.findResources('AWS::ApiGateway::RestApi'))[0]?.Properties?.Name;
    expect(name(a)).not.toEqual(name(b));
  });

  test('the Cognito prefix is <stack>-<account>: lower case, no reserved word, at most 63 characters', () => {
    expect(sanitizeDomainLabel('AwsCognitoAmazonPaymentsStack')).toBe('payments-stack');
    expect(sanitizeDomainLabel('caamazonws')).toBe('c');
    const app = testApp();
    expect(defaultCognitoDomainPrefix(testStack(app, 'MyAwsPayments'))).toBe('my-payments-123456789012');
    const long = defaultCognitoDomainPrefix(testStack(app, `S${'x'.repeat(120)}`));
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9-]+-123456789012$/);
  });

  test('an environment-agnostic stack gets the account from CloudFormation (AWS::AccountId)', () => {
    const stack = new Stack(new App(), 'Agnostic');
    expect(stack.resolve(defaultCognitoDomainPrefix(stack))).toEqual({ 'Fn::Join': ['', ['agnostic-', { Ref: 'AWS::AccountId' }]] });
  });

  test('cdk.json no longer holds a fixed Cognito prefix', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const cdkJson = require('../../cdk.json') as { context: Record<string, unknown> };
    expect(cdkJson.context['financialApi:authDomainPrefix']).toBeUndefined();
  });
});

describe('API Gateway account role and execution logs', () => {
  test('the region-wide AWS::ApiGateway::Account is not touched unless cloudWatchRole is on (then retained)', () => {
    expect(ofType(resources, 'AWS::ApiGateway::Account')).toHaveLength(0);
    const stack = testStack();
    publicApi(stack, { cloudWatchRole: true });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::ApiGateway::Account', 1);
    t.hasResource('AWS::IAM::Role', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ ManagedPolicyArns: Match.anyValue() }) });
  });

  test('the stack creates API-Gateway-Execution-Logs_<id>/<stage> (KMS, one year, retained) before the stage', () => {
    const [logId, group] = ofType(resources, 'AWS::Logs::LogGroup')
      .find(([, g]) => JSON.stringify(g.Properties?.LogGroupName ?? '').includes('API-Gateway-Execution-Logs_')) as [string, Resource];
    const [apiId] = ofType(resources, 'AWS::ApiGateway::RestApi')[0] as [string, Resource];
    expect(group.Properties?.LogGroupName).toEqual({ 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: apiId }, '/v1']] });
    expect(group.Properties?.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^SecureApiLogsKey/), 'Arn'] });
    expect(group.Properties?.RetentionInDays).toBe(365);
    expect(group.DeletionPolicy).toBe('Retain');
    const [, stage] = ofType(resources, 'AWS::ApiGateway::Stage')[0] as [string, Resource];
    expect(stage.DependsOn).toContain(logId);
  });
});

describe('functions in a VPC (regulated profile)', () => {
  const regulated = exampleStack({ profile: 'regulated' });
  const res = regulated.template.toJSON().Resources as Record<string, Resource>;
  const inVpc = ofType(res, 'AWS::Lambda::Function').filter(([, f]) => f.Properties?.VpcConfig !== undefined && !JSON.stringify(f.Properties.Role).includes('CustomVpcRestrictDefaultSG'));

  test('each role may create, describe and delete the ENIs Lambda checks at CreateFunction, and its policy exists first', () => {
    expect(inVpc.length).toBeGreaterThan(0);
    for (const [id, fn] of inVpc) {
      const roleId = (fn.Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const policies = ofType(res, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties?.Roles).includes(`"${roleId}"`));
      const statements = policies.flatMap(([, p]) => (p.Properties?.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement);
      const actions = new Set(statements.flatMap((st) => [st.Action].flat()));
      for (const action of ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses']) {
        expect({ id, action, granted: actions.has(action) }).toEqual({ id, action, granted: true });
      }
      const manage = statements.find((st) => [st.Action].flat().includes('ec2:CreateNetworkInterface'));
      expect(JSON.stringify(manage?.Resource)).toContain(':ec2:');
      expect(manage?.Resource).not.toBe('*');
      expect(fn.DependsOn).toEqual(expect.arrayContaining(policies.map(([pid]) => pid)));
    }
  });

  test('functions outside a VPC get no EC2 permission', () => {
    const text = JSON.stringify(ofType(resources, 'AWS::IAM::Policy'));
    expect(text).not.toContain('ec2:CreateNetworkInterface');
  });
});
