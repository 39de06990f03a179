import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, BillingMode, Operation, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { ApiAlarms, ApiAlarmsOptions } from '../../lib/constructs/api-alarms';
import { SecureRestApi } from '../../lib/constructs/secure-rest-api';
import { DEFAULT_API_ALARM_THRESHOLDS, FORGERY_DENIAL_REASONS } from '../../lib/defaults/alarms';
import { RouteDefinition } from '../../lib/routes';
import { DENIAL_REASONS } from '../../lambda/runtime/authorizer-metrics';
import { nagFindings, testApp, testStack } from '../helpers/app';

const HANDLERS_DIR = path.join(__dirname, '..', '..', 'lambda', 'example', 'handlers');
const HEALTH: RouteDefinition = {
  method: 'GET', path: '/health', handler: 'health', sensitivity: 'low',
  auth: { public: true, reason: 'Liveness probe for uptime monitors' },
};
const PREFIX = 'TestStack-Api';
const FIVE_MINUTES = 300;

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly api: SecureRestApi;
  readonly alarms: ApiAlarms;
  readonly table: Table;
  readonly template: Template;
}

/**
 * A SecureRestApi (which composes ApiAlarms and monitors its handler and firewall) plus every optional
 * capability: a table, the authorizer metrics, secret access. The template is built last.
 */
function build(options: ApiAlarmsOptions = { alarmEmail: 'oncall@example.com' }, app: App = testApp()): Built {
  const stack = testStack(app);
  const api = new SecureRestApi(stack, 'Api', {
    routes: [HEALTH],
    allowedOrigins: ['https://app.example.com'],
    handlersDir: HANDLERS_DIR,
    alarms: options,
  });
  const table = new Table(stack, 'Payments', {
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: true,
  });
  api.alarms.monitorTable(table);
  api.alarms.monitorAuthorizer('payments-authorizer');
  api.alarms.monitorSecretAccess('payments-api');
  let template: Template | undefined;
  return {
    app, stack, api, alarms: api.alarms, table,
    get template(): Template {
      template ??= Template.fromStack(stack);
      return template;
    },
  };
}

function resourceId(stack: Stack, construct: { node: { defaultChild?: unknown } } | { node: { path: string } }): string {
  const child = ('defaultChild' in construct.node ? construct.node.defaultChild : undefined) ?? construct;
  return stack.getLogicalId(child as never);
}

function alarmByName(template: Template, suffix: string): Record<string, unknown> {
  const alarms = template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: `${PREFIX}-${suffix}` } });
  const found = Object.values(alarms);
  expect(found).toHaveLength(1);
  return (found[0] as { Properties: Record<string, unknown> }).Properties;
}

/** The dashboard body with CloudFormation tokens replaced by a placeholder, as parsed JSON. */
function dashboardBody(template: Template): { widgets: { properties: Record<string, unknown> }[] } {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = (dashboards[0] as { Properties: { DashboardBody: unknown } }).Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] } | string;
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text) as { widgets: { properties: Record<string, unknown> }[] };
}

function widget(template: Template, title: string): Record<string, unknown> {
  const found = dashboardBody(template).widgets.filter((w) => w.properties.title === title);
  expect(found).toHaveLength(1);
  return (found[0] as { properties: Record<string, unknown> }).properties;
}

function metricNames(props: Record<string, unknown>): string[] {
  return (props.metrics as unknown[][]).map((m) => m.filter((x) => typeof x === 'string').join('|'));
}

describe('ApiAlarms metric filters on the access log', () => {
  const cases: [string, string][] = [
    ['Status401', '{ $.status = 401 }'],
    ['Status403', '{ $.status = 403 }'],
    ['Status429', '{ $.status = 429 }'],
    ['Status5xx', '{ $.status >= 500 }'],
  ];
  test.each(cases)('%s counts %s on the access-log group, by API id and stage', (metricName, pattern) => {
    const { stack, api, template } = build();
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: pattern,
      LogGroupName: { Ref: resourceId(stack, api.accessLogGroup as never) },
      MetricTransformations: [{
        MetricNamespace: 'SecureRestApi/AccessLog',
        MetricName: metricName,
        MetricValue: '1',
        Unit: 'Count',
        Dimensions: [{ Key: 'ApiId', Value: '$.apiId' }, { Key: 'Stage', Value: '$.stage' }],
        DefaultValue: Match.absent(),
      }],
    });
  });

  test('exactly the four status filters exist', () => {
    const { template } = build();
    template.resourceCountIs('AWS::Logs::MetricFilter', 4);
  });
});

