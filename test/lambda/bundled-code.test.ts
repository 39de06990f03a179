import { readFileSync } from 'fs';
import * as path from 'path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { SECURITY_HEADERS } from '../../lambda/runtime/security-headers';
import { bundleOf } from '../helpers/bundles';

const FIXTURE = JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'events', 'apigw-rest-proxy.json'), 'utf8')) as APIGatewayProxyEvent;

function healthEvent(overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  const event = structuredClone(FIXTURE);
  event.resource = '/health';
  event.path = '/health';
  event.httpMethod = 'GET';
  event.body = null;
  // The route declares no query parameters: the handler kit rejects any (tested below).
  event.queryStringParameters = null;
  event.multiValueQueryStringParameters = null;
  event.headers = { Origin: 'https://app.example.com' };
  return { ...event, ...overrides };
}

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

describe('GET /health, the bundled code from cdk.out (esbuild, as deployed)', () => {
  let handler: Handler;
  const saved = process.env.ALLOWED_ORIGINS;

  beforeAll(() => {
    const bundle = bundleOf(/HealthFunction[0-9A-F]{8}$/);
    process.env.ALLOWED_ORIGINS = String(bundle.environment.ALLOWED_ORIGINS);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = (require(bundle.entryFile) as { handler: Handler }).handler;
  });
  afterAll(() => {
    process.env.ALLOWED_ORIGINS = saved;
  });

  test('answers 200 {"status":"ok"} and nothing else', async () => {
    const res = await handler(healthEvent());
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
  });

  test('carries every security header', async () => {
    const res = await handler(healthEvent());
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers?.[name]).toBe(value);
    expect(res.headers?.['Content-Type']).toMatch(/^application\/json/);
  });

  test('CORS: the allow-listed origin is echoed', async () => {
    const res = await handler(healthEvent());
    expect(res.headers?.['Access-Control-Allow-Origin']).toBe('https://app.example.com');
  });

  test('CORS: an unknown origin gets no Access-Control-Allow-Origin (never reflected, never *)', async () => {
    const res = await handler(healthEvent({ headers: { Origin: 'https://evil.example.net' } }));
    expect(res.headers?.['Access-Control-Allow-Origin']).toBeUndefined();
    expect(res.headers?.Vary).toBe('Origin');
  });

  test('undeclared query parameters, a body or another method are rejected with the envelope', async () => {
    expect((await handler(healthEvent({ queryStringParameters: { debug: 'true' } }))).statusCode).toBe(400);
    expect((await handler(healthEvent({ body: '{}' }))).statusCode).toBe(400);
    const post = await handler(healthEvent({ httpMethod: 'POST' }));
    expect(post.statusCode).toBe(405);
    expect(JSON.parse(post.body)).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED' } });
  });

  test('reveals no version, environment or dependency detail', async () => {
    const res = await handler(healthEvent());
    expect(res.body).not.toMatch(/version|node|aws|region|arn/i);
  });
});

/*
 * Every other function, as deployed: the esbuild bundles from the synthesized app, loaded in a fresh
 * module registry with the environment the template gives them, talking through their real, bundled
 * AWS SDK clients to real local servers (dynalite for DynamoDB, a loopback Secrets Manager endpoint)
 * selected by the SDK's standard `AWS_ENDPOINT_URL_<SERVICE>` variables. Nothing in the code is mocked.
 */
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';
import { startLocalSecrets, type LocalSecretsServer } from '../helpers/local-secrets';
import { signWebhook } from '../../lambda/runtime/webhook-signature';
import { PAYMENTS_TABLE } from '../../lambda/example/payments/payments-table';
import { bundledFunctions, type BundledFunction } from '../helpers/bundles';
import { execFile } from 'child_process';
import { authorizerFor, proxyEvent, validPayment } from './payments-helpers';

const CURSOR_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:bundle-cursor-AbCdEf';
const WEBHOOK_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:bundle-webhook-AbCdEf';
const WEBHOOK_SECRET = 'bundle-webhook-secret-0123456789abcdefghijklmnopqrstuvwxyz';


