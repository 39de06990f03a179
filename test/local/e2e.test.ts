import { randomUUID } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { startLocalRun, type LocalEndpoints, type LocalRun } from '../../lib/local/runner';
import { machineAccessClaims, nowSeconds, TestKeys, unsignedToken } from '../helpers/tokens';
import { accessLogEntries, call, errorCode, machineToken, synthExample, userTokens, webhookSignature, type Reply } from './local-helpers';

// End-to-end over HTTP against the local run of the synthesized example app: the gateway as the
// template defines it, the bundled authorizer and handlers from cdk.out in worker processes, the
// local issuer (real RS256 tokens from its token endpoint and sign-in page), dynalite and the local
// Secrets Manager. Nothing is mocked; each request goes gateway -> authorizer -> handler -> store.

jest.setTimeout(120_000);

let run: LocalRun;
let e: LocalEndpoints;
const accessLog: string[] = [];
const functionOutput: string[] = [];
let machine: string;
/** The admin's tokens from the sign-in test (a second sign-in within one TOTP step would be a replay). */
let adminTokens: { accessToken: string; idToken: string } | undefined;

const creditor = { name: 'Jane Doe', iban: 'DE89370400440532013000' };
const newPayment = (amount = 1250): string => JSON.stringify({ amount, currency: 'EUR', creditor, reference: 'Invoice 42' });

/** Headers of an authenticated call: the bearer token, and the API key when the key source is HEADER. */
function auth(token: string, extra: Record<string, string> = {}): Record<string, string> {
  const key = e.apiKeys.find((k) => k.tier === 'standard') ?? e.apiKeys[0];
  return {
    Authorization: `Bearer ${token}`,
    ...(e.apiKeySource === 'HEADER' && key ? { 'x-api-key': key.value } : {}),
    ...extra,
  };
}