describe('ApiAlarms alarms', () => {
  test('every alarm has a prefixed name, a "First check" description, and alarm + OK actions to the topic', () => {
    const { stack, alarms, template } = build();
    const topicRef = { Ref: resourceId(stack, alarms.alarmTopic) };
    const all = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as { Properties: Record<string, unknown> }[];
    expect(all.length).toBe(alarms.alarms.length);
    // 8 API + 1 WAF + 3 Lambda + 2 DynamoDB + 1 authorizer + 1 secrets
    expect(all.length).toBe(16);
    for (const { Properties: p } of all) {
      expect(p.AlarmName).toMatch(new RegExp(`^${PREFIX}-[a-z0-9-]+`, 'i'));
      expect(p.AlarmDescription).toMatch(/\. First check: \S/);
      expect(p.AlarmActions).toEqual([topicRef]);
      expect(p.OKActions).toEqual([topicRef]);
      expect(p.TreatMissingData).toBe('notBreaching');
    }
  });

  test.each([
    ['api-401-spike', 'Status401', 50],
    ['api-403-spike', 'Status403', 25],
    ['api-429-spike', 'Status429', 100],
  ])('%s: Sum of %s per 5 min >= %d, one period', (name, metricName, threshold) => {
    const { template } = build();
    expect(alarmByName(template, name)).toMatchObject({
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: threshold,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Metrics: [{
        MetricStat: {
          Metric: { Namespace: 'SecureRestApi/AccessLog', MetricName: metricName, Dimensions: [{ Name: 'ApiId' }, { Name: 'Stage' }] },
          Period: FIVE_MINUTES,
          Stat: 'Sum',
        },
      }],
    });
  });

  test.each([
    ['api-401-anomaly', 'Status401'],
    ['api-403-anomaly', 'Status403'],
  ])('%s: anomaly band (3 std devs) over FILL(%s, 0), upper side only, 2 of 3 periods', (name, metricName) => {
    const { template } = build();
    const alarm = alarmByName(template, name);
    expect(alarm).toMatchObject({
      ComparisonOperator: 'GreaterThanUpperThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    });
    expect(alarm.Threshold).toBeUndefined();
    const metrics = alarm.Metrics as { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string }; Period: number; Stat: string } }[];
    const band = metrics.find((m) => m.Expression?.startsWith('ANOMALY_DETECTION_BAND'));
    expect(band?.Expression).toBe('ANOMALY_DETECTION_BAND(m0, 3)');
    expect(alarm.ThresholdMetricId).toBe(band?.Id);
    expect(metrics.find((m) => m.Id === 'm0')?.Expression).toBe('FILL(m, 0)');
    expect(metrics.find((m) => m.Id === 'm')?.MetricStat).toMatchObject({ Metric: { MetricName: metricName }, Period: FIVE_MINUTES, Stat: 'Sum' });
  });

  test('band width of the 401/403 anomaly alarms is configurable', () => {
    const { template } = build({ thresholds: { authFailureAnomalyStdDevs: 2 } });
    const metrics = alarmByName(template, 'api-401-anomaly').Metrics as { Expression?: string }[];
    expect(metrics.some((m) => m.Expression === 'ANOMALY_DETECTION_BAND(m0, 2)')).toBe(true);
  });

  test('api-5xx-rate: metric math 100 * 5xx / requests above a minimum volume, >= 1 %, 2 of 3 periods', () => {
    const { template } = build();
    const alarm = alarmByName(template, 'api-5xx-rate');
    expect(alarm).toMatchObject({ ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: 1, EvaluationPeriods: 3, DatapointsToAlarm: 2 });
    const metrics = alarm.Metrics as { Id: string; Expression?: string; ReturnData: boolean; MetricStat?: { Metric: { Namespace: string; MetricName: string }; Period: number; Stat: string } }[];
    expect(metrics.find((m) => m.ReturnData)?.Expression).toBe('IF(requests >= 20, 100 * FILL(errors, 0) / requests, 0)');
    expect(metrics.find((m) => m.Id === 'errors')?.MetricStat).toMatchObject({ Metric: { Namespace: 'SecureRestApi/AccessLog', MetricName: 'Status5xx' }, Period: FIVE_MINUTES, Stat: 'Sum' });
    expect(metrics.find((m) => m.Id === 'requests')?.MetricStat).toMatchObject({ Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count' }, Period: FIVE_MINUTES, Stat: 'Sum' });
  });

  test('api-latency-p99: AWS/ApiGateway Latency p99 >= 2000 ms for the stage, 2 of 3 periods', () => {
    const { template } = build();
    expect(alarmByName(template, 'api-latency-p99')).toMatchObject({
      Namespace: 'AWS/ApiGateway', MetricName: 'Latency', ExtendedStatistic: 'p99', Period: FIVE_MINUTES,
      Threshold: 2000, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 3, DatapointsToAlarm: 2,
      Dimensions: [{ Name: 'ApiName' }, { Name: 'Stage' }],
    });
  });

  test('api-traffic-anomaly: anomaly band (4 std devs) on the stage request count, upper side', () => {
    const { template } = build();
    const alarm = alarmByName(template, 'api-traffic-anomaly');
    expect(alarm.ComparisonOperator).toBe('GreaterThanUpperThreshold');
    const metrics = alarm.Metrics as { Id: string; Expression?: string; MetricStat?: unknown }[];
    expect(metrics.find((m) => m.Id === alarm.ThresholdMetricId)?.Expression).toBe('ANOMALY_DETECTION_BAND(m0, 4)');
    expect(metrics.find((m) => m.Id === 'm0')?.MetricStat).toMatchObject({ Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count' }, Period: FIVE_MINUTES, Stat: 'Sum' });
  });

  test('waf-blocked-spike: BlockedRequests of the stage firewall (all rules, this region) >= 100', () => {
    const { api, template } = build();
    expect(api.firewall).toBeDefined();
    expect(alarmByName(template, 'waf-blocked-spike')).toMatchObject({
      Threshold: 100, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1,
      Metrics: [{
        MetricStat: {
          Metric: {
            Namespace: 'AWS/WAFV2', MetricName: 'BlockedRequests',
            Dimensions: [
              { Name: 'Region', Value: 'eu-west-1' }, { Name: 'Rule', Value: 'ALL' },
              { Name: 'WebACL', Value: api.firewall?.metricName },
            ],
          },
          Period: FIVE_MINUTES, Stat: 'Sum',
        },
      }],
    });
  });

  test('per Lambda: errors >= 1, throttles >= 1 and p99 duration >= 80 % of the timeout', () => {
    const { stack, api, template } = build();
    const fnRef = { Ref: resourceId(stack, api.functionFor('health') as never) };
    expect(alarmByName(template, 'lambda-HealthFunction-errors')).toMatchObject({
      Namespace: 'AWS/Lambda', MetricName: 'Errors', Statistic: 'Sum', Period: FIVE_MINUTES, Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold', Dimensions: [{ Name: 'FunctionName', Value: fnRef }],
    });
    expect(alarmByName(template, 'lambda-HealthFunction-throttles')).toMatchObject({
      Namespace: 'AWS/Lambda', MetricName: 'Throttles', Statistic: 'Sum', Period: FIVE_MINUTES, Threshold: 1,
    });
    expect(alarmByName(template, 'lambda-HealthFunction-duration-near-timeout')).toMatchObject({
      Namespace: 'AWS/Lambda', MetricName: 'Duration', ExtendedStatistic: 'p99', Period: FIVE_MINUTES,
      Threshold: 8000, EvaluationPeriods: 3, DatapointsToAlarm: 2,
    });
  });

  test('duration alarm follows an explicit timeout; a function without a known timeout gets a warning instead', () => {
    const stack = testStack();
    const api = new SecureRestApi(stack, 'Api', { routes: [HEALTH], allowedOrigins: [], handlersDir: HANDLERS_DIR });
    const imported = LambdaFunction.fromFunctionName(stack, 'Imported', 'some-function');
    const explicit = LambdaFunction.fromFunctionName(stack, 'Explicit', 'other-function');
    api.alarms.monitorFunction(imported);
    api.alarms.monitorFunction(explicit, { timeout: Duration.seconds(5) });
    const template = Template.fromStack(stack);
    expect(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: `${PREFIX}-lambda-Imported-duration-near-timeout` } })).toEqual({});
    expect(alarmByName(template, 'lambda-Explicit-duration-near-timeout').Threshold).toBe(4000);
    Annotations.fromStack(stack).hasWarning('/TestStack/Api/Alarms', Match.stringLikeRegexp('timeout of TestStack/Imported is unknown'));
  });

  test('monitoring the same function twice adds nothing', () => {
    const stack = testStack();
    const api = new SecureRestApi(stack, 'Api', { routes: [HEALTH], allowedOrigins: [], handlersDir: HANDLERS_DIR });
    const before = api.alarms.alarms.length;
    api.alarms.monitorFunction(api.functionFor('health'));
    expect(api.alarms.alarms.length).toBe(before);
  });

  test('DynamoDB: system errors and throttles summed over the handler operations, >= 1', () => {
    const { template } = build();
    for (const [name, metricName] of [['dynamodb-Payments-system-errors', 'SystemErrors'], ['dynamodb-Payments-throttles', 'ThrottledRequests']] as const) {
      const alarm = alarmByName(template, name);
      expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1 });
      const metrics = alarm.Metrics as { Expression?: string; ReturnData: boolean; MetricStat?: { Metric: { MetricName: string; Dimensions: { Name: string; Value: unknown }[] }; Period: number } }[];
      const stats = metrics.filter((m) => m.MetricStat);
      expect(stats.length).toBe(8);
      expect(stats.length).toBeLessThanOrEqual(10);
      for (const m of stats) {
        expect(m.MetricStat?.Metric.MetricName).toBe(metricName);
        expect(m.MetricStat?.Period).toBe(FIVE_MINUTES);
        expect(m.MetricStat?.Metric.Dimensions.map((d) => d.Name).sort()).toEqual(['Operation', 'TableName']);
      }
      expect(metrics.find((m) => m.ReturnData)?.Expression).toMatch(/\+/);
    }
  });

  test('DynamoDB: more than 10 operations is rejected (CloudWatch metric-math limit)', () => {
    const stack = testStack();
    const api = new SecureRestApi(stack, 'Api', { routes: [HEALTH], allowedOrigins: [], handlersDir: HANDLERS_DIR });
    const table = new Table(stack, 'T', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    const ops = Object.values(Operation).slice(0, 11);
    expect(() => api.alarms.monitorTable(table, { operations: ops })).toThrow(/operations/);
  });

  test('authorizer: forged-token alarm sums the forgery reasons of the authorizer denial metric', () => {
    const { template } = build();
    const alarm = alarmByName(template, 'authorizer-forged-tokens');
    expect(alarm).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1 });
    const metrics = alarm.Metrics as { Id: string; Expression?: string; ReturnData: boolean; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] } } }[];
    expect(metrics.find((m) => m.ReturnData)?.Expression).toBe(FORGERY_DENIAL_REASONS.map((_r, i) => `FILL(r${i}, 0)`).join(' + '));
    const reasons = metrics.filter((m) => m.MetricStat).map((m) => {
      expect(m.MetricStat?.Metric).toMatchObject({ Namespace: 'SecureRestApi', MetricName: 'AuthorizerDenials' });
      const dims = Object.fromEntries((m.MetricStat?.Metric.Dimensions ?? []).map((d) => [d.Name, d.Value]));
      expect(dims.service).toBe('payments-authorizer');
      return dims.reason;
    });
    expect(reasons.sort()).toEqual([...FORGERY_DENIAL_REASONS].sort());
  });

  test('secrets: SecretFetchErrors of the service >= 1', () => {
    const { template } = build();
    expect(alarmByName(template, 'secrets-payments-api-fetch-errors')).toMatchObject({
      Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1,
      Metrics: [{
        MetricStat: {
          Metric: { Namespace: 'SecureRestApi', MetricName: 'SecretFetchErrors', Dimensions: [{ Name: 'service', Value: 'payments-api' }] },
          Period: FIVE_MINUTES, Stat: 'Sum',
        },
      }],
    });
  });

  test('threshold overrides reach the template; the rest keep their defaults', () => {
    const { template } = build({ thresholds: { unauthorizedPer5Min: 7, latencyP99Ms: 900 } });
    expect(alarmByName(template, 'api-401-spike').Threshold).toBe(7);
    expect(alarmByName(template, 'api-latency-p99').Threshold).toBe(900);
    expect(alarmByName(template, 'api-403-spike').Threshold).toBe(DEFAULT_API_ALARM_THRESHOLDS.forbiddenPer5Min);
  });

  test.each([
    [{ thresholds: { unauthorizedPer5Min: 0 } }, /thresholds\.unauthorizedPer5Min/],
    [{ thresholds: { latencyP99Ms: Number.NaN } }, /thresholds\.latencyP99Ms/],
    [{ thresholds: { lambdaDurationTimeoutRatio: 1 } }, /thresholds\.lambdaDurationTimeoutRatio/],
    [{ thresholds: { serverErrorRatePercent: 150 } }, /thresholds\.serverErrorRatePercent/],
    [{ alarmEmail: 'not-an-address' }, /alarmEmail/],
    [{ namePrefix: 'has spaces' }, /namePrefix/],
  ] as [ApiAlarmsOptions, RegExp][])('rejects %j', (options, error) => {
    expect(() => build(options)).toThrow(error);
  });
});