describe('payments functions and the authorizer, the bundled code from cdk.out in fresh Node.js processes against local servers', () => {
  let dynamo: LocalDynamo;
  let secrets: LocalSecretsServer;
  let tableName: string;

  interface Outcome { statusCode?: number; body?: Record<string, unknown>; headers?: Record<string, string>; error?: string }

  /**
   * Runs a bundle in its own process (its own module registry and realm, like a Lambda container) with
   * the template's environment, tokens replaced by the local resources, and returns one outcome per event.
   */
  function run(pattern: RegExp, events: unknown[], extra: Record<string, string> = {}): Promise<Outcome[]> {
    const found = bundledFunctions().filter((f) => pattern.test(f.logicalId));
    expect(found).toHaveLength(1);
    const bundle = found[0] as BundledFunction;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(bundle.environment)) if (typeof v === 'string') env[k] = v;
    if (PAYMENTS_TABLE.tableNameEnv in bundle.environment) env[PAYMENTS_TABLE.tableNameEnv] = tableName;
    if (PAYMENTS_TABLE.cursorSecretEnv in bundle.environment) env[PAYMENTS_TABLE.cursorSecretEnv] = CURSOR_ARN;
    if (PAYMENTS_TABLE.webhookSecretEnv in bundle.environment) env[PAYMENTS_TABLE.webhookSecretEnv] = WEBHOOK_ARN;
    Object.assign(env, extra, {
      AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      POWERTOOLS_LOG_LEVEL: 'CRITICAL', POWERTOOLS_METRICS_DISABLED: 'true',
    });
    return new Promise((resolve, reject) => {
      const child = execFile(process.execPath, [path.join(__dirname, '..', 'helpers', 'invoke-bundle.cjs')], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
        if (err) { reject(err); return; }
        const line = stdout.split('\n').find((l) => l.startsWith('@@RESULTS@@'));
        if (!line) { reject(new Error(`no results from ${bundle.logicalId}: ${stdout.slice(-500)}`)); return; }
        const results = JSON.parse(line.slice('@@RESULTS@@'.length)) as { result?: { statusCode: number; body: string; headers: Record<string, string> }; error?: string }[];
        resolve(results.map((r) => (r.result
          ? { statusCode: r.result.statusCode, body: JSON.parse(r.result.body) as Record<string, unknown>, headers: r.result.headers }
          : { error: r.error })));
      });
      child.stdin?.end(JSON.stringify({ entry: bundle.entryFile, env, events }));
    });
  }

  beforeAll(async () => {
    bundledFunctions();
    dynamo = await startDynalite();
    tableName = await dynamo.createPaymentsTable();
    secrets = await startLocalSecrets({
      [CURSOR_ARN]: { current: 'bundle-cursor-key-0123456789abcdefghijklmnopqrstuvwxyz' },
      [WEBHOOK_ARN]: { current: WEBHOOK_SECRET },
    });
  });
  afterAll(async () => {
    await secrets.stop();
    await dynamo.stop();
  });

  test('POST /payments: created once, replayed with the same key, conflicting and hostile bodies rejected without a write', async () => {
    const body = JSON.stringify(validPayment());
    const request = (b: string, key: string, authorizer: Record<string, unknown> | null = authorizerFor('user-alice')): unknown => proxyEvent('POST', '/payments', {
      body: b, headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key }, authorizer,
    });
    const hostile = ['{"__proto__":{"admin":true},"amount":1}', '{"amount":1.5,"currency":"EUR"}', 'not json', '{"a":'.repeat(200)];
    const [first, replay, conflict, ...rest] = await run(/CreatePaymentFunction[0-9A-F]{8}$/, [
      request(body, 'bundle-key-00000001'),
      request(body, 'bundle-key-00000001'),
      request(JSON.stringify(validPayment({ amount: 999 })), 'bundle-key-00000001'),
      ...hostile.map((h) => request(h, 'bundle-key-00000002')),
      request(body, 'bundle-key-00000003', null),
    ]);
    expect(first?.statusCode).toBe(201);
    expect(replay?.body).toEqual(first?.body);
    expect(conflict?.statusCode).toBe(409);
    const anonymous = rest.pop();
    for (const res of rest) {
      expect(res.statusCode).toBe(400);
      expect(res.body?.error).toMatchObject({ code: 'VALIDATION_FAILED', requestId: expect.any(String) });
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers?.[name]).toBe(value);
    }
    expect(anonymous?.statusCode).toBe(401);
    expect(await dynamo.countItems(tableName)).toBe(1);
  });

  test('GET /payments and /payments/{id}: owners see their payment, anyone else gets an empty list and 404', async () => {
    const [mine, theirs] = await run(/^PaymentsApiListPaymentsFunction[0-9A-F]{8}$/, [
      proxyEvent('GET', '/payments', { authorizer: authorizerFor('user-alice') }),
      proxyEvent('GET', '/payments', { authorizer: authorizerFor('user-mallory') }),
    ]);
    expect(mine?.statusCode).toBe(200);
    const items = (mine?.body?.items ?? mine?.body?.payments) as { id?: string; paymentId?: string }[];
    expect(items).toHaveLength(1);
    expect((theirs?.body?.items ?? theirs?.body?.payments) as unknown[]).toHaveLength(0);
    const id = items[0]?.id ?? items[0]?.paymentId ?? '';
    const get = (who: string): unknown => proxyEvent('GET', '/payments/{paymentId}', { path: `/payments/${id}`, pathParameters: { paymentId: id }, authorizer: authorizerFor(who) });
    const [own, other] = await run(/GetPaymentFunction[0-9A-F]{8}$/, [get('user-alice'), get('user-mallory')]);
    expect(own?.statusCode).toBe(200);
    expect(other?.statusCode).toBe(404);
  });

  test('GET /payments: a tampered cursor is refused; the cursor key is read from Secrets Manager (both stages)', async () => {
    const [res] = await run(/^PaymentsApiListPaymentsFunction[0-9A-F]{8}$/, [
      proxyEvent('GET', '/payments', { query: { limit: '1', cursor: 'eyJmb28iOiJiYXIifQ.tampered' }, authorizer: authorizerFor('user-alice') }),
    ]);
    expect(res?.statusCode).toBe(400);
    expect(secrets.calls.some((c) => c.secretId === CURSOR_ARN && c.stage === 'AWSCURRENT')).toBe(true);
  });

  test('POST /webhooks/processor: a forged HMAC is 401, the genuine one settles the payment', async () => {
    const [listed] = await run(/^PaymentsApiListPaymentsFunction[0-9A-F]{8}$/, [proxyEvent('GET', '/payments', { authorizer: authorizerFor('user-alice') })]);
    const payment = ((listed?.body?.items ?? listed?.body?.payments) as { id?: string; paymentId?: string }[])[0];
    const body = JSON.stringify({
      eventId: '3b241101-e2bb-4255-8caf-4136c566a962', type: 'payment.settled',
      paymentId: payment?.id ?? payment?.paymentId, occurredAt: new Date().toISOString(),
    });
    const now = Math.floor(Date.now() / 1000);
    const event = (signature: string): unknown => proxyEvent('POST', '/webhooks/processor', {
      body, headers: { 'Content-Type': 'application/json', 'X-Processor-Signature': signature },
    });
    const [forged, genuine] = await run(/ProcessorWebhookFunction[0-9A-F]{8}$/, [
      event(signWebhook(body, 'not-the-secret-0123456789abcdefghijklmnop', now)),
      event(signWebhook(body, WEBHOOK_SECRET, now)),
    ]);
    expect(forged?.statusCode).toBe(401);
    expect(genuine?.statusCode).toBe(200);
  });

  test('GET /admin/payments: lists every payment for an administrator', async () => {
    const [res] = await run(/AdminListPaymentsFunction[0-9A-F]{8}$/, [
      proxyEvent('GET', '/admin/payments', { authorizer: authorizerFor('user-root', { scopes: 'payments/admin', groups: 'admins' }) }),
    ]);
    expect(res?.statusCode).toBe(200);
    expect((res?.body?.items ?? res?.body?.payments) as unknown[]).toHaveLength(1);
  });

  test('authorizer: missing, non-bearer, malformed, alg:none, HS256 key-confusion and oversized tokens are refused with 401 before any key lookup', async () => {
    const fixture = JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'events', 'apigw-rest-authorizer-request.json'), 'utf8')) as Record<string, unknown>;
    const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', token_use: 'access', scope: 'payments/admin', exp: 9999999999 })}.`;
    // Key confusion: HS256 "signed" with a kid; refused on the header, so no JWKS download is attempted (none is reachable here).
    const hs = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'pool-key' })}.${b64({ sub: 'x', token_use: 'access', exp: 9999999999 })}.c2ln`;
    const events = [undefined, 'Basic dXNlcjpwYXNz', 'Bearer not-a-jwt', `Bearer ${none}`, `Bearer ${hs}`, `Bearer ${'a'.repeat(9000)}`].map((token) => {
      const event = structuredClone(fixture);
      event.methodArn = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/v1/GET/payments';
      event.headers = token === undefined ? {} : { Authorization: token };
      return event;
    });
    const outcomes = await run(/AuthorizerFunction[0-9A-F]{8}$/, events, {
      USER_POOL_ID: 'eu-west-1_BundleTst', USER_CLIENT_IDS: 'bundleuserclient01', MACHINE_CLIENT_IDS: 'bundlemachineclient1',
    });
    expect(outcomes.map((o) => o.error)).toEqual(events.map(() => 'Unauthorized'));
  });
});