/** Items in the run's payments table, read straight from dynalite (as an operator would). */
async function countPayments(): Promise<number> {
  const dynamo = new DynamoDBClient({ endpoint: e.dynamodbEndpoint, region: e.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  try {
    const out = await dynamo.send(new ScanCommand({ TableName: e.tables[0]?.tableName ?? '', Select: 'COUNT', ConsistentRead: true }));
    return out.Count ?? 0;
  } finally {
    dynamo.destroy();
  }
}

beforeAll(async () => {
  const assemblyDir = synthExample();
  run = await startLocalRun({
    assemblyDir, port: 0, endpointsFile: false,
    accessLog: (line) => { accessLog.push(line); },
    functionOutput: (_name, chunk) => { functionOutput.push(chunk); },
  });
  e = run.endpoints;
  machine = await machineToken(e, e.machineClient?.scopes ?? []);
});

afterAll(async () => {
  await run.close();
});

describe('the gateway is driven by the template', () => {
  test('public route: GET /health answers 200 from the bundled handler, with one access-log line in the stage format', async () => {
    const before = accessLog.length;
    const reply = await call(`${e.apiUrl}/health`);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ status: 'ok' });
    expect(accessLog.length).toBe(before + 1);
    const [entry] = accessLogEntries(accessLog.slice(before));
    expect(entry).toMatchObject({ httpMethod: 'GET', resourcePath: '/health', path: `/${e.stage}/health`, stage: e.stage, status: 200, integrationStatus: '200' });
    expect(entry?.requestId).toBe(reply.headers.get('x-amzn-requestid'));
  });

  test('an unknown path gets the template\'s MISSING_AUTHENTICATION_TOKEN response (404 envelope), not a handler', async () => {
    const reply = await call(`${e.apiUrl}/nowhere`);
    expect(reply.status).toBe(404);
    expect(errorCode(reply)).toBe('NOT_FOUND');
    expect(reply.headers.get('strict-transport-security')).toMatch(/max-age=/);
  });

  test('CORS preflight is answered by the OPTIONS mock integration with the template\'s headers', async () => {
    const origin = e.allowedOrigins[0] ?? '';
    const reply = await call(`${e.apiUrl}/payments`, {
      method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
    });
    expect(reply.status).toBe(204);
    expect(reply.headers.get('access-control-allow-origin')).toBe(origin);
    expect(reply.headers.get('access-control-allow-methods')).toContain('POST');
    expect(reply.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(reply.headers.get('access-control-max-age')).toBe('600');
  });
});

describe('authorizer: identity source, cache, policy', () => {
  test('no Authorization header: 401 envelope without invoking the authorizer', async () => {
    const before = run.gateway.stats.authorizerInvocations;
    const reply = await call(`${e.apiUrl}/payments`, { headers: e.apiKeySource === 'HEADER' ? { 'x-api-key': e.apiKeys[0]?.value ?? '' } : {} });
    expect(reply.status).toBe(401);
    expect(errorCode(reply)).toBe('UNAUTHORIZED');
    expect(run.gateway.stats.authorizerInvocations).toBe(before);
  });

  test('machine client: create, read and list a payment; the decision cached for POST is reused for the GET routes', async () => {
    const token = await machineToken(e, e.machineClient?.scopes ?? []);
    const invocations = run.gateway.stats.authorizerInvocations;
    const hits = run.gateway.stats.authorizerCacheHits;
    const countBefore = await countPayments();

    const created = await call(`${e.apiUrl}/payments`, {
      method: 'POST', body: newPayment(), headers: auth(token, { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() }),
    });
    expect(created.status).toBe(201);
    const paymentId = String(created.json?.paymentId);
    expect(await countPayments()).toBe(countBefore + 1);

    const read = await call(`${e.apiUrl}/payments/${paymentId}`, { headers: auth(token) });
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ paymentId, amount: 1250, currency: 'EUR' });
    const list = await call(`${e.apiUrl}/payments`, { headers: auth(token) });
    expect(list.status).toBe(200);
    expect((list.json?.items as { paymentId: string }[]).map((p) => p.paymentId)).toContain(paymentId);

    // One authorizer invocation for three routes: the policy it returned covers every permitted route.
    expect(run.gateway.stats.authorizerInvocations).toBe(invocations + 1);
    expect(run.gateway.stats.authorizerCacheHits).toBe(hits + 2);
    const entries = accessLogEntries(accessLog.slice(-3));
    expect(entries.map((x) => x.principalId)).toEqual([e.machineClient?.clientId, e.machineClient?.clientId, e.machineClient?.clientId]);
  });

  test('the authorizer context reaches the handler: a user sees only their own payments, an admin (admins group) sees all', async () => {
    const userScopes = (e.publicClient?.scopes ?? []).filter((s) => s.includes('/'));
    const user = await userTokens(e, e.users.find((u) => u.groups.length === 0)?.username ?? '', userScopes);
    const admin = await userTokens(e, e.users.find((u) => u.groups.length > 0)?.username ?? '', userScopes);
    adminTokens = admin;

    const mine = await call(`${e.apiUrl}/payments`, {
      method: 'POST', body: newPayment(99), headers: auth(user.accessToken, { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() }),
    });
    expect(mine.status).toBe(201);
    const ownList = await call(`${e.apiUrl}/payments`, { headers: auth(user.accessToken) });
    const ownIds = (ownList.json?.items as { paymentId: string }[]).map((p) => p.paymentId);
    expect(ownIds).toEqual([mine.json?.paymentId]);

    const denied = await call(`${e.apiUrl}/admin/payments`, { headers: auth(user.accessToken) });
    expect(denied.status).toBe(403);
    expect(errorCode(denied)).toBe('FORBIDDEN');

    const all = await call(`${e.apiUrl}/admin/payments`, { headers: auth(admin.accessToken) });
    expect(all.status).toBe(200);
    expect((all.json?.items as unknown[]).length).toBeGreaterThanOrEqual(2);
  });

  test('an ID token (wrong token use) and a garbage bearer are refused with 401', async () => {
    expect(adminTokens).toBeDefined();
    const idToken = await call(`${e.apiUrl}/payments`, { headers: auth(adminTokens?.idToken ?? '') });
    expect(idToken.status).toBe(401);
    expect(errorCode(idToken)).toBe('UNAUTHORIZED');
    const garbage = await call(`${e.apiUrl}/payments`, { headers: auth('not.a.jwt') });
    expect(garbage.status).toBe(401);
    expect(errorCode(garbage)).toBe('UNAUTHORIZED');
  });
});

