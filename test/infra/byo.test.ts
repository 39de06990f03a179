/**
 * Bring your own: authorizers the library refuses (they would not enforce the route table), HTTP
 * backends behind the same protections as Lambda routes, ApiAlarms on an API it did not build, and
 * handler entries in any of the languages a consumer writes them in.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Aws, Duration, Fn, Stack } from 'aws-cdk-lib';
import {
  AccessLogFormat, AuthorizationType, CfnStage, CognitoUserPoolsAuthorizer, IAuthorizer, LogGroupLogDestination, MockIntegration,
  RequestAuthorizer, RestApi, Stage as ApiStage, TokenAuthorizer, VpcLink,
} from 'aws-cdk-lib/aws-apigateway';
import { VpcLink as VpcLinkV2 } from 'aws-cdk-lib/aws-apigatewayv2';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { UserPool } from 'aws-cdk-lib/aws-cognito';
import { SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { ApplicationLoadBalancer, NetworkLoadBalancer } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { CfnTopic } from 'aws-cdk-lib/aws-sns';
import * as z from 'zod/mini';
import { accessLogFormatProblems, requiredAccessLogFields } from '../../lib/common/access-log-format';
import { findHandlerEntry } from '../../lib/common/handler-entry';
import { acknowledgements } from '../../lib/compliance/acknowledge';
import { ApiAlarms } from '../../lib/constructs/api-alarms';
import { ApiIdentity } from '../../lib/constructs/api-identity';
import {
  ANONYMOUS_PRINCIPAL, ANONYMOUS_PRINCIPAL_TYPE, HttpBackend, PRINCIPAL_HEADERS, REMOVED_CREDENTIAL,
} from '../../lib/constructs/http-backend';
import { SecureFunction } from '../../lib/constructs/secure-function';
import { SecureRestApi, SecureRestApiProps } from '../../lib/constructs/secure-rest-api';
import { WAF_RULE_NAMES } from '../../lib/defaults/waf';
import { accessLogFormatString } from '../../lib/defaults/logging';
import { openApiDocument } from '../../lib/openapi';
import { RouteDefinition, RouteTable } from '../../lib/routes';
import { AUTHORIZER_CONTEXT_KEYS, SAFE_ID } from '../../lambda/runtime/authorizer-context';
import { nagFindings, testApp, testStack } from '../helpers/app';
import { routeTableAuthorizer } from '../helpers/authorizer';

const HANDLERS_DIR = path.join(__dirname, '..', '..', 'lambda', 'example', 'handlers');

const HEALTH: RouteDefinition = {
  method: 'GET', path: '/health', handler: 'health', sensitivity: 'low',
  auth: { public: true, reason: 'Liveness probe for uptime monitors' },
};
const READ: RouteDefinition = { method: 'GET', path: '/accounts/{accountId}', handler: 'health', auth: { scopes: ['accounts/read'] } };
const ADMIN: RouteDefinition = {
  method: 'DELETE', path: '/accounts/{accountId}', handler: 'health', sensitivity: 'high',
  auth: { scopes: ['accounts/admin'], groups: ['admins'] },
};
const ROUTES: RouteTable = [HEALTH, READ, ADMIN];

function identity(stack: Stack, routes: RouteTable = ROUTES): ApiIdentity {
  return new ApiIdentity(stack, 'Identity', {
    routes, domainPrefix: 'accounts-byo-auth', publicClient: { callbackUrls: ['https://app.example.com/callback'] },
  });
}

function api(stack: Stack, props: Partial<SecureRestApiProps>): SecureRestApi {
  return new SecureRestApi(stack, 'Api', { routes: ROUTES, allowedOrigins: ['https://app.example.com'], handlersDir: HANDLERS_DIR, ...props });
}

function lambdaAuthorizer(stack: Stack): RequestAuthorizer {
  const fn = new SecureFunction(stack, 'OwnAuthorizerFn', { entry: path.join(HANDLERS_DIR, 'health.ts'), serviceName: 'own' });
  return new RequestAuthorizer(stack, 'OwnAuthorizer', { handler: fn, identitySources: ['method.request.header.Authorization'] });
}

describe('authorizer: only one that enforces the route table is accepted', () => {
  test('the ApiIdentity authorizer built from the same routes is accepted, on every protected method, with zero findings', () => {
    const app = testApp();
    const stack = testStack(app);
    const id = identity(stack);
    api(stack, { authorizer: id.authorizer });
    const findings = nagFindings(app);
    expect(findings).toEqual([]);
    const template = Template.fromStack(stack);
    const authorizerId = stack.resolve(id.authorizer.authorizerId) as unknown;
    for (const method of ['GET', 'DELETE']) {
      template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: method, AuthorizationType: 'CUSTOM', AuthorizerId: authorizerId });
    }
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('foreign-authorizer|did not build'));
  });

  test.each<[string, (stack: Stack) => IAuthorizer]>([
    ['a Cognito user-pools authorizer (any-of scopes per method, no groups)', (stack) =>
      new CognitoUserPoolsAuthorizer(stack, 'Cognito', { cognitoUserPools: [new UserPool(stack, 'Pool')] })],
    ['a REQUEST authorizer the library did not build', lambdaAuthorizer],
    ['a TOKEN authorizer the library did not build', (stack) => new TokenAuthorizer(stack, 'Token', {
      handler: new SecureFunction(stack, 'TokenFn', { entry: path.join(HANDLERS_DIR, 'health.ts'), serviceName: 'token' }),
    })],
    ['an imported authorizer of unknown type', () => ({ authorizerId: 'abc123' })],
    ['IAM authorization', () => ({ authorizerId: 'abc123', authorizationType: AuthorizationType.IAM })],
  ])('%s is refused at synth, naming `authorizer`', (_name, make) => {
    const stack = testStack();
    expect(() => api(stack, { authorizer: make(stack) })).toThrow(/invalid prop `authorizer`/);
  });

  test('the Cognito refusal says why and what to use instead', () => {
    const stack = testStack();
    const cognito = new CognitoUserPoolsAuthorizer(stack, 'Cognito', { cognitoUserPools: [new UserPool(stack, 'Pool')] });
    expect(() => api(stack, { authorizer: cognito })).toThrow(/authorizer`.*any one of a method's scopes and ignores groups.*ApiIdentity/);
  });

  test('an ApiIdentity authorizer built from another route table is refused, naming the route it would under-enforce', () => {
    const stack = testStack();
    // Same routes, but the admin route only needs accounts/read there and no group.
    const weaker = identity(stack, [HEALTH, READ, { ...ADMIN, auth: { scopes: ['accounts/admin'] } }]);
    expect(() => api(stack, { authorizer: weaker.authorizer })).toThrow(/`authorizer`.*another route table.*DELETE \/accounts\/\{accountId\}.*groups \[admins\].*routes\[2\]/);
  });

  test('an ApiIdentity authorizer with another step-up window is refused', () => {
    const stack = testStack();
    const stepUp = identity(stack, [HEALTH, READ, { ...ADMIN, auth: { ...ADMIN.auth, maxAuthAge: Duration.minutes(15) } as RouteDefinition['auth'] }]);
    expect(() => api(stack, { authorizer: stepUp.authorizer })).toThrow(/`authorizer`.*DELETE \/accounts\/\{accountId\}.*sign-in at most 900 s old/);
  });

  test('an ApiIdentity authorizer that lacks a protected route of the API is refused', () => {
    const stack = testStack();
    const partial = identity(stack, [HEALTH, READ]);
    expect(() => api(stack, { authorizer: partial.authorizer })).toThrow(/`authorizer`.*DELETE \/accounts\/\{accountId\}.*not in the authorizer's route policy/);
  });

  describe('unsafeAcceptForeignAuthorizer', () => {
    const reason = 'Team IAM reviewed it (SEC-142); it enforces the same scopes and groups, tested in its repo';

    test('accepts an own Lambda authorizer with a warning and the reason on every protected method\'s acknowledgement', () => {
      const app = testApp();
      const stack = testStack(app);
      const built = api(stack, { authorizer: lambdaAuthorizer(stack), unsafeAcceptForeignAuthorizer: { reason } });
      Annotations.fromStack(stack).hasWarning('/TestStack/Api', Match.stringLikeRegexp(`did not build.*${reason.slice(0, 20)}.*secure-rest-api:foreign-authorizer`));
      const acks = acknowledgements(built).filter((a) => a.id === 'AwsSolutions-COG4' && a.reason.includes('unsafeAcceptForeignAuthorizer'));
      expect(acks.map((a) => a.path).sort()).toEqual(['TestStack/Api/Api/Default/accounts/{accountId}/DELETE', 'TestStack/Api/Api/Default/accounts/{accountId}/GET']);
      expect(acks.every((a) => a.reason.includes(reason))).toBe(true);
      expect(nagFindings(app)).toEqual([]);
    });

    test('never accepts a Cognito authorizer', () => {
      const stack = testStack();
      const cognito = new CognitoUserPoolsAuthorizer(stack, 'Cognito', { cognitoUserPools: [new UserPool(stack, 'Pool')] });
      expect(() => api(stack, { authorizer: cognito, unsafeAcceptForeignAuthorizer: { reason } })).toThrow(/invalid prop `authorizer`/);
    });

    test('needs a real reason', () => {
      const stack = testStack();
      expect(() => api(stack, { authorizer: lambdaAuthorizer(stack), unsafeAcceptForeignAuthorizer: { reason: 'ok' } }))
        .toThrow(/unsafeAcceptForeignAuthorizer\.reason/);
    });

    test('is refused next to the library\'s own authorizer (nothing to opt out of) and without any authorizer', () => {
      const stack = testStack();
      expect(() => api(stack, { authorizer: routeTableAuthorizer(stack, ROUTES), unsafeAcceptForeignAuthorizer: { reason } }))
        .toThrow(/unsafeAcceptForeignAuthorizer/);
      expect(() => api(testStack(), { routes: [HEALTH], unsafeAcceptForeignAuthorizer: { reason } })).toThrow(/unsafeAcceptForeignAuthorizer/);
    });
  });
});

describe('handlersDir: .ts .mts .js .mjs .cjs entries', () => {
  const ESM = 'export const handler = async () => ({ statusCode: 200, body: "{}" });\n';
  const CJS = 'exports.handler = async () => ({ statusCode: 200, body: "{}" });\n';
  const CONTENT: Record<string, string> = { '.ts': ESM, '.mts': ESM, '.js': ESM, '.mjs': ESM, '.cjs': CJS };

  const created: string[] = [];
  afterAll(() => { for (const dir of created) fs.rmSync(dir, { recursive: true, force: true }); });

  function dirWith(...files: string[]): string {
    // Under the project root (NodejsFunction requires entries inside it), in the ignored cdk.out folder.
    const parent = path.join(__dirname, '..', '..', 'cdk.out', 'test-handlers');
    fs.mkdirSync(parent, { recursive: true });
    const dir = fs.mkdtempSync(path.join(parent, 'handlers-'));
    created.push(dir);
    for (const file of files) fs.writeFileSync(path.join(dir, file), CONTENT[path.extname(file)] ?? ESM);
    return dir;
  }

  function build(dir: string, bundle = false): { stack: Stack; api: SecureRestApi } {
    const stack = testStack(testApp({ bundle }));
    return { stack, api: new SecureRestApi(stack, 'Api', { routes: [HEALTH], allowedOrigins: [], handlersDir: dir }) };
  }

  test('each of .ts .mts .js .mjs .cjs is bundled by the local esbuild and the bundle answers as the Lambda runtime calls it', async () => {
    const exts = ['.ts', '.mts', '.js', '.mjs', '.cjs'];
    const names = exts.map((ext) => `h-${ext.slice(1)}`);
    const dir = dirWith(...exts.map((ext, i) => `${names[i]}${ext}`));
    const app = testApp({ bundle: true, context: { 'aws:cdk:enable-asset-metadata': true } });
    const stack = testStack(app);
    new SecureRestApi(stack, 'Api', {
      routes: names.map((handler): RouteDefinition => ({ ...HEALTH, path: `/${handler}`, handler })),
      allowedOrigins: [],
      handlersDir: dir,
    });
    const assembly = app.synth();
    const resources = assembly.getStackByName(stack.stackName).template.Resources as Record<string, { Type: string; Metadata?: Record<string, string>; Properties: { Description?: string } }>;
    for (const name of names) {
      const fn = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Description?.startsWith(`Handler ${name} `));
      const assetPath = fn?.Metadata?.['aws:asset:path'];
      expect(assetPath).toBeDefined();
      const bundle = path.join(assembly.directory, assetPath as string, 'index.js');
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle is CommonJS, as Lambda loads it
      const mod = require(bundle) as { handler: () => Promise<{ statusCode: number }> };
      await expect(mod.handler()).resolves.toEqual({ statusCode: 200, body: '{}' });
    }
  }, 120_000);

  test('a TypeScript source wins over the compiled .js tsc leaves beside it (and .mts over .mjs)', () => {
    const dir = dirWith('health.ts', 'health.js', 'other.mts', 'other.mjs', 'plain.cjs');
    expect(findHandlerEntry(dir, 'health')).toEqual({ kind: 'found', entry: path.join(dir, 'health.ts') });
    expect(findHandlerEntry(dir, 'other')).toEqual({ kind: 'found', entry: path.join(dir, 'other.mts') });
    expect(findHandlerEntry(dir, 'plain')).toEqual({ kind: 'found', entry: path.join(dir, 'plain.cjs') });
    expect(() => build(dir)).not.toThrow();
  });

  test.each([
    ['health.ts', 'health.mts'],
    ['health.js', 'health.cjs'],
    ['health.mjs', 'health.js'],
  ])('%s next to %s is ambiguous: synth error naming the handler', (a, b) => {
    const dir = dirWith(a, b);
    expect(() => build(dir)).toThrow(new RegExp(`routes\\[0\\]\\.handler.*"health".*GET /health.*several entry files.*${b.replace('.', '\\.')}|routes\\[0\\]\\.handler.*"health".*several entry files.*${a.replace('.', '\\.')}`));
  });

  test('a missing entry names the route and every file name searched', () => {
    const dir = dirWith('other.ts');
    expect(() => build(dir)).toThrow(/routes\[0\]\.handler.*"health" of GET \/health: none of health\.ts, health\.mts, health\.js, health\.mjs, health\.cjs exists/);
  });

  test('a handlersDir that is a token is refused (it is read at synth)', () => {
    expect(() => build(Fn.importValue('HandlersDir'))).toThrow(/`handlersDir`.*literal path/);
  });

  test('a directory named like an entry is not an entry', () => {
    const dir = dirWith();
    fs.mkdirSync(path.join(dir, 'health.ts'));
    expect(() => build(dir)).toThrow(/none of health\.ts/);
  });
});

describe('ApiAlarms on an API it did not build: the access-log format its filters read', () => {
  function ownApi(stack: Stack, format?: AccessLogFormat, logGroup = new LogGroup(stack, 'AccessLogs')): { stage: ApiStage; logGroup: LogGroup } {
    const rest = new RestApi(stack, 'OwnApi', {
      deployOptions: { accessLogDestination: new LogGroupLogDestination(logGroup), ...(format ? { accessLogFormat: format } : {}) },
    });
    rest.root.addMethod('GET', new MockIntegration());
    return { stage: rest.deploymentStage, logGroup };
  }

  test('accepts a stage that logs accessLogFormatString() to the given group, and its filters read those fields', () => {
    const stack = testStack();
    const { stage, logGroup } = ownApi(stack, AccessLogFormat.custom(accessLogFormatString()));
    new ApiAlarms(stack, 'Alarms', { stage, accessLogGroup: logGroup });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Logs::MetricFilter', 4);
    template.hasResourceProperties('AWS::Logs::MetricFilter', { FilterPattern: '{ $.status = 401 }' });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('access-log-format-unverified'));
  });

  test('the checker knows the fields from the filter definitions', () => {
    expect(requiredAccessLogFields()).toEqual([
      { key: 'apiId', variable: '$context.apiId', type: 'string' },
      { key: 'stage', variable: '$context.stage', type: 'string' },
      { key: 'status', variable: '$context.status', type: 'number' },
    ]);
    expect(accessLogFormatProblems(accessLogFormatString())).toEqual([]);
    expect(accessLogFormatProblems('{"apiId":"$context.apiId","stage":"$context.stage","status":"$context.status"}'))
      .toEqual([expect.stringMatching(/quotes "status"/)]);
    expect(accessLogFormatProblems('{"apiId":"$context.apiId","stage":"$context.stage","status":$context.integration.status}'))
      .toEqual([expect.stringMatching(/"status" but not as "status":\$context\.status/)]);
  });

  test.each<[string, AccessLogFormat | undefined, RegExp]>([
    ['CDK\'s default (CLF)', undefined, /invalid prop `stage`.*not a JSON object/],
    ['Common Log Format', AccessLogFormat.clf(), /invalid prop `stage`.*not a JSON object/],
    ['JSON with standard fields (no apiId/stage, quoted status)', AccessLogFormat.jsonWithStandardFields(), /invalid prop `stage`.*no "apiId" field.*no "stage" field.*quotes "status"/],
    ['a custom JSON format without status', AccessLogFormat.custom('{"requestId":"$context.requestId","apiId":"$context.apiId","stage":"$context.stage"}'), /invalid prop `stage`.*no "status" field/],
  ])('%s fails synth naming `stage`', (_name, format, message) => {
    const stack = testStack();
    const { stage, logGroup } = ownApi(stack, format);
    expect(() => new ApiAlarms(stack, 'Alarms', { stage, accessLogGroup: logGroup })).toThrow(message);
  });

  test('a stage without an access log fails synth naming `stage`', () => {
    const stack = testStack();
    const rest = new RestApi(stack, 'OwnApi');
    rest.root.addMethod('GET', new MockIntegration());
    expect(() => new ApiAlarms(stack, 'Alarms', { stage: rest.deploymentStage, accessLogGroup: new LogGroup(stack, 'Lg') }))
      .toThrow(/invalid prop `stage`.*writes no access log/);
  });

  test('a log group the stage does not write to fails synth naming `accessLogGroup`', () => {
    const stack = testStack();
    const { stage } = ownApi(stack, AccessLogFormat.custom(accessLogFormatString()));
    expect(() => new ApiAlarms(stack, 'Alarms', { stage, accessLogGroup: new LogGroup(stack, 'Other') }))
      .toThrow(/invalid prop `accessLogGroup`.*gets no access log/);
  });

  test('a format built from unresolvable tokens is accepted with a warning (never a false error)', () => {
    const stack = testStack();
    const format = AccessLogFormat.custom(Fn.join('', ['{"status":$context.status,"region":"', Aws.REGION, '"}']));
    const { stage, logGroup } = ownApi(stack, format);
    new ApiAlarms(stack, 'Alarms', { stage, accessLogGroup: logGroup });
    Annotations.fromStack(stack).hasWarning('/TestStack/Alarms', Match.stringLikeRegexp('could not be checked.*built from tokens'));
  });

  test('an escape-hatch change of the format after ApiAlarms was built fails synth', () => {
    const stack = testStack();
    const { stage, logGroup } = ownApi(stack, AccessLogFormat.custom(accessLogFormatString()));
    new ApiAlarms(stack, 'Alarms', { stage, accessLogGroup: logGroup });
    (stage.node.defaultChild as CfnStage).accessLogSetting = { destinationArn: logGroup.logGroupArn, format: AccessLogFormat.clf().toString() };
    expect(() => Template.fromStack(stack)).toThrow(/invalid prop `stage`.*not a JSON object/);
  });
});

describe('HTTP backends: routes proxied to an existing service keep every protection of the route table', () => {
  const CreateAccountBody = z.strictObject({ name: z.string().check(z.maxLength(70)) });
  const CREATE: RouteDefinition = {
    method: 'POST', path: '/accounts', handler: 'accounts', sensitivity: 'high', body: CreateAccountBody,
    auth: { scopes: ['accounts/write'] }, requiredHeaders: ['Idempotency-Key'],
  };
  const STATUS: RouteDefinition = {
    method: 'GET', path: '/status', handler: 'status', sensitivity: 'low', auth: { public: true, reason: 'Status page of the accounts service' },
  };
  const BACKEND_ROUTES: RouteTable = [
    HEALTH,
    { ...READ, handler: 'accounts' },
    { ...ADMIN, handler: 'accounts' },
    CREATE,
    STATUS,
  ];

  function buildWithBackends(backends: (stack: Stack) => SecureRestApiProps['backends'], extra: Partial<SecureRestApiProps> = {}, app = testApp()) {
    const stack = testStack(app);
    const id = identity(stack, extra.routes ?? BACKEND_ROUTES);
    const built = api(stack, { routes: BACKEND_ROUTES, authorizer: id.authorizer, backends: backends(stack), ...extra });
    let template: Template | undefined;
    return { stack, api: built, identity: id, template: (): Template => (template ??= Template.fromStack(stack)) };
  }

  const app = testApp();
  const built = buildWithBackends(() => ({
    accounts: HttpBackend.fromUrl('https://accounts.example.com/v2'),
    status: HttpBackend.fromUrl('https://status.example.com', { timeout: Duration.seconds(3) }),
  }), {}, app);
  const findings = nagFindings(app);
  const template = built.template();
  const methodOf = (method: string, pathPart: string): Record<string, any> => {
    const found = Object.values(template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: method } }))
      .map((r) => (r as { Properties: Record<string, any> }).Properties)
      .filter((p) => JSON.stringify(p.Integration?.Uri ?? '').includes(pathPart));
    expect(found).toHaveLength(1);
    return found[0] as Record<string, any>;
  };

  test('zero unacknowledged findings in AwsSolutions, PCI DSS 3.2.1 and NIST 800-53 r5 (the client certificate satisfies APIGWSSLEnabled)', () => {
    expect(findings).toEqual([]);
    expect(acknowledgements(built.stack).filter((a) => a.id.endsWith('APIGWSSLEnabled'))).toEqual([]);
  });

  test('a backend route is an HTTP_PROXY to <baseUrl><route path> with its path parameters mapped, no Lambda function', () => {
    const get = methodOf('GET', '/accounts/{accountId}');
    expect(get.Integration).toMatchObject({
      Type: 'HTTP_PROXY', IntegrationHttpMethod: 'GET', Uri: 'https://accounts.example.com/v2/accounts/{accountId}', TimeoutInMillis: 10000,
    });
    expect(get.Integration.RequestParameters['integration.request.path.accountId']).toBe('method.request.path.accountId');
    expect(get.Integration.ConnectionType ?? 'INTERNET').toBe('INTERNET');
    expect(built.api.functions.has('accounts')).toBe(false);
    expect(() => built.api.functionFor('accounts')).toThrow(/`backends\.accounts`.*HTTP backend, not a function/);
    expect(built.api.backends.get('accounts')?.baseUrl).toBe('https://accounts.example.com/v2');
    expect(methodOf('GET', 'status.example.com/status').Integration.TimeoutInMillis).toBe(3000);
  });

  test('protected backend routes carry the route table\'s authorizer, validator, required parameters and body model', () => {
    const authorizerId = built.stack.resolve(built.identity.authorizer.authorizerId) as unknown;
    const create = methodOf('POST', '/accounts');
    expect(create).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: authorizerId, RequestValidatorId: expect.anything() });
    expect(create.RequestParameters).toEqual({ 'method.request.header.Idempotency-Key': true });
    expect(Object.keys(create.RequestModels)).toEqual(['application/json']);
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Schema: Match.objectLike({ type: 'object', additionalProperties: false, required: ['name'] }),
    });
    expect(methodOf('DELETE', '/accounts/{accountId}')).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: authorizerId });
    expect(methodOf('GET', 'status.example.com/status').AuthorizationType).toBe('NONE');
  });

  test('the principal reaches the backend only in gateway-set headers that overwrite client copies; the token and API key do not', () => {
    const params = methodOf('GET', '/accounts/{accountId}').Integration.RequestParameters as Record<string, string>;
    expect(params).toMatchObject({
      'integration.request.header.X-Principal-Id': 'context.authorizer.principalId',
      'integration.request.header.X-Principal-Sub': 'context.authorizer.sub',
      'integration.request.header.X-Principal-Client-Id': 'context.authorizer.clientId',
      'integration.request.header.X-Principal-Scopes': 'context.authorizer.scopes',
      'integration.request.header.X-Principal-Groups': 'context.authorizer.groups',
      'integration.request.header.X-Principal-Type': 'context.authorizer.principalType',
      'integration.request.header.X-Request-Id': 'context.requestId',
      'integration.request.header.Authorization': `'${REMOVED_CREDENTIAL}'`,
      'integration.request.header.x-api-key': `'${REMOVED_CREDENTIAL}'`,
    });
    // Every authorizer-context key has its header (a new key cannot be forgotten).
    for (const key of ['principalId', ...AUTHORIZER_CONTEXT_KEYS]) {
      expect(params[`integration.request.header.${PRINCIPAL_HEADERS[key as keyof typeof PRINCIPAL_HEADERS]}`]).toBe(`context.authorizer.${key}`);
    }
  });

  test('on a public backend route the principal headers are overwritten with values no caller id can have', () => {
    const params = methodOf('GET', 'status.example.com/status').Integration.RequestParameters as Record<string, string>;
    expect(JSON.stringify(params)).not.toContain('context.authorizer');
    expect(params['integration.request.header.X-Principal-Type']).toBe(`'${ANONYMOUS_PRINCIPAL_TYPE}'`);
    for (const header of Object.values(PRINCIPAL_HEADERS).filter((h) => h !== 'X-Principal-Type')) {
      expect(params[`integration.request.header.${header}`]).toBe(`'${ANONYMOUS_PRINCIPAL}'`);
    }
    expect(SAFE_ID.test(ANONYMOUS_PRINCIPAL)).toBe(false);
  });

  test('the stage presents a client certificate to the backends', () => {
    template.resourceCountIs('AWS::ApiGateway::ClientCertificate', 1);
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      ClientCertificateId: { 'Fn::GetAtt': [built.stack.getLogicalId(built.api.backendClientCertificate!), 'ClientCertificateId'] },
    });
  });

  test('an API without backends has no client certificate and keeps its acknowledgement', () => {
    const stack = testStack();
    const plain = api(stack, { routes: [HEALTH] });
    expect(plain.backendClientCertificate).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::ApiGateway::ClientCertificate', 0);
    expect(acknowledgements(stack).some((a) => a.id.endsWith('APIGWSSLEnabled'))).toBe(true);
  });

  test('throttles and WAF rules derive from the route table as for Lambda routes', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([Match.objectLike({ HttpMethod: 'POST', ResourcePath: '/~1accounts', ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 })]),
    });
    const sensitive = JSON.stringify(wafRule(template, WAF_RULE_NAMES.rateLimitSensitive));
    expect(sensitive).toContain('accounts');
  });

  test('each backend gets 5xx and latency-near-timeout alarms on its routes\' per-method metrics, to the alarm topic', () => {
    const topic = { Ref: built.stack.getLogicalId(built.api.alarms.alarmTopic.node.defaultChild as CfnTopic) };
    const alarm = (name: string): Record<string, any> => {
      const found = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
        .map((r) => (r as { Properties: Record<string, any> }).Properties)
        .filter((p) => String(p.AlarmName).endsWith(name));
      expect(found).toHaveLength(1);
      return found[0] as Record<string, any>;
    };
    const errors = alarm('-backend-accounts-5xx');
    expect(errors.AlarmActions).toEqual([topic]);
    const dims = (errors.Metrics as { MetricStat?: { Metric: { Dimensions: { Name: string; Value: unknown }[]; MetricName: string } } }[])
      .filter((m) => m.MetricStat).map((m) => m.MetricStat!.Metric);
    expect(dims.map((m) => m.MetricName)).toEqual(['5XXError', '5XXError', '5XXError']);
    expect(dims.map((m) => m.Dimensions.find((d) => d.Name === 'Resource')?.Value).sort()).toEqual(['/accounts', '/accounts/{accountId}', '/accounts/{accountId}']);
    expect(dims.map((m) => m.Dimensions.find((d) => d.Name === 'Method')?.Value).sort()).toEqual(['DELETE', 'GET', 'POST']);
    const latency = alarm('-backend-accounts-latency-near-timeout');
    expect(latency.Threshold).toBe(Math.round(10000 * built.api.alarms.thresholds.lambdaDurationTimeoutRatio));
    expect(alarm('-backend-status-latency-near-timeout').Threshold).toBe(Math.round(3000 * built.api.alarms.thresholds.lambdaDurationTimeoutRatio));
  });

  test('OpenAPI describes backend routes from the route table like any other route', () => {
    const doc = openApiDocument(BACKEND_ROUTES, { title: 'Accounts', version: '1', authBaseUrl: 'https://auth.example.com' }) as { paths: Record<string, Record<string, any>> };
    expect(doc.paths['/accounts']?.post).toMatchObject({
      security: [{ oauth2: ['accounts/write'] }], 'x-sensitivity': 'high',
      requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/PostAccountsBody' } } } },
    });
    expect(doc.paths['/accounts/{accountId}']?.delete).toMatchObject({ security: [{ oauth2: ['accounts/admin'] }], 'x-required-groups': ['admins'] });
    expect(JSON.stringify(doc)).not.toContain('accounts.example.com');
  });

  test('VPC link V1: a private integration through the link to an NLB', () => {
    const { template: t } = buildWithBackends((stack) => {
      const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
      const nlb = new NetworkLoadBalancer(stack, 'Nlb', { vpc });
      const link = new VpcLink(stack, 'Link', { targets: [nlb] });
      return { accounts: HttpBackend.fromVpcLink(link, 'https://accounts.internal.example.com'), status: HttpBackend.fromUrl('https://status.example.com') };
    });
    const tpl = t();
    const linkId = Object.keys(tpl.findResources('AWS::ApiGateway::VpcLink'))[0];
    tpl.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      Integration: Match.objectLike({ Type: 'HTTP_PROXY', ConnectionType: 'VPC_LINK', ConnectionId: { Ref: linkId }, Uri: 'https://accounts.internal.example.com/accounts/{accountId}' }),
    });
  });

  test('VPC link V2: a private integration to an ALB, with the load balancer as integration target', () => {
    const { template: t } = buildWithBackends((s) => {
      const vpc = new Vpc(s, 'Vpc', { maxAzs: 2, natGateways: 0 });
      const alb = new ApplicationLoadBalancer(s, 'Alb', { vpc });
      const link = new VpcLinkV2(s, 'LinkV2', { vpc, subnets: { subnetType: SubnetType.PUBLIC } });
      return {
        accounts: HttpBackend.fromVpcLinkV2(link, alb.loadBalancerArn, `https://${alb.loadBalancerDnsName}`),
        status: HttpBackend.fromUrl('https://status.example.com'),
      };
    });
    const tpl = t();
    const linkId = Object.keys(tpl.findResources('AWS::ApiGatewayV2::VpcLink'))[0];
    const albId = Object.keys(tpl.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'))[0];
    tpl.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'DELETE',
      Integration: Match.objectLike({
        Type: 'HTTP_PROXY', ConnectionType: 'VPC_LINK', ConnectionId: { Ref: linkId }, IntegrationTarget: { Ref: albId },
        Uri: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [albId, 'DNSName'] }, '/accounts/{accountId}']] },
      }),
    });
  });

  test('credentials are forwarded only on request, with a warning', () => {
    const { stack, template: t } = buildWithBackends(() => ({
      accounts: HttpBackend.fromUrl('https://accounts.example.com', { forwardCredentials: true }),
      status: HttpBackend.fromUrl('https://status.example.com'),
    }));
    const get = Object.values(t().findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'GET' } }))
      .map((r) => (r as { Properties: Record<string, any> }).Properties)
      .find((p) => String(p.Integration?.Uri).includes('/accounts/'));
    expect(get?.Integration.RequestParameters['integration.request.header.Authorization']).toBeUndefined();
    expect(get?.Integration.RequestParameters['integration.request.header.X-Principal-Id']).toBe('context.authorizer.principalId');
    Annotations.fromStack(stack).hasWarning('/TestStack/Api', Match.stringLikeRegexp('backends.accounts.forwardCredentials'));
  });

  test.each<[string, () => HttpBackend, RegExp]>([
    ['plain http://', () => HttpBackend.fromUrl('http://accounts.example.com'), /`backends\.accounts\.baseUrl`.*plain HTTP.*TLS/],
    ['plain http:// with a token host', () => HttpBackend.fromUrl(`http://${Fn.importValue('AccountsHost')}`), /`backends\.accounts\.baseUrl`.*plain HTTP/],
    ['a URL that is one token (scheme unknown)', () => HttpBackend.fromUrl(Fn.importValue('AccountsUrl')), /`backends\.accounts\.baseUrl`.*literal "https:\/\/"/],
    ['a trailing slash', () => HttpBackend.fromUrl('https://accounts.example.com/'), /`backends\.accounts\.baseUrl`.*must not end with "\/"/],
    ['a query string', () => HttpBackend.fromUrl('https://accounts.example.com/v1?key=1'), /`backends\.accounts\.baseUrl`.*no query/],
    ['credentials in the URL', () => HttpBackend.fromUrl('https://user:pw@accounts.example.com'), /`backends\.accounts\.baseUrl`.*credentials/],
    ['a timeout above 29 s', () => HttpBackend.fromUrl('https://accounts.example.com', { timeout: Duration.seconds(30) }), /`backends\.accounts\.timeout`.*29 s/],
    ['a timeout below 50 ms', () => HttpBackend.fromUrl('https://accounts.example.com', { timeout: Duration.millis(10) }), /`backends\.accounts\.timeout`/],
    ['a VPC link V2 target that is not a load balancer', () => HttpBackend.fromVpcLinkV2({ vpcLinkId: 'abc123' } as never, 'arn:aws:s3:::bucket', 'https://a.example.com'), /`backends\.accounts\.loadBalancerArn`/],
  ])('%s is refused at synth', (_name, make, message) => {
    expect(() => buildWithBackends(() => ({ accounts: make(), status: HttpBackend.fromUrl('https://status.example.com') }))).toThrow(message);
  });

  test('a name in both handlers and backends, or a backend no route uses, is refused', () => {
    expect(() => buildWithBackends(() => ({ accounts: HttpBackend.fromUrl('https://a.example.com'), status: HttpBackend.fromUrl('https://s.example.com') }), {
      handlers: { accounts: new SecureFunction(testStack(), 'Fn', { entry: path.join(HANDLERS_DIR, 'health.ts'), serviceName: 'x' }) },
    })).toThrow(/`backends\.accounts`.*also in `handlers`/);
    expect(() => buildWithBackends(() => ({
      accounts: HttpBackend.fromUrl('https://a.example.com'), status: HttpBackend.fromUrl('https://s.example.com'), unused: HttpBackend.fromUrl('https://u.example.com'),
    }))).toThrow(/`backends\.unused`.*no route uses/);
  });
});

function wafRule(template: Template, name: string): unknown {
  const acl = Object.values(template.findResources('AWS::WAFv2::WebACL'))[0] as { Properties: { Rules: { Name: string }[] } };
  return acl.Properties.Rules.find((r) => r.Name === name);
}
