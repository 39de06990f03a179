import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import { SecurityPolicy } from 'aws-cdk-lib/aws-apigateway';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { SecureFunction } from '../../lib/constructs/secure-function';
import { SecureRestApi, SecureRestApiProps } from '../../lib/constructs/secure-rest-api';
import { GATEWAY_ERRORS } from '../../lib/defaults/api';
import { ACCESS_LOG_FIELDS } from '../../lib/defaults/logging';
import { RouteDefinition } from '../../lib/routes';
import { SECURITY_HEADERS } from '../../lambda/runtime/security-headers';
import { testStack } from '../helpers/app';
import { routeTableAuthorizer } from '../helpers/authorizer';

const HANDLERS_DIR = path.join(__dirname, '..', '..', 'lambda', 'example', 'handlers');

const HEALTH: RouteDefinition = {
  method: 'GET', path: '/health', handler: 'health', sensitivity: 'low',
  auth: { public: true, reason: 'Liveness probe for uptime monitors' },
};
const PROTECTED: RouteDefinition = {
  method: 'POST', path: '/things/{thingId}', handler: 'health', sensitivity: 'high',
  auth: { scopes: ['things/write'] }, requiredHeaders: ['Idempotency-Key'],
};


/** Builds a SecureRestApi in a fresh stack; `props` override the defaults. */
function build(props: Partial<SecureRestApiProps> = {}, withAuthorizer = true): { stack: Stack; api: SecureRestApi; template: Template } {
  const stack = testStack();
  const api = new SecureRestApi(stack, 'Api', {
    routes: [HEALTH, PROTECTED],
    allowedOrigins: ['https://app.example.com'],
    handlersDir: HANDLERS_DIR,
    authorizer: withAuthorizer ? routeTableAuthorizer(stack, props.routes ?? [HEALTH, PROTECTED], 'TestAuthorizer') : undefined,
    ...props,
  });
  return { stack, api, template: Template.fromStack(stack) };
}

const { template } = build();

describe('SecureRestApi: endpoint and stage', () => {
  test('the endpoint is REGIONAL', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
  });

  test('without a custom domain the execute-api endpoint stays enabled (it is the only URL)', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      DisableExecuteApiEndpoint: false,
    });
  });

  test('X-Ray tracing is on for the stage', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: true });
  });

  test('execution logs are at ERROR with data tracing off (no bodies or tokens in logs)', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([Match.objectLike({
        HttpMethod: '*', ResourcePath: '/*', LoggingLevel: 'ERROR', DataTraceEnabled: false, MetricsEnabled: true,
      })]),
    });
  });

  test('stage-wide default throttle applies to every caller', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([Match.objectLike({
        HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200,
      })]),
    });
  });

  test('per-method stage throttle follows route sensitivity (high = strictest)', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: 'POST', ResourcePath: '/~1things~1{thingId}', ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 }),
      ]),
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: 'GET', ResourcePath: '/~1health', ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 }),
      ]),
    });
  });

  test('the stage throttle can be overridden', () => {
    const { template: t } = build({ throttle: { rateLimit: 20, burstLimit: 40 } });
    t.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([Match.objectLike({ HttpMethod: '*', ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 })]),
    });
    // A method limit is never above the stage limit.
    t.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([Match.objectLike({ HttpMethod: 'GET', ResourcePath: '/~1health', ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 })]),
    });
  });
});

