import * as http from 'http';
import type { AddressInfo } from 'net';
import { Duration, Stack } from 'aws-cdk-lib';
import {
  ApiKeySourceType, AuthorizationType, IdentitySource, MockIntegration, Model, JsonSchemaType, JsonSchemaVersion, Period, RequestAuthorizer, RequestValidator, RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { readApis } from '../../lib/local/api-model';
import type { CfnTemplate } from '../../lib/local/assembly';
import type { InvokeOutcome } from '../../lib/local/functions';
import { LocalGateway } from '../../lib/local/gateway';
import { IntrinsicResolver } from '../../lib/local/intrinsics';
import { evaluatePolicy, globMatch } from '../../lib/local/policy';
import { generateSecretValue, LocalSecretStore } from '../../lib/local/secrets-manager';
import { TokenBucket } from '../../lib/local/throttle';
import { ModelValidator } from '../../lib/local/validation';
import { testApp, testStack } from '../helpers/app';
import { call, type Reply } from './local-helpers';

// The local gateway on templates CDK itself synthesizes (plain aws-apigateway constructs, so the
// gateway is shown to read any REST API, not only SecureRestApi's), with the authorizer function
// replaced by a recorded stand-in (named so): what is under test is the gateway's handling of
// identity sources, caching, policies, API keys from the authorizer, plans and CORS mocks.

interface Harness {
  readonly url: string;
  readonly invocations: unknown[];
  readonly gateway: LocalGateway;
  readonly store: LocalSecretStore;
  close(): Promise<void>;
}

async function serve(stack: Stack, authorizerResult: (event: Record<string, unknown>) => InvokeOutcome): Promise<Harness> {
  const template = Template.fromStack(stack).toJSON() as CfnTemplate;
  const resolver = new IntrinsicResolver(template, { region: 'eu-west-1', account: '123456789012', stackName: stack.stackName, partition: 'aws', urlSuffix: 'amazonaws.com' });
  const store = new LocalSecretStore(Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret').map(([id]) => ({
    arn: resolver.ref(id), generate: resolver.properties(id).GenerateSecretString as never,
  })));
  resolver.setDynamicReferenceResolver((ref) => store.resolveReference(ref));
  const [api] = readApis(resolver);
  if (!api) throw new Error('no api');
  const invocations: unknown[] = [];
  const gateway = new LocalGateway({
    api, stage: api.stages[0] as never, region: 'eu-west-1', account: '123456789012', accessLog: () => undefined,
    invoke: (_fn, event) => {
      invocations.push(event);
      return Promise.resolve(authorizerResult(event as Record<string, unknown>));
    },
  });
  const stage = `/${api.stages[0]?.name ?? ''}`;
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    void gateway.handle(req, res, u.pathname.slice(stage.length), u.search.slice(1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${stage}`,
    invocations, gateway, store,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

const allow = (resource: string, extra: Record<string, unknown> = {}): InvokeOutcome => ({
  kind: 'result', durationMs: 1,
  payload: { principalId: 'caller-1', policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: resource }] }, context: { tier: 'gold' }, ...extra },
});

/** A REST API with a REQUEST authorizer (Authorization header, 300 s cache) and an API key from a Secrets Manager secret, key source AUTHORIZER. */
function keyedApi(): { stack: Stack } {
  const stack = testStack(testApp(), 'KeyedStack');
  const fn = new LambdaFunction(stack, 'AuthFn', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler=async()=>({})') });
  const authorizer = new RequestAuthorizer(stack, 'Auth', { handler: fn, identitySources: [IdentitySource.header('Authorization')], resultsCacheTtl: Duration.minutes(5) });
  const api = new RestApi(stack, 'Api', { apiKeySourceType: ApiKeySourceType.AUTHORIZER, deployOptions: { stageName: 'live' } });
  const ok = new MockIntegration({ requestTemplates: { 'application/json': '{"statusCode": 200}' }, integrationResponses: [{ statusCode: '200', responseTemplates: { 'application/json': '{"ok":true,"principal":"$context.authorizer.principalId"}' } }] });
  const options = { authorizer, authorizationType: AuthorizationType.CUSTOM, apiKeyRequired: true, methodResponses: [{ statusCode: '200' }] };
  api.root.addResource('orders').addMethod('GET', ok, options);
  api.root.addResource('invoices').addMethod('GET', ok, options);
  const secret = new Secret(stack, 'KeySecret', { generateSecretString: { secretStringTemplate: '{}', generateStringKey: 'apiKey', excludePunctuation: true, passwordLength: 40 } });
  const key = api.addApiKey('PartnerKey', { value: secret.secretValueFromJson('apiKey').unsafeUnwrap() });
  const plan = api.addUsagePlan('Plan', { throttle: { rateLimit: 1, burstLimit: 5 }, quota: { limit: 14, period: Period.DAY } });
  plan.addApiStage({ stage: api.deploymentStage });
  plan.addApiKey(key);
  return { stack };
}

describe('authorizer, API key from the authorizer, usage plan (template synthesized by CDK)', () => {
  let h: Harness;
  let keyValue: string;

  beforeAll(async () => {
    h = await serve(keyedApi().stack, (event) => {
      const token = (event.headers as Record<string, string>).Authorization;
      if (token === 'Bearer deny-explicit') {
        return { kind: 'result', durationMs: 1, payload: { principalId: 'x', policyDocument: { Statement: [
          { Effect: 'Allow', Action: 'execute-api:*', Resource: 'arn:aws:execute-api:*' },
          { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:eu-west-1:123456789012:*/live/GET/invoices' },
        ] }, usageIdentifierKey: keyValue } };
      }
      if (token === 'Bearer reject') return { kind: 'error', durationMs: 1, error: { errorType: 'Error', errorMessage: 'Unauthorized' } };
      if (token === 'Bearer wrong-key') return allow('arn:aws:execute-api:eu-west-1:123456789012:*/live/GET/*', { usageIdentifierKey: 'not-a-key-of-any-plan' });
      if (token === 'Bearer nested') return allow('*', { usageIdentifierKey: keyValue, context: { nested: { a: 1 } } });
      // Only GET /orders and /invoices of this stage, with the plan's key.
      return allow('arn:aws:execute-api:eu-west-1:123456789012:*/live/GET/*', { usageIdentifierKey: keyValue });
    });
    const secretArn = h.store.list()[0]?.arn ?? '';
    keyValue = (JSON.parse(h.store.value(secretArn).value) as { apiKey: string }).apiKey;
  });

  afterAll(() => h.close());

  test('the API key value is the Secrets Manager dynamic reference, resolved from the local store', () => {
    expect(keyValue).toMatch(/^[A-Za-z0-9]{40}$/);
  });

  test('missing identity source: 401 without invoking the authorizer', async () => {
    const before = h.invocations.length;
    const reply = await call(`${h.url}/orders`);
    expect(reply.status).toBe(401);
    expect(reply.json).toEqual({ message: 'Unauthorized' });
    expect(h.invocations.length).toBe(before);
  });

  test('"Unauthorized" from the authorizer is a 401; the request event carries the method ARN of the concrete path', async () => {
    const reply = await call(`${h.url}/orders`, { headers: { Authorization: 'Bearer reject' } });
    expect(reply.status).toBe(401);
    const event = h.invocations.at(-1) as { type: string; methodArn: string; resource: string };
    expect(event.type).toBe('REQUEST');
    expect(event.methodArn).toMatch(/^arn:aws:execute-api:eu-west-1:123456789012:[a-z0-9]{10}\/live\/GET\/orders$/);
  });

  test('the decision is cached per identity source value and reused for another route; the authorizer context reaches the integration', async () => {
    const before = h.invocations.length;
    const a = await call(`${h.url}/orders`, { headers: { Authorization: 'Bearer good-1' } });
    const b = await call(`${h.url}/invoices`, { headers: { Authorization: 'Bearer good-1' } });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.json).toEqual({ ok: true, principal: 'caller-1' });
    expect(h.invocations.length).toBe(before + 1);
    await call(`${h.url}/orders`, { headers: { Authorization: 'Bearer good-2' } });
    expect(h.invocations.length).toBe(before + 2);
  });

  test('an explicit Deny wins over a wildcard Allow (403 ACCESS_DENIED), for the denied route only', async () => {
    const denied = await call(`${h.url}/invoices`, { headers: { Authorization: 'Bearer deny-explicit' } });
    expect(denied.status).toBe(403);
    expect(denied.json).toEqual({ message: 'User is not authorized to access this resource with an explicit deny' });
    expect((await call(`${h.url}/orders`, { headers: { Authorization: 'Bearer deny-explicit' } })).status).toBe(200);
  });

  test('a usageIdentifierKey of no plan is 403 INVALID_API_KEY ("Forbidden")', async () => {
    const reply = await call(`${h.url}/orders`, { headers: { Authorization: 'Bearer wrong-key' } });
    expect(reply.status).toBe(403);
    expect(reply.json).toEqual({ message: 'Forbidden' });
  });

  test('a non-primitive authorizer context value is an AUTHORIZER_CONFIGURATION_ERROR (500)', async () => {
    expect((await call(`${h.url}/orders`, { headers: { Authorization: 'Bearer nested' } })).status).toBe(500);
  });

  test('the plan throttles its key (burst 5) and then counts the quota (14 a day): 429 THROTTLED, then 429 QUOTA_EXCEEDED', async () => {
    await new Promise((r) => setTimeout(r, 5100)); // refill the bucket used above
    const burst: Reply[] = await Promise.all(Array.from({ length: 10 }, (_, i) => call(`${h.url}/orders`, { headers: { Authorization: `Bearer burst-${i}` } })));
    expect(burst.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    expect(burst.find((r) => r.status === 429)?.json).toEqual({ message: 'Too Many Requests' });
    let quota: Reply | undefined;
    for (let i = 0; i < 10 && quota === undefined; i++) {
      await new Promise((r) => setTimeout(r, 1100));
      const reply = await call(`${h.url}/orders`, { headers: { Authorization: 'Bearer good-1' } });
      if (reply.json?.message === 'Limit Exceeded') quota = reply;
    }
    expect(quota?.status).toBe(429);
  });
});

describe('CORS preflight and models from CDK-synthesized templates', () => {
  let h: Harness;

  beforeAll(async () => {
    const stack = testStack(testApp(), 'CorsStack');
    const api = new RestApi(stack, 'Api', {
      defaultCorsPreflightOptions: { allowOrigins: ['https://one.example', 'https://two.example'], allowMethods: ['GET', 'POST'], statusCode: 204 },
    });
    const model = new Model(stack, 'Body', {
      restApi: api, contentType: 'application/json',
      schema: {
        schema: JsonSchemaVersion.DRAFT4, type: JsonSchemaType.OBJECT, required: ['id', 'at'], additionalProperties: false,
        properties: { id: { type: JsonSchemaType.STRING, format: 'uuid' }, at: { type: JsonSchemaType.STRING, format: 'date-time' }, n: { type: JsonSchemaType.INTEGER, minimum: 0, exclusiveMinimum: true } },
      },
    });
    const validator = new RequestValidator(stack, 'V', { restApi: api, validateRequestBody: true, validateRequestParameters: true });
    api.root.addResource('things').addMethod('POST', new MockIntegration({
      requestTemplates: { 'application/json': '{"statusCode": 201}' },
      integrationResponses: [{ statusCode: '201', responseTemplates: { 'application/json': '{"created":true}' } }],
    }), {
      requestModels: { 'application/json': model }, requestValidator: validator,
      requestParameters: { 'method.request.header.X-Tenant': true }, methodResponses: [{ statusCode: '201' }],
    });
    h = await serve(stack, () => ({ kind: 'crash', durationMs: 0, detail: 'no functions here' }));
  });

  afterAll(() => h.close());

  test.each([
    ['https://one.example', 'https://one.example'],
    ['https://two.example', 'https://two.example'],
    ['https://evil.example', 'https://one.example'],
  ])('preflight from %s: the mock answers Access-Control-Allow-Origin %s (CDK\'s VTL template evaluated)', async (origin, expected) => {
    const reply = await call(`${h.url}/things`, { method: 'OPTIONS', headers: { Origin: origin } });
    expect(reply.status).toBe(204);
    expect(reply.headers.get('access-control-allow-origin')).toBe(expected);
    expect(reply.headers.get('access-control-allow-methods')).toBe('GET,POST');
  });

  const post = (body: string, headers: Record<string, string> = { 'X-Tenant': 't1', 'Content-Type': 'application/json' }): Promise<Reply> =>
    call(`${h.url}/things`, { method: 'POST', body, headers });

  test('draft 4: a valid body passes, "uuid" is an unknown format and is ignored (not rejected), "date-time" is checked', async () => {
    expect((await post(JSON.stringify({ id: 'not-a-uuid', at: '2026-12-01T08:00:00Z', n: 1 }))).status).toBe(201);
    const badDate = await post(JSON.stringify({ id: 'x', at: 'yesterday' }));
    expect(badDate.status).toBe(400);
    expect(badDate.json).toEqual({ message: 'Invalid request body' });
  });

  test('draft 4 semantics: boolean exclusiveMinimum, additionalProperties false, required', async () => {
    expect((await post(JSON.stringify({ id: 'x', at: '2026-12-01T08:00:00Z', n: 0 }))).status).toBe(400);
    expect((await post(JSON.stringify({ id: 'x', at: '2026-12-01T08:00:00Z', extra: 1 }))).status).toBe(400);
    expect((await post(JSON.stringify({ id: 'x' }))).status).toBe(400);
  });

  test('a required header missing: 400 BAD_REQUEST_PARAMETERS naming it', async () => {
    const reply = await post('{}', { 'Content-Type': 'application/json' });
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ message: 'Missing required request parameters: [X-Tenant]' });
  });

  test('no Content-Type means application/json (validated); a type without a model is not validated, as in API Gateway', async () => {
    // fetch would add text/plain to a string body: a raw request sends none.
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${h.url}/things`, { method: 'POST', headers: { 'X-Tenant': 't1' } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', reject);
      req.end('not json');
    });
    expect(status).toBe(400);
    expect((await post('not json', { 'X-Tenant': 't1', 'Content-Type': 'text/plain' })).status).toBe(201);
  });

  test('an unknown route is 403 MISSING_AUTHENTICATION_TOKEN by default (no customized gateway response)', async () => {
    const reply = await call(`${h.url}/nothing`);
    expect(reply.status).toBe(403);
    expect(reply.json).toEqual({ message: 'Missing Authentication Token' });
  });
});