describe('request validation happens in the gateway layer', () => {
  test('a body the model rejects gets the BAD_REQUEST_BODY envelope and never reaches the handler or the table', async () => {
    const integrations = run.gateway.stats.integrationInvocations;
    const count = await countPayments();
    const bad = await call(`${e.apiUrl}/payments`, {
      method: 'POST',
      body: JSON.stringify({ amount: 'ten', currency: 'EUR', creditor, extra: true }),
      headers: auth(machine, { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() }),
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ error: { code: 'VALIDATION_FAILED', message: 'The request body is invalid.', requestId: bad.headers.get('x-amzn-requestid') } });
    const notJson = await call(`${e.apiUrl}/payments`, {
      method: 'POST', body: '{"amount":', headers: auth(machine, { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() }),
    });
    expect(notJson.status).toBe(400);
    expect(run.gateway.stats.integrationInvocations).toBe(integrations);
    expect(await countPayments()).toBe(count);
    const [entry] = accessLogEntries(accessLog.slice(-2));
    expect(entry).toMatchObject({ status: 400, errorType: 'BAD_REQUEST_BODY', integrationStatus: '-' });
  });

  test('a missing required header gets the BAD_REQUEST_PARAMETERS envelope without invoking the handler', async () => {
    const integrations = run.gateway.stats.integrationInvocations;
    const reply = await call(`${e.apiUrl}/payments`, { method: 'POST', body: newPayment(), headers: auth(machine, { 'Content-Type': 'application/json' }) });
    expect(reply.status).toBe(400);
    expect(reply.json?.error).toMatchObject({ code: 'VALIDATION_FAILED', message: 'A required request parameter is missing or invalid.' });
    expect(run.gateway.stats.integrationInvocations).toBe(integrations);
  });
});