describe('ApiAlarms alarm topic', () => {
  test('is encrypted with its own rotating customer-managed key', () => {
    const { stack, alarms, template } = build();
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [resourceId(stack, alarms.topicKey), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      Description: Match.stringLikeRegexp('alarm topic'),
    });
  });

  test('key policy lets only CloudWatch alarms of this account use the key', () => {
    const { stack, alarms, template } = build();
    const key = template.toJSON().Resources[resourceId(stack, alarms.topicKey)] as { Properties: { KeyPolicy: { Statement: Record<string, unknown>[] } } };
    const cw = key.Properties.KeyPolicy.Statement.filter((s) => JSON.stringify(s.Principal).includes('cloudwatch.amazonaws.com'));
    expect(cw).toHaveLength(1);
    expect(cw[0]).toMatchObject({
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Condition: {
        StringEquals: { 'aws:SourceAccount': '123456789012' },
        ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:eu-west-1:123456789012:alarm:*']] } },
      },
    });
  });

  test('topic policy: TLS only, CloudWatch alarms of this account may publish, nobody else', () => {
    const { stack, alarms, template } = build();
    const topicRef = { Ref: resourceId(stack, alarms.alarmTopic) };
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topicRef],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny', Action: 'sns:Publish', Principal: '*', Resource: topicRef,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' }, Resource: topicRef,
            Condition: {
              StringEquals: { 'aws:SourceAccount': '123456789012' },
              ArnLike: { 'aws:SourceArn': Match.anyValue() },
            },
          }),
          Match.objectLike({
            Effect: 'Deny', Action: 'sns:Publish', Principal: { AWS: '*' }, Resource: topicRef,
            Condition: { Bool: { 'aws:PrincipalIsAWSService': 'false' } },
          }),
        ]),
      },
    });
    // No statement grants publish to anyone but the CloudWatch service.
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy')) as { Properties: { PolicyDocument: { Statement: { Effect: string; Principal: unknown }[] } } }[];
    const allows = policies.flatMap((p) => p.Properties.PolicyDocument.Statement).filter((s) => s.Effect === 'Allow');
    expect(allows.map((s) => s.Principal)).toEqual([{ Service: 'cloudwatch.amazonaws.com' }]);
  });

  test('optional e-mail subscription', () => {
    const withEmail = build({ alarmEmail: 'oncall@example.com' }).template;
    withEmail.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    build({}).template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('ApiAlarms dashboard', () => {
  test('has the API widgets: requests, 4xx by status, 5xx, latency p50/p99', () => {
    const { template } = build();
    expect(metricNames(widget(template, 'Requests'))).toEqual([expect.stringMatching(/^AWS\/ApiGateway\|Count\|ApiName\|TestStack-Api-[A-F0-9]{8}\|Stage\|TOKEN$/)]);
    expect(metricNames(widget(template, '4xx by status (401 / 403 / 429)'))).toEqual([
      'SecureRestApi/AccessLog|Status401|ApiId|TOKEN|Stage|TOKEN',
      'SecureRestApi/AccessLog|Status403|ApiId|TOKEN|Stage|TOKEN',
      'SecureRestApi/AccessLog|Status429|ApiId|TOKEN|Stage|TOKEN',
    ]);
    expect(metricNames(widget(template, '5xx'))[0]).toBe('SecureRestApi/AccessLog|Status5xx|ApiId|TOKEN|Stage|TOKEN');
    const latency = widget(template, 'Latency (ms)').metrics as unknown[][];
    expect(latency.map((m) => (m[m.length - 1] as { stat: string }).stat)).toEqual(['p50', 'p99']);
  });

  test('has WAF allowed/blocked, authorizer denials by every reason, and errors/duration per function', () => {
    const { template } = build();
    expect(metricNames(widget(template, 'WAF: allowed vs blocked')).map((m) => m.split('|')[1])).toEqual(['AllowedRequests', 'BlockedRequests']);
    const denials = widget(template, 'Authorizer: denials by reason').metrics as unknown[][];
    const reasons = denials.filter((m) => m.includes('AuthorizerDenials')).map((m) => m[m.indexOf('reason') + 1]);
    expect(reasons).toEqual([...DENIAL_REASONS]);
    expect(metricNames(widget(template, 'Lambda HealthFunction: invocations, errors, throttles')).map((m) => m.split('|')[1]))
      .toEqual(['Errors', 'Throttles', 'Invocations']);
    expect(metricNames(widget(template, 'Lambda HealthFunction: duration (ms)')).map((m) => m.split('|')[1])).toEqual(['Duration', 'Duration']);
    expect(widget(template, 'DynamoDB Payments: system errors').metrics).toEqual(expect.arrayContaining([
      expect.arrayContaining([expect.objectContaining({ expression: expect.stringContaining('+') as unknown })]),
    ]));
    expect(widget(template, 'DynamoDB Payments: throttled requests').metrics).toBeDefined();
  });
});

describe('ApiAlarms Logs Insights queries', () => {
  test('saves the five investigations on the right log groups', () => {
    const { stack, api, template } = build();
    const accessRef = { Ref: resourceId(stack, api.accessLogGroup as never) };
    const expected: [string, RegExp][] = [
      ['top-401-source-ips', /filter status = 401[\s\S]*by sourceIp[\s\S]*sort failures desc/],
      ['denials-by-reason', /filter status = 401 or status = 403[\s\S]*by status, errorType/],
      ['slowest-routes', /pct\(responseLatency, 99\) as p99Ms[\s\S]*by httpMethod, resourcePath[\s\S]*sort p99Ms desc/],
      ['5xx-by-route', /filter status >= 500[\s\S]*by httpMethod, resourcePath/],
      ['requests-by-correlation-id', /correlationId = "REPLACE_WITH_CORRELATION_ID"[\s\S]*sort @timestamp asc/],
    ];
    template.resourceCountIs('AWS::Logs::QueryDefinition', expected.length);
    for (const [name, query] of expected) {
      template.hasResourceProperties('AWS::Logs::QueryDefinition', {
        Name: `${PREFIX}/${name}`,
        QueryString: Match.stringLikeRegexp(query.source),
        LogGroupNames: Match.arrayWith([accessRef]),
      });
    }
  });

  test('the correlation-id query spans the access log and every monitored function log group', () => {
    const { stack, api, template } = build();
    const fn = api.functionFor('health') as unknown as { functionLogGroup: never };
    template.hasResourceProperties('AWS::Logs::QueryDefinition', {
      Name: `${PREFIX}/requests-by-correlation-id`,
      LogGroupNames: [{ Ref: resourceId(stack, api.accessLogGroup as never) }, { Ref: resourceId(stack, fn.functionLogGroup) }],
    });
  });
});

describe('ApiAlarms and the rule packs', () => {
  test('nothing under the monitoring construct has a finding', () => {
    const built = build();
    const findings = nagFindings(built.app);
    expect(findings.filter((f) => f.path.includes('/Alarms/'))).toEqual([]);
  });

  test('the check can fail: an unencrypted topic under the monitoring construct is reported', () => {
    const built = build();
    new Topic(built.alarms, 'PlainTopicForTest');
    const findings = nagFindings(built.app).filter((f) => f.path.includes('/Alarms/PlainTopicForTest')).map((f) => f.rule);
    expect(findings).toEqual(expect.arrayContaining(['AwsSolutions-SNS3', 'PCI.DSS.321-SNSEncryptedKMS', 'NIST.800.53.R5-SNSEncryptedKMS']));
  });
});