describe('SecureRestApi: access logs', () => {
  const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0] as { Properties: { AccessLogSetting: { Format: string; DestinationArn: unknown } } };
  const format = stage.Properties.AccessLogSetting.Format;

  test('one JSON line per request with the required fields', () => {
    const line = format.replace(/\$context\.[A-Za-z.]+/g, (v) => (/(status|Latency|Epoch)$/.test(v) ? '1' : 'x'));
    const parsed = JSON.parse(line) as Record<string, unknown>;
    for (const field of ['requestId', 'extendedRequestId', 'sourceIp', 'principalId', 'caller', 'httpMethod',
      'resourcePath', 'status', 'responseLatency', 'integrationError', 'wafResponseCode', 'userAgent']) {
      expect(parsed).toHaveProperty(field);
    }
    expect(format).not.toContain('\n');
  });

  test('the format references only context variables, never a body, token or API key value', () => {
    expect(format).not.toMatch(/\$input|\$context\.identity\.apiKey[^I]|authorization|\$util/i);
    for (const field of Object.values(ACCESS_LOG_FIELDS)) expect(field.variable).toMatch(/^\$context\./);
  });

  test('the access-log group is KMS-encrypted, has explicit retention and is retained on delete', () => {
    const destination = stage.Properties.AccessLogSetting.DestinationArn as { 'Fn::GetAtt': [string, string] };
    const logGroupId = destination['Fn::GetAtt'][0];
    const logGroup = template.findResources('AWS::Logs::LogGroup')[logGroupId] as { Properties: Record<string, unknown>; DeletionPolicy: string };
    expect(logGroup.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/SecureApiLogsKey/), 'Arn'] });
    expect(logGroup.Properties.RetentionInDays).toBe(365);
    expect(logGroup.DeletionPolicy).toBe('Retain');
  });

  test('a retention shorter than one year is allowed only with a synth-time warning naming the prop', () => {
    const { stack } = build({ logRetention: RetentionDays.ONE_WEEK });
    Annotations.fromStack(stack).hasWarning('/TestStack/Api', Match.stringLikeRegexp('less than the one year.*logRetention'));
    const { stack: defaults } = build();
    Annotations.fromStack(defaults).hasNoWarning('/TestStack/Api', Match.stringLikeRegexp('logRetention'));
  });

  test('the logs key rotates, is retained, and only CloudWatch Logs of this account may use it for log groups', () => {
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        EnableKeyRotation: true,
        KeyPolicy: Match.objectLike({
          Statement: Match.arrayWith([Match.objectLike({
            Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
            Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } },
          })]),
        }),
      }),
    });
    const key = JSON.stringify(template.findResources('AWS::KMS::Key'));
    // Not every log group of the account: this stack's generated names and its fixed ones only.
    expect(key).not.toContain(':logs:eu-west-1:123456789012:log-group:*');
    expect(key).toContain(`:logs:eu-west-1:123456789012:log-group:TestStack-*`);
    expect(key).toContain(':logs:eu-west-1:123456789012:log-group:API-Gateway-Execution-Logs_');
  });
});

describe('SecureRestApi: request validation', () => {
  test('one validator checks both body and parameters', () => {
    template.resourceCountIs('AWS::ApiGateway::RequestValidator', 1);
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true, ValidateRequestParameters: true,
    });
  });

  test('every non-OPTIONS method uses the validator', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')) as { Properties: Record<string, unknown> }[];
    const routed = methods.filter((m) => m.Properties.HttpMethod !== 'OPTIONS');
    expect(routed).toHaveLength(2);
    for (const m of routed) expect(m.Properties.RequestValidatorId).toBeDefined();
  });

  test('path parameters and required headers are required at the gateway', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestParameters: { 'method.request.path.thingId': true, 'method.request.header.Idempotency-Key': true },
    });
  });
});

describe('SecureRestApi: authorization', () => {
  test('protected routes use the authorizer', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST', AuthorizationType: 'CUSTOM', AuthorizerId: Match.anyValue(),
    });
  });

  test('public routes are public only because the route table says so', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET', AuthorizationType: 'NONE', ResourceId: Match.anyValue(),
    });
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')) as { Properties: Record<string, unknown> }[];
    const publicNonPreflight = methods.filter((m) => m.Properties.AuthorizationType === 'NONE' && m.Properties.HttpMethod !== 'OPTIONS');
    expect(publicNonPreflight).toHaveLength(1);
  });

  test('a protected route without an authorizer fails at synth, naming the prop', () => {
    expect(() => build({}, false)).toThrow(/`authorizer`/);
  });

  test('the Lambda integration grants no test-invoke permission (which bypasses the authorizer)', () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')) as { Properties: { SourceArn: unknown } }[];
    for (const p of permissions) expect(JSON.stringify(p.Properties.SourceArn)).not.toContain('test-invoke-stage');
  });
});

