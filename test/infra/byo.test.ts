/**
 * Bring your own: authorizers the library refuses (they would not enforce the route table), HTTP
 * backends behind the same protections as Lambda routes, ApiAlarms on an API it did not build, and
 * handler entries in any of the languages a consumer writes them in.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Aws, Fn, Stack } from 'aws-cdk-lib';
import {
  AccessLogFormat, AuthorizationType, CfnStage, CognitoUserPoolsAuthorizer, IAuthorizer, LogGroupLogDestination, MockIntegration,
  RequestAuthorizer, RestApi, Stage as ApiStage, TokenAuthorizer,
} from 'aws-cdk-lib/aws-apigateway';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { UserPool } from 'aws-cdk-lib/aws-cognito';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { accessLogFormatProblems, requiredAccessLogFields } from '../../lib/common/access-log-format';
import { findHandlerEntry } from '../../lib/common/handler-entry';
import { acknowledgements } from '../../lib/compliance/acknowledge';
import { ApiAlarms } from '../../lib/constructs/api-alarms';
import { ApiIdentity } from '../../lib/constructs/api-identity';
import { SecureFunction } from '../../lib/constructs/secure-function';
import { SecureRestApi, SecureRestApiProps } from '../../lib/constructs/secure-rest-api';
import { accessLogFormatString } from '../../lib/defaults/logging';
import { RouteDefinition, RouteTable } from '../../lib/routes';
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
