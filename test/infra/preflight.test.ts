/**
 * The deploy preflight: one compliant and one non-compliant template per check (pure functions of the
 * template), then the wiring: synthesis fails on an error naming the prop, warnings carry stable ids,
 * and consumers' stacks get it through SecureRestApi or Preflight.of.
 */
import * as path from 'path';
import { Annotations as CoreAnnotations, CfnResource, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { SecureRestApi } from '../../lib/constructs/secure-rest-api';
import {
  CfnResourceJson, CfnTemplateJson, NO_ALARM_SUBSCRIBER_WARNING, Preflight, PREFLIGHT_CHECKS, PreflightOptions, runPreflight,
} from '../../lib/preflight';
import { REGULATED_CONCURRENCY } from '../../lib/stacks/financial-api-stack';
import { PAYMENTS_ROUTES } from '../../lib/stacks/payments-routes';
import { exampleStack, testApp, testStack } from '../helpers/app';

const check = (id: string) => {
  const found = PREFLIGHT_CHECKS.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id}`);
  return (resources: Record<string, CfnResourceJson>, options: PreflightOptions = {}, stackName = 'PaymentsStack') =>
    found.run({ template: { Resources: resources } as CfnTemplateJson, options, stackName });
};
const getAtt = (id: string): unknown => ({ 'Fn::GetAtt': [id, 'Arn'] });
const ref = (id: string): unknown => ({ Ref: id });

describe('preflight checks: compliant and non-compliant', () => {
  test('lambda-vpc-eni-permissions', () => {
    const run = check('lambda-vpc-eni-permissions');
    const fn = (deps: string[]): CfnResourceJson => ({ Type: 'AWS::Lambda::Function', DependsOn: deps, Properties: { Role: getAtt('Role'), VpcConfig: { SubnetIds: ['s'] } } });
    const role: CfnResourceJson = { Type: 'AWS::IAM::Role', Properties: {} };
    const policy = (actions: string[]): CfnResourceJson => ({ Type: 'AWS::IAM::Policy', Properties: { Roles: [ref('Role')], PolicyDocument: { Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] } } });
    const all = ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'];
    expect(run({ Fn: fn(['Policy']), Role: role, Policy: policy(all) })).toEqual([]);
    expect(run({ Fn: fn(['Policy']), Role: role, Policy: policy(['ec2:*NetworkInterface*', 'ec2:*PrivateIpAddresses']) })).toEqual([]);
    const missing = run({ Fn: fn(['Policy']), Role: role, Policy: policy(['logs:PutLogEvents']) });
    expect(missing).toEqual([expect.objectContaining({ level: 'error', logicalId: 'Fn', prop: 'role', message: expect.stringContaining('ec2:CreateNetworkInterface') })]);
    expect(run({ Fn: fn([]), Role: role, Policy: policy(all) })[0]?.message).toMatch(/does not depend on Policy/);
    // Not in a VPC: nothing to check.
    expect(run({ Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: getAtt('Role') } }, Role: role })).toEqual([]);
  });

  test('invoke-permission-source-arn', () => {
    const run = check('invoke-permission-source-arn');
    expect(run({ P: { Type: 'AWS::Lambda::Permission', Properties: { Principal: 'secretsmanager.amazonaws.com', SourceArn: ref('Secret') } } })).toEqual([]);
    expect(run({ P: { Type: 'AWS::Lambda::Permission', Properties: { Principal: 'secretsmanager.amazonaws.com' } } }))
      .toEqual([expect.objectContaining({ level: 'error', prop: 'sourceArn' })]);
  });

  test('reserved-concurrency: at most quota - 100 reserved; unknown quota warns; no reservation, no finding', () => {
    const run = check('reserved-concurrency');
    const fns = (...r: number[]): Record<string, CfnResourceJson> => Object.fromEntries(r.map((n, i) => [`F${i}`, { Type: 'AWS::Lambda::Function', Properties: { ReservedConcurrentExecutions: n } }]));
    expect(run(fns(100, 72), { accountConcurrencyLimit: 1000 })).toEqual([]);
    expect(run({ F: { Type: 'AWS::Lambda::Function', Properties: {} } })).toEqual([]);
    const low = run(fns(100, 72), { accountConcurrencyLimit: 50 });
    expect(low).toEqual([expect.objectContaining({ level: 'error', prop: 'reservedConcurrentExecutions' })]);
    expect(low[0]?.message).toContain('at most 0 can be reserved');
    expect(low[0]?.message).toContain('Lower the reservations by 172');
    expect(low[0]?.message).toContain('raise the quota to at least 272');
    expect(run(fns(172), { accountConcurrencyLimit: 272 })).toEqual([]);
    expect(run(fns(173), { accountConcurrencyLimit: 272 })).toHaveLength(1);
    expect(run(fns(5))).toEqual([expect.objectContaining({ level: 'warning', prop: 'accountConcurrencyLimit' })]);
  });

  test('cognito-domain-prefix', () => {
    const run = check('cognito-domain-prefix');
    const domain = (d: unknown): Record<string, CfnResourceJson> => ({ D: { Type: 'AWS::Cognito::UserPoolDomain', Properties: { Domain: d } } });
    expect(run(domain('payments-stack-123456789012'))).toEqual([]);
    expect(run(domain({ 'Fn::Join': ['', ['payments-', ref('AWS::AccountId')]] }))).toEqual([]);
    expect(run(domain('My-Login'))[0]?.prop).toBe('domainPrefix');
    expect(run(domain('my-cognito-login'))[0]?.message).toContain('"cognito"');
    expect(run(domain('x'.repeat(64)))[0]?.message).toContain('64 characters');
    expect(run(domain({ 'Fn::Join': ['', ['x'.repeat(52), ref('AWS::AccountId')]] }))[0]?.message).toContain('64 characters');
    expect(run(domain('-login'))).toHaveLength(1);
    expect(run({ D: { Type: 'AWS::Cognito::UserPoolDomain', Properties: { Domain: 'auth.example.com', CustomDomainConfig: {} } } })).toEqual([]);
  });

  test('cognito-threat-protection-tier', () => {
    const run = check('cognito-threat-protection-tier');
    const pool = (props: Record<string, unknown>): Record<string, CfnResourceJson> => ({ P: { Type: 'AWS::Cognito::UserPool', Properties: props } });
    expect(run(pool({ UserPoolTier: 'PLUS', UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' } }))).toEqual([]);
    expect(run(pool({ UserPoolTier: 'ESSENTIALS' }))).toEqual([]);
    expect(run(pool({ UserPoolTier: 'ESSENTIALS', UserPoolAddOns: { AdvancedSecurityMode: 'AUDIT' } })))
      .toEqual([expect.objectContaining({ level: 'error', prop: 'threatProtection' })]);
  });

  test('cognito-refresh-rotation', () => {
    const run = check('cognito-refresh-rotation');
    const client = (flows?: string[]): Record<string, CfnResourceJson> => ({ C: { Type: 'AWS::Cognito::UserPoolClient', Properties: { RefreshTokenRotation: { Feature: 'ENABLED' }, ExplicitAuthFlows: flows } } });
    expect(run(client(['ALLOW_USER_SRP_AUTH']))).toEqual([]);
    expect(run(client(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']))).toHaveLength(1);
    expect(run(client(undefined))[0]?.message).toContain('sets no ExplicitAuthFlows');
    expect(run({ C: { Type: 'AWS::Cognito::UserPoolClient', Properties: { ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'] } } })).toEqual([]);
  });

  test('retained-unique-names', () => {
    const run = check('retained-unique-names');
    const group = (name: unknown, policy = 'Retain'): Record<string, CfnResourceJson> => ({ Api: { Type: 'AWS::ApiGateway::RestApi' }, G: { Type: 'AWS::Logs::LogGroup', DeletionPolicy: policy, Properties: { LogGroupName: name } } });
    expect(run(group(undefined))).toEqual([]);
    expect(run(group({ 'Fn::Join': ['', ['aws-waf-logs-x-', { 'Fn::Select': [0, { 'Fn::Split': ['-', ref('AWS::StackId')] }] }]] }))).toEqual([]);
    expect(run(group({ 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', ref('Api'), '/v1']] }))).toEqual([]);
    expect(run(group('aws-waf-logs-fixed', 'Delete'))).toEqual([]);
    expect(run(group('aws-waf-logs-fixed'))).toEqual([expect.objectContaining({ level: 'error', prop: 'LogGroupName' })]);
    expect(run(group({ 'Fn::Join': ['', ['logs-', ref('AWS::StackName')]] }))).toHaveLength(1);
  });

  test('rest-api-name', () => {
    const run = check('rest-api-name');
    expect(run({ A: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'PaymentsStack-Api-1234ABCD' } } })).toEqual([]);
    expect(run({ A: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'Api' } } })).toEqual([expect.objectContaining({ level: 'warning', prop: 'restApiName' })]);
  });

  test('stage-method-settings', () => {
    const run = check('stage-method-settings');
    const stage = (entry: Record<string, unknown>): Record<string, CfnResourceJson> => ({ S: { Type: 'AWS::ApiGateway::Stage', Properties: { MethodSettings: [{ HttpMethod: '*', ResourcePath: '/*', LoggingLevel: 'ERROR', MetricsEnabled: true, DataTraceEnabled: false }, entry] } } });
    expect(run(stage({ HttpMethod: 'GET', ResourcePath: '/~1health', LoggingLevel: 'ERROR', MetricsEnabled: true, DataTraceEnabled: false, ThrottlingRateLimit: 5 }))).toEqual([]);
    const onlyThrottle = run(stage({ HttpMethod: 'GET', ResourcePath: '/~1health', ThrottlingRateLimit: 5 }));
    expect(onlyThrottle).toEqual([expect.objectContaining({ level: 'error', prop: 'deployOptions.methodOptions' })]);
    expect(onlyThrottle[0]?.message).toContain('GET //health');
    expect(onlyThrottle[0]?.message).toContain('MetricsEnabled');
    expect(run(stage({ HttpMethod: 'GET', ResourcePath: '/x', LoggingLevel: 'INFO', MetricsEnabled: true, DataTraceEnabled: true }))[0]?.message).toContain('DataTraceEnabled');
  });

  test('execution-log-group', () => {
    const run = check('execution-log-group');
    const base = (stageDeps: string[], groupProps: Record<string, unknown> = { KmsKeyId: getAtt('K'), RetentionInDays: 365 }): Record<string, CfnResourceJson> => ({
      Api: { Type: 'AWS::ApiGateway::RestApi' },
      S: { Type: 'AWS::ApiGateway::Stage', DependsOn: stageDeps, Properties: { RestApiId: ref('Api'), StageName: 'v1', MethodSettings: [{ LoggingLevel: 'ERROR' }] } },
      G: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', ref('Api'), '/v1']] }, ...groupProps } },
    });
    expect(run(base(['G']))).toEqual([]);
    expect(run(base([]))[0]?.message).toContain('does not depend on');
    expect(run(base(['G'], {}))[0]?.message).toContain('KmsKeyId and RetentionInDays');
    const { G: _dropped, ...noGroup } = base([]);
    expect(run(noGroup)).toEqual([expect.objectContaining({ level: 'error', prop: 'executionLogGroup' })]);
  });

  test('model-schema-formats', () => {
    const run = check('model-schema-formats');
    const model = (schema: unknown): Record<string, CfnResourceJson> => ({ M: { Type: 'AWS::ApiGateway::Model', Properties: { Schema: schema } } });
    expect(run(model({ type: 'object', properties: { at: { type: 'string', format: 'date-time' }, format: { type: 'string' } } }))).toEqual([]);
    const bad = run(model({ type: 'object', properties: { day: { type: 'string', format: 'date' }, list: { type: 'array', items: { type: 'string', format: 'uuid' } } } }));
    expect(bad).toEqual([expect.objectContaining({ level: 'error', prop: 'routes[].body' })]);
    expect(bad[0]?.message).toContain('/day: date');
    expect(bad[0]?.message).toContain('/list: uuid');
  });

  test('logs-key-policy', () => {
    const run = check('logs-key-policy');
    const res = (principal: unknown, actions: string[]): Record<string, CfnResourceJson> => ({
      K: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: { Statement: [{ Effect: 'Allow', Principal: { Service: principal }, Action: actions, Resource: '*' }] } } },
      G: { Type: 'AWS::Logs::LogGroup', Properties: { KmsKeyId: getAtt('K') } },
    });
    expect(run(res({ 'Fn::Join': ['', ['logs.', ref('AWS::Region'), '.amazonaws.com']] }, ['kms:Encrypt*', 'kms:Decrypt*', 'kms:GenerateDataKey*']))).toEqual([]);
    expect(run(res('logs.eu-west-1.amazonaws.com', ['kms:Decrypt']))).toEqual([expect.objectContaining({ level: 'error', prop: 'logEncryptionKey' })]);
    expect(run(res('lambda.amazonaws.com', ['kms:*']))).toHaveLength(1);
  });

  test('alarm-topic-key-policy', () => {
    const run = check('alarm-topic-key-policy');
    const res = (actions: string[]): Record<string, CfnResourceJson> => ({
      K: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: { Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: actions, Resource: '*' }] } } },
      T: { Type: 'AWS::SNS::Topic', Properties: { KmsMasterKeyId: getAtt('K') } },
      A: { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmActions: [ref('T')] } },
    });
    expect(run(res(['kms:Decrypt', 'kms:GenerateDataKey*']))).toEqual([]);
    expect(run(res(['kms:Decrypt']))).toEqual([expect.objectContaining({ level: 'error', logicalId: 'T' })]);
  });

  test('no-alarm-subscriber', () => {
    const run = check('no-alarm-subscriber');
    const alarm: CfnResourceJson = { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmActions: [ref('T')] } };
    expect(run({ T: { Type: 'AWS::SNS::Topic' }, A: alarm, S: { Type: 'AWS::SNS::Subscription', Properties: { TopicArn: ref('T'), Protocol: 'email' } } })).toEqual([]);
    expect(run({ T: { Type: 'AWS::SNS::Topic' }, A: alarm })).toEqual([expect.objectContaining({ level: 'warning', logicalId: 'T', prop: 'alarms.alarmEmail' })]);
    expect(run({ T: { Type: 'AWS::SNS::Topic' } })).toEqual([]);
  });

  test('waf-log-destination', () => {
    const run = check('waf-log-destination');
    const config = (destination: unknown, groupName?: string): Record<string, CfnResourceJson> => ({
      G: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: groupName } },
      L: { Type: 'AWS::WAFv2::LoggingConfiguration', Properties: { LogDestinationConfigs: [destination] } },
    });
    expect(run(config({ 'Fn::Join': ['', ['arn:', ref('AWS::Partition'), ':logs:eu-west-1:1:log-group:aws-waf-logs-x-', ref('AWS::StackId')]] }))).toEqual([]);
    expect(run(config(getAtt('G'), 'aws-waf-logs-y'))).toEqual([]);
    expect(run(config('arn:aws:logs:eu-west-1:1:log-group:waf')))
      .toEqual([expect.objectContaining({ level: 'error', prop: 'firewall.logGroupName' })]);
    expect(run(config(getAtt('G')))).toHaveLength(1);
    expect(run(config('arn:aws:s3:::bucket'))).toEqual([]);
  });

  test('every check has a unique id and a description', () => {
    expect(new Set(PREFLIGHT_CHECKS.map((c) => c.id)).size).toBe(PREFLIGHT_CHECKS.length);
    for (const c of PREFLIGHT_CHECKS) expect(c.description.length).toBeGreaterThan(40);
  });
});

describe('preflight wiring', () => {
  test('both example profiles synthesize with no preflight error; the only warning is the missing alarm subscriber', () => {
    for (const profile of ['standard', 'regulated'] as const) {
      const { stack, template } = exampleStack({ profile });
      expect(template).toBeDefined();
      expect(Preflight.of(stack).findings()).toEqual([expect.objectContaining({ check: 'no-alarm-subscriber', level: 'warning' })]);
      Annotations.fromStack(stack).hasWarning('/FinancialApiStack/PaymentsApi/Alarms/Topic', Match.stringLikeRegexp(`no subscriber.*${NO_ALARM_SUBSCRIBER_WARNING}`));
    }
  });

  test('with an alarm e-mail the example has zero findings', () => {
    const { stack, template } = exampleStack({ alarmEmail: 'oncall@example.com' });
    expect(template).toBeDefined();
    expect(Preflight.of(stack).findings()).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('no-alarm-subscriber'))).toHaveLength(0);
  });

  test('the missing-subscriber warning can be acknowledged on purpose', () => {
    const app = testApp();
    const { stack } = exampleStack({}, app);
    CoreAnnotations.of(stack).acknowledgeWarning(NO_ALARM_SUBSCRIBER_WARNING, 'test stage: nobody on call');
    app.synth();
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('no subscriber'))).toHaveLength(0);
  });

  test('regulated + reserved concurrency against a declared low quota fails synthesis, saying what to lower or raise', () => {
    const total = new Set(PAYMENTS_ROUTES.map((r) => r.handler)).size * REGULATED_CONCURRENCY.handler + REGULATED_CONCURRENCY.authorizer + REGULATED_CONCURRENCY.rotation;
    const low = exampleStack({ profile: 'regulated', reserveConcurrency: true, accountConcurrencyLimit: 50 });
    expect(() => low.template).toThrow(new RegExp(`preflight reserved-concurrency: \`reservedConcurrentExecutions\`.*reserve ${total}.*raise the quota to at least ${total + 100}`));
    const ok = exampleStack({ profile: 'regulated', reserveConcurrency: true, accountConcurrencyLimit: 1000, alarmEmail: 'oncall@example.com' });
    expect(ok.template).toBeDefined();
    expect(Preflight.of(ok.stack).findings()).toEqual([]);
  });

  test('reserved concurrency is opt-in in the regulated profile', () => {
    const { template } = exampleStack({ profile: 'regulated' });
    const reserved = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties?.ReservedConcurrentExecutions !== undefined);
    expect(reserved).toHaveLength(0);
  });

  test('a consumer\'s stack with a SecureRestApi gets the preflight: an unrelated broken resource fails synthesis with its path and prop', () => {
    const stack = testStack();
    new SecureRestApi(stack, 'Api', {
      routes: [{ method: 'GET', path: '/health', handler: 'health', auth: { public: true, reason: 'Liveness probe for monitors' } }],
      allowedOrigins: [],
      handlersDir: path.join(__dirname, '..', '..', 'lambda', 'example', 'handlers'),
      alarms: { alarmEmail: 'oncall@example.com' },
    });
    new CfnResource(stack, 'Legacy', { type: 'AWS::Lambda::Permission', properties: { Action: 'lambda:InvokeFunction', FunctionName: 'f', Principal: 'events.amazonaws.com' } });
    expect(() => Template.fromStack(stack)).toThrow(/\[TestStack\/Legacy\] preflight invoke-permission-source-arn: `sourceArn`/);
  });

  test('Preflight.of works on any stack; skip turns one check off with a recorded reason', () => {
    const app = testApp();
    const bad = new Stack(app, 'Plain');
    new CfnResource(bad, 'Group', { type: 'AWS::Logs::LogGroup', properties: { LogGroupName: 'fixed' } }).applyRemovalPolicy(undefined);
    const group = bad.node.findChild('Group') as CfnResource;
    group.cfnOptions.deletionPolicy = 'Retain' as never;
    Preflight.of(bad);
    expect(() => app.synth()).toThrow(/retained-unique-names/);

    const app2 = testApp();
    const skipped = new Stack(app2, 'Plain');
    const g2 = new CfnResource(skipped, 'Group', { type: 'AWS::Logs::LogGroup', properties: { LogGroupName: 'fixed' } });
    g2.cfnOptions.deletionPolicy = 'Retain' as never;
    Preflight.of(skipped, { skip: { 'retained-unique-names': 'the name is owned by another team and cleaned by its runbook' } });
    app2.synth();
    Annotations.fromStack(skipped).hasInfo('/Plain', Match.stringLikeRegexp('retained-unique-names skipped: the name is owned'));
  });

  test('the quota can come from context secure-api:accountConcurrencyLimit', () => {
    const app = testApp({ context: { 'secure-api:accountConcurrencyLimit': 120 } });
    const stack = new Stack(app, 'Ctx');
    new CfnResource(stack, 'Fn', { type: 'AWS::Lambda::Function', properties: { ReservedConcurrentExecutions: 30 } });
    Preflight.of(stack);
    expect(() => app.synth()).toThrow(/quota of 120, at most 20 can be reserved/);
  });

  test('the result is the same as running the checks on the synthesized template file', () => {
    const { stack, template } = exampleStack({ profile: 'regulated' });
    expect(runPreflight({ template: template.toJSON() as CfnTemplateJson, options: {}, stackName: stack.stackName })).toEqual(Preflight.of(stack).findings());
  });
});