describe('SecureRestApi: CORS', () => {
  test('preflight answers only the allow-listed origin', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'OPTIONS',
      Integration: Match.objectLike({
        IntegrationResponses: Match.arrayWith([Match.objectLike({
          ResponseParameters: Match.objectLike({ 'method.response.header.Access-Control-Allow-Origin': "'https://app.example.com'" }),
        })]),
      }),
    });
    expect(JSON.stringify(template.toJSON())).not.toContain("Access-Control-Allow-Origin': \"'*'\"");
  });

  test('several origins: the preflight echoes only members of the list, never *', () => {
    const { template: t } = build({ allowedOrigins: ['https://a.example.com', 'https://b.example.com'] });
    const options = Object.values(t.findResources('AWS::ApiGateway::Method')).filter((m) => (m as { Properties: { HttpMethod: string } }).Properties.HttpMethod === 'OPTIONS');
    const json = JSON.stringify(options);
    expect(json).toContain('https://a.example.com');
    expect(json).toContain('https://b.example.com');
    expect(json).not.toContain("'*'");
  });

  test('an empty allow-list creates no preflight at all', () => {
    const { template: t } = build({ allowedOrigins: [] });
    const options = Object.values(t.findResources('AWS::ApiGateway::Method')).filter((m) => (m as { Properties: { HttpMethod: string } }).Properties.HttpMethod === 'OPTIONS');
    expect(options).toHaveLength(0);
  });

  test.each([
    ['*', /allowedOrigins\[0\].*wildcard/],
    ['https://*.example.com', /allowedOrigins\[0\].*wildcard/],
    ['http://app.example.com', /allowedOrigins\[0\].*https/],
    ['https://app.example.com/', /allowedOrigins\[0\].*bare origin/],
    ['https://app.example.com/path', /allowedOrigins\[0\].*bare origin/],
    ['not a url', /allowedOrigins\[0\]/],
  ])('origin %p is rejected at synth', (origin, message) => {
    expect(() => build({ allowedOrigins: [origin] })).toThrow(message);
  });

  test('a wildcard with credentials names both props', () => {
    expect(() => build({ allowedOrigins: ['*'], allowCredentials: true })).toThrow(/allowedOrigins\[0\].*allowCredentials/);
  });

  test('http://localhost is allowed for development, with a warning', () => {
    const { stack } = build({ allowedOrigins: ['http://localhost:3000'] });
    Annotations.fromStack(stack).hasWarning('/TestStack/Api', Match.stringLikeRegexp('localhost'));
  });
});