describe('webhook and secrets', () => {
  test('the processor webhook is verified against the local Secrets Manager value and settles the payment', async () => {
    const created = await call(`${e.apiUrl}/payments`, {
      method: 'POST', body: newPayment(500), headers: auth(machine, { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() }),
    });
    const body = JSON.stringify({ eventId: randomUUID(), type: 'payment.settled', paymentId: created.json?.paymentId, occurredAt: new Date().toISOString() });
    const unsigned = await call(`${e.apiUrl}/webhooks/processor`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', 'X-Processor-Signature': 't=1,v1=00' } });
    expect(unsigned.status).toBe(401);
    const signed = await call(`${e.apiUrl}/webhooks/processor`, {
      method: 'POST', body, headers: { 'Content-Type': 'application/json', 'X-Processor-Signature': webhookSignature(body, e.webhookSecret ?? '') },
    });
    expect(signed.status).toBe(200);
    expect(signed.json).toEqual({ received: true, result: 'applied' });
    const read = await call(`${e.apiUrl}/payments/${String(created.json?.paymentId)}`, { headers: auth(machine) });
    expect(read.json?.status).toBe('settled');
  });

  test('rotating the cursor key runs the template\'s rotation function; cursors signed before rotation still work (AWSPREVIOUS)', async () => {
    for (let i = 0; i < 3; i++) {
      await call(`${e.apiUrl}/payments`, { method: 'POST', body: newPayment(10 + i), headers: auth(machine, { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() }) });
    }
    const page = await call(`${e.apiUrl}/payments?limit=1`, { headers: auth(machine) });
    const cursor = String(page.json?.nextCursor);
    expect(cursor.length).toBeGreaterThan(10);
    const cursorSecret = e.secrets.find((s) => /Cursor/i.test(s.logicalId))?.arn ?? '';
    const before = run.secrets.value(cursorSecret);
    await run.rotateSecret(cursorSecret);
    const after = run.secrets.value(cursorSecret);
    expect(after.value).not.toBe(before.value);
    expect(run.secrets.value(cursorSecret, 'AWSPREVIOUS').value).toBe(before.value);
    expect(after.created.getTime()).toBeGreaterThanOrEqual(before.created.getTime());
    const next = await call(`${e.apiUrl}/payments?limit=1&cursor=${encodeURIComponent(cursor)}`, { headers: auth(machine) });
    expect(next.status).toBe(200);
  });
});

describe('token attacks at the HTTP level (tokens signed by the test, JWKS served from the test: a second run)', () => {
  let attacked: LocalRun;
  let keys: TestKeys;
  let jwksServer: http.Server;
  let ae: LocalEndpoints;

  beforeAll(async () => {
    keys = new TestKeys();
    await keys.generate('trusted', 'kid-trusted');
    await keys.generate('attacker', 'kid-trusted');
    const jwks = JSON.stringify(await keys.jwks(['trusted']));
    jwksServer = http.createServer((_req, res) => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(jwks); });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    attacked = await startLocalRun({
      assemblyDir: run.stack.directory, port: 0, endpointsFile: false, accessLog: () => undefined, functionOutput: () => undefined,
      jwksUrl: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`,
    });
    ae = attacked.endpoints;
  });

  afterAll(async () => {
    await attacked.close();
    await keys.close();
    await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
  });

  const claims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    ...machineAccessClaims({ scopes: ae.machineClient?.scopes as string[], clientId: ae.machineClient?.clientId ?? '' }),
    iss: ae.issuer,
    ...overrides,
  });
  const get = (token: string): Promise<Reply> => call(`${ae.apiUrl}/payments`, {
    headers: { Authorization: `Bearer ${token}`, ...(ae.apiKeySource === 'HEADER' ? { 'x-api-key': ae.apiKeys[0]?.value ?? '' } : {}) },
  });

  test('control: a token signed with the trusted key is accepted (so every 401 below is the attack\'s)', async () => {
    expect((await get(await keys.sign('trusted', claims()))).status).toBe(200);
  });

  test.each([
    ['alg none', async () => unsignedToken(claims())],
    ['alg none with a junk signature', async () => unsignedToken(claims(), { alg: 'none', typ: 'JWT' }, 'c2lnbmF0dXJl')],
    ['expired', async () => keys.sign('trusted', claims({ iat: nowSeconds() - 3600, exp: nowSeconds() - 60 }))],
    ['wrong signature (attacker key, trusted kid)', async () => keys.sign('attacker', claims())],
    ['HS256 with the public key as secret', async () => keys.signHmacWithPublicKey('trusted', claims())],
    ['wrong client (not an app client of the pool)', async () => keys.sign('trusted', claims({ client_id: 'someoneelsesclient00000000', sub: 'someoneelsesclient00000000' }))],
    ['wrong issuer', async () => keys.sign('trusted', claims({ iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Attacker1' }))],
  ])('%s: 401 UNAUTHORIZED envelope from the gateway response', async (_name, make) => {
    const reply = await get(await make());
    expect(reply.status).toBe(401);
    expect(errorCode(reply)).toBe('UNAUTHORIZED');
    expect(reply.headers.get('content-type')).toBe('application/json');
  });
});

describe('throttling', () => {
  test('a burst beyond the usage plan\'s per-method limit gets 429 with the THROTTLED envelope', async () => {
    // Without Idempotency-Key the requests stop at validation, after metering: no payment is written.
    const burst = await Promise.all(Array.from({ length: 30 }, () => call(`${e.apiUrl}/payments`, {
      method: 'POST', body: newPayment(), headers: auth(machine, { 'Content-Type': 'application/json' }),
    })));
    const statuses = burst.map((r) => r.status);
    expect(statuses).toContain(429);
    const throttled = burst.find((r) => r.status === 429);
    expect(throttled?.json?.error).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect(statuses.every((s) => s === 400 || s === 429)).toBe(true);
  });
});

describe('after every request above', () => {
  test('the function workers needed no host but loopback (the outbound guard refused nothing), and logged', () => {
    const output = functionOutput.join('');
    expect(output).toMatch(/"level":"(INFO|WARN)"/);
    expect(output).not.toMatch(/outbound connection to .* refused/);
  });
});