describe('building blocks', () => {
  test('IAM evaluation: wildcards in the execute-api ARN, explicit Deny wins, implicit deny otherwise', () => {
    const arn = 'arn:aws:execute-api:eu-west-1:123456789012:abc/v1/GET/payments/42';
    const allowAll = { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:eu-west-1:123456789012:abc/v1/*/payments/*' };
    expect(evaluatePolicy({ Statement: [allowAll] }, arn)).toBe('Allow');
    expect(evaluatePolicy({ Statement: [allowAll, { Effect: 'Deny', Action: 'execute-api:*', Resource: arn }] }, arn)).toBe('Deny');
    expect(evaluatePolicy({ Statement: [{ ...allowAll, Resource: 'arn:aws:execute-api:eu-west-1:123456789012:abc/v1/POST/*' }] }, arn)).toBe('ImplicitDeny');
    expect(globMatch('a?c*', 'abcdef')).toBe(true);
    expect(globMatch('a?c', 'ac')).toBe(false);
  });

  test('GenerateSecretString: length, excluded classes and characters, JSON template', () => {
    const v = generateSecretValue({ PasswordLength: 64, ExcludePunctuation: true, ExcludeCharacters: 'aA0' });
    expect(v).toMatch(/^[B-Zb-z1-9]{64}$/);
    const json = JSON.parse(generateSecretValue({ SecretStringTemplate: '{"user":"svc"}', GenerateStringKey: 'password', PasswordLength: 20 })) as Record<string, string>;
    expect(json.user).toBe('svc');
    expect(json.password).toHaveLength(20);
  });

  test('token bucket: burst, then the rate refills', () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now = 500;
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
  });

  test('ModelValidator ignores formats draft 4 does not define and checks the ones it does', () => {
    const v = new ModelValidator();
    expect(v.validate({ type: 'string', format: 'date' }, 'not a date').valid).toBe(true);
    expect(v.validate({ type: 'string', format: 'email' }, 'nobody').valid).toBe(false);
    expect(v.validate({ type: 'string', format: 'ipv4' }, '10.0.0.1').valid).toBe(true);
  });
});