describe('SecureRestApi: gateway responses', () => {
  const responses = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse')) as {
    Properties: { ResponseType: string; StatusCode?: string; ResponseParameters: Record<string, string>; ResponseTemplates: Record<string, string> };
  }[];

  test.each(['DEFAULT_4XX', 'DEFAULT_5XX', 'UNAUTHORIZED', 'ACCESS_DENIED', 'THROTTLED', 'WAF_FILTERED', 'BAD_REQUEST_BODY',
    'BAD_REQUEST_PARAMETERS', 'MISSING_AUTHENTICATION_TOKEN', 'QUOTA_EXCEEDED', 'REQUEST_TOO_LARGE', 'INTEGRATION_TIMEOUT'])(
    '%s returns the JSON error envelope with the security headers', (type) => {
      const response = responses.find((r) => r.Properties.ResponseType === type);
      expect(response).toBeDefined();
      const body = JSON.parse(response!.Properties.ResponseTemplates['application/json'] as string) as { error: Record<string, string> };
      expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'requestId']);
      expect(body.error.requestId).toBe('$context.requestId');
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
        expect(response!.Properties.ResponseParameters[`gatewayresponse.header.${name}`]).toBe(`'${value}'`);
      }
    });

  test('every gateway error the library knows is configured', () => {
    expect(responses).toHaveLength(GATEWAY_ERRORS.length);
  });

  test('no gateway response echoes internal detail or request input', () => {
    for (const r of responses) {
      const tpl = r.Properties.ResponseTemplates['application/json'] as string;
      expect(tpl).not.toMatch(/\$context\.error|\$input|\$util|stack/i);
    }
  });

  test('status codes are the documented ones (401, 403, 429, 404 for unknown paths)', () => {
    const status = (t: string): string | undefined => responses.find((r) => r.Properties.ResponseType === t)?.Properties.StatusCode;
    expect(status('UNAUTHORIZED')).toBe('401');
    expect(status('ACCESS_DENIED')).toBe('403');
    expect(status('THROTTLED')).toBe('429');
    expect(status('MISSING_AUTHENTICATION_TOKEN')).toBe('404');
  });

  test('security header values: HSTS >= 1 year with subdomains, nosniff, CSP none, no-store, no-referrer', () => {
    const hsts = /max-age=(\d+); includeSubDomains/.exec(SECURITY_HEADERS['Strict-Transport-Security'] ?? '');
    expect(Number(hsts?.[1])).toBeGreaterThanOrEqual(31536000);
    expect(SECURITY_HEADERS['X-Content-Type-Options']).toBe('nosniff');
    expect(SECURITY_HEADERS['Content-Security-Policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(SECURITY_HEADERS['Cache-Control']).toBe('no-store');
    expect(SECURITY_HEADERS['Referrer-Policy']).toBe('no-referrer');
  });

  test('with one allowed origin, gateway errors carry it; with several, no CORS header (never reflected)', () => {
    const origin = responses[0]!.Properties.ResponseParameters['gatewayresponse.header.Access-Control-Allow-Origin'];
    expect(origin).toBe("'https://app.example.com'");
    const { template: t } = build({ allowedOrigins: ['https://a.example.com', 'https://b.example.com'] });
    const json = JSON.stringify(t.findResources('AWS::ApiGateway::GatewayResponse'));
    expect(json).not.toContain('Access-Control-Allow-Origin');
  });
});

describe('SecureRestApi: custom domain', () => {
  function withDomain(securityPolicy?: SecurityPolicy): Template {
    const stack = testStack();
    new SecureRestApi(stack, 'Api', {
      routes: [HEALTH],
      allowedOrigins: [],
      handlersDir: HANDLERS_DIR,
      domain: {
        domainName: 'api.example.com',
        certificate: Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:123456789012:certificate/abc'),
        securityPolicy,
      },
    });
    return Template.fromStack(stack);
  }

  test('TLS 1.2 by default on a regional domain', () => {
    withDomain().hasResourceProperties('AWS::ApiGateway::DomainName', {
      SecurityPolicy: 'TLS_1_2', EndpointConfiguration: { Types: ['REGIONAL'] },
    });
  });

  test('a domain disables the execute-api endpoint so the TLS policy cannot be bypassed', () => {
    withDomain().hasResourceProperties('AWS::ApiGateway::RestApi', { DisableExecuteApiEndpoint: true });
  });

  test('TLS 1.0 is rejected at synth', () => {
    expect(() => withDomain(SecurityPolicy.TLS_1_0)).toThrow(/domain\.securityPolicy/);
  });

  test('a TLS 1.3 policy uses STRICT endpoint access', () => {
    withDomain(SecurityPolicy.TLS13_1_3_2025_09).hasResourceProperties('AWS::ApiGateway::DomainName', {
      SecurityPolicy: 'SecurityPolicy_TLS13_1_3_2025_09', EndpointAccessMode: 'STRICT',
    });
  });
});

describe('SecureRestApi: rejected configurations', () => {
  test.each<[string, Partial<SecureRestApiProps>, RegExp]>([
    ['burst below rate', { throttle: { rateLimit: 50, burstLimit: 10 } }, /throttle\.burstLimit/],
    ['zero rate', { throttle: { rateLimit: 0, burstLimit: 10 } }, /throttle\.rateLimit/],
    ['method burst below rate', { methodThrottle: { high: { rateLimit: 5, burstLimit: 1 } } }, /methodThrottle\.high\.burstLimit/],
    ['empty route table', { routes: [] }, /`routes`/],
    ['duplicate route', { routes: [HEALTH, HEALTH] }, /routes\[1\].*duplicate/],
    ['public route without a reason', { routes: [{ ...HEALTH, auth: { public: true, reason: '' } }] }, /routes\[0\]\.auth\.reason/],
    ['public high-sensitivity route', { routes: [{ ...HEALTH, sensitivity: 'high' }] }, /routes\[0\]\.sensitivity/],
    ['protected route without scopes', { routes: [{ ...PROTECTED, auth: { scopes: [] } }] }, /routes\[0\]\.auth\.scopes/],
    ['malformed scope', { routes: [{ ...PROTECTED, auth: { scopes: ['Things Write'] } }] }, /routes\[0\]\.auth\.scopes\[0\]/],
    ['bad path', { routes: [{ ...HEALTH, path: 'health' }] }, /routes\[0\]\.path/],
    ['GET with a body', { routes: [{ ...HEALTH, body: {} as never }] }, /routes\[0\]\.body/],
    ['body limit above the API Gateway payload limit', { maxBodyBytes: 20 * 1024 * 1024 }, /maxBodyBytes/],
    ['unknown handler without handlersDir', { handlersDir: undefined }, /routes\[0\]\.handler/],
  ])('%s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});

describe('SecureFunction defaults', () => {
  const fnTemplate = (() => {
    const stack = testStack();
    new SecureFunction(stack, 'Fn', { entry: path.join(HANDLERS_DIR, 'health.ts'), serviceName: 'svc', reservedConcurrentExecutions: 5 });
    return Template.fromStack(stack);
  })();

  test('newest Node.js runtime on arm64 with a bounded timeout and memory', () => {
    fnTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x', Architectures: ['arm64'], Timeout: 10, MemorySize: 512, ReservedConcurrentExecutions: 5,
    });
  });

  test('X-Ray active tracing and JSON log format', () => {
    fnTemplate.hasResourceProperties('AWS::Lambda::Function', {
      TracingConfig: { Mode: 'Active' }, LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
    });
  });

  test('Powertools environment and no event logging', () => {
    fnTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({
        POWERTOOLS_SERVICE_NAME: 'svc', POWERTOOLS_METRICS_NAMESPACE: 'SecureRestApi', POWERTOOLS_LOGGER_LOG_EVENT: 'false',
      }) },
    });
  });

  test('its own KMS-encrypted log group with retention', () => {
    fnTemplate.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: Match.objectLike({ LogGroup: { Ref: Match.stringLikeRegexp('FnLogs') } }),
    });
    fnTemplate.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365, KmsKeyId: Match.anyValue() });
  });

  test('its own role, without managed policies', () => {
    fnTemplate.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] }),
      ManagedPolicyArns: Match.absent(),
    });
  });

  test('the role may write only to its own log group', () => {
    const policies = Object.values(fnTemplate.findResources('AWS::IAM::Policy')) as { Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } } }[];
    const logStatements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement).filter((s) => JSON.stringify(s.Action).includes('logs:'));
    expect(logStatements.length).toBeGreaterThan(0);
    for (const s of logStatements) expect(JSON.stringify(s.Resource)).toMatch(/FnLogs/);
  });

  test.each<[string, object, RegExp]>([
    ['timeout over 29 s', { timeout: Duration.seconds(30) }, /`timeout`/],
    ['memory over the bound', { memorySize: 10240 }, /`memorySize`/],
    ['zero reserved concurrency', { reservedConcurrentExecutions: 0 }, /`reservedConcurrentExecutions`/],
  ])('%s is rejected at synth', (_name, props, message) => {
    const stack = testStack();
    expect(() => new SecureFunction(stack, 'Fn', { entry: path.join(HANDLERS_DIR, 'health.ts'), serviceName: 'svc', ...props })).toThrow(message);
  });
});
