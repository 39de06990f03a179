import type { APIGatewayProxyResult } from 'aws-lambda';
import { createHandler as adminList } from '../../lambda/example/handlers/admin-list-payments';
import { createHandler as createPayment } from '../../lambda/example/handlers/create-payment';
import { createHandler as getPayment } from '../../lambda/example/handlers/get-payment';
import { createHandler as listPayments } from '../../lambda/example/handlers/list-payments';
import { createHandler as webhook } from '../../lambda/example/handlers/processor-webhook';
import { paymentIdFor } from '../../lambda/example/payments/payments-store';
import { SECURITY_HEADERS } from '../../lambda/runtime/security-headers';
import { signWebhook } from '../../lambda/runtime/webhook-signature';
import {
  authorizerFor, CURSOR_SECRET_ID, defaultSecrets, FakeSecrets, ORIGIN, proxyEvent, testDeps, validPayment, WEBHOOK_KEY, WEBHOOK_SECRET_ID,
  json, useDynaliteSuite,
} from './payments-helpers';

const ALICE = 'alice-sub-0001';
const BOB = 'bob-sub-0002';

const dynamo = useDynaliteSuite();

function expectEnvelope(res: APIGatewayProxyResult, status: number, code: string): void {
  expect(res.statusCode).toBe(status);
  const body = json(res) as { error: { code: string; message: string; requestId: string } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.requestId).toBe('c6af9ac6-7b61-11e6-9a41-93e8deadbeef');
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers?.[name]).toBe(value);
}

async function setup(secrets: FakeSecrets = defaultSecrets(), now?: () => Date) {
  const table = await dynamo().createPaymentsTable();
  const deps = testDeps(dynamo(), table, secrets, now);
  return {
    table, secrets,
    create: createPayment(() => deps), get: getPayment(() => deps), list: listPayments(() => deps),
    admin: adminList(() => deps), hook: webhook(() => deps),
  };
}

function post(owner: string, key: string, body: unknown) {
  return proxyEvent('POST', '/payments', {
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
    authorizer: authorizerFor(owner),
  });
}

describe('POST /payments against dynalite', () => {
  test('creates a pending payment owned by the caller: 201, Location, stored once', async () => {
    const t = await setup();
    const res = await t.create(post(ALICE, 'key-0000000000000001', validPayment()));
    expect(res.statusCode).toBe(201);
    const body = json(res);
    expect(body).toMatchObject({ status: 'pending', amount: 12345, currency: 'EUR', creditor: { iban: 'DE89370400440532013000' } });
    expect(body.paymentId).toBe(paymentIdFor(ALICE, 'key-0000000000000001'));
    expect(res.headers?.Location).toBe(`/payments/${String(body.paymentId)}`);
    expect(res.headers?.['Idempotent-Replayed']).toBe('false');
    expect(res.headers?.['Access-Control-Allow-Origin']).toBe(ORIGIN);
    expect(await dynamo().countItems(t.table)).toBe(1);
  });

  test('idempotency: same key + same body (keys reordered) returns the same payment, still one item', async () => {
    const t = await setup();
    const first = await t.create(post(ALICE, 'key-0000000000000002', validPayment()));
    const reordered = { reference: 'Invoice 42', creditor: { iban: 'DE89370400440532013000', name: 'ACME GmbH' }, currency: 'EUR', amount: 12345 };
    const again = await t.create(post(ALICE, 'key-0000000000000002', reordered));
    expect(again.statusCode).toBe(201);
    expect(again.headers?.['Idempotent-Replayed']).toBe('true');
    expect(json(again)).toEqual(json(first));
    expect(await dynamo().countItems(t.table)).toBe(1);
  });

  test('idempotency: concurrent identical requests create exactly one payment', async () => {
    const t = await setup();
    const results = await Promise.all(Array.from({ length: 8 }, () => t.create(post(ALICE, 'key-concurrent-000001', validPayment()))));
    expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(201));
    expect(new Set(results.map((r) => json(r).paymentId)).size).toBe(1);
    expect(results.filter((r) => r.headers?.['Idempotent-Replayed'] === 'false')).toHaveLength(1);
    expect(await dynamo().countItems(t.table)).toBe(1);
  });

  test('idempotency: same key + different body is 409 and changes nothing', async () => {
    const t = await setup();
    await t.create(post(ALICE, 'key-0000000000000003', validPayment()));
    const res = await t.create(post(ALICE, 'key-0000000000000003', validPayment({ amount: 99999 })));
    expectEnvelope(res, 409, 'CONFLICT');
    const stored = await t.get(proxyEvent('GET', '/payments/{paymentId}', { pathParameters: { paymentId: paymentIdFor(ALICE, 'key-0000000000000003') }, authorizer: authorizerFor(ALICE) }));
    expect(json(stored).amount).toBe(12345);
  });

  test('the same key used by two owners makes two independent payments', async () => {
    const t = await setup();
    const a = await t.create(post(ALICE, 'key-0000000000000004', validPayment()));
    const b = await t.create(post(BOB, 'key-0000000000000004', validPayment({ amount: 1 })));
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(json(a).paymentId).not.toBe(json(b).paymentId);
  });

  test('missing Idempotency-Key is 400 naming the header; nothing written', async () => {
    const t = await setup();
    const res = await t.create(proxyEvent('POST', '/payments', { body: JSON.stringify(validPayment()), headers: { 'Content-Type': 'application/json' }, authorizer: authorizerFor(ALICE) }));
    expectEnvelope(res, 400, 'VALIDATION_FAILED');
    expect(json(res)).toMatchObject({ error: { details: [{ path: 'header.Idempotency-Key' }] } });
    expect(await dynamo().countItems(t.table)).toBe(0);
  });

  test('an execution date in the past is 422', async () => {
    const t = await setup(undefined, () => new Date('2030-06-15T12:00:00Z'));
    const res = await t.create(post(ALICE, 'key-0000000000000005', validPayment({ requestedExecutionDate: '2030-06-14' })));
    expectEnvelope(res, 422, 'UNPROCESSABLE');
    expect(await dynamo().countItems(t.table)).toBe(0);
  });

  test.each([
    ['bad IBAN checksum', { creditor: { name: 'X', iban: 'DE89370400440532013001' } }, 'body.creditor.iban'],
    ['float amount', { amount: 10.5 }, 'body.amount'],
    ['unknown currency', { currency: 'XXX' }, 'body.currency'],
    ['control character', { reference: 'pay\u0007me' }, 'body.reference'],
    ['bidi override', { reference: 'abc\u202Egnp.exe' }, 'body.reference'],
    ['unknown key', { admin: true }, 'body'],
    ['impossible date', { requestedExecutionDate: '2030-02-30' }, 'body.requestedExecutionDate'],
  ])('%s is 400 with the field path and the input is not echoed', async (_name, patch, field) => {
    const t = await setup();
    const res = await t.create(post(ALICE, 'key-0000000000000006', validPayment(patch)));
    expectEnvelope(res, 400, 'VALIDATION_FAILED');
    const details = (json(res) as { error: { details: { path: string }[] } }).error.details;
    expect(details.map((d) => d.path)).toContain(field);
    expect(res.body).not.toContain('DE89370400440532013001');
    expect(res.body).not.toContain('gnp.exe');
    expect(res.body).not.toContain('"admin"');
  });

  test('__proto__ and constructor keys are rejected before validation', async () => {
    const t = await setup();
    for (const raw of ['{"__proto__":{"polluted":1},"amount":1}', '{"creditor":{"constructor":{"prototype":{"x":1}}}}']) {
      const res = await t.create(proxyEvent('POST', '/payments', { body: raw, headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'key-0000000000000007' }, authorizer: authorizerFor(ALICE) }));
      expectEnvelope(res, 400, 'VALIDATION_FAILED');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await dynamo().countItems(t.table)).toBe(0);
  });

  test('415 for a non-JSON content type, 413 over MAX_BODY_BYTES, 401 without a principal, 405 for PUT', async () => {
    const t = await setup();
    const headers = { 'Idempotency-Key': 'key-0000000000000008' };
    expectEnvelope(await t.create(proxyEvent('POST', '/payments', { body: JSON.stringify(validPayment()), headers: { ...headers, 'Content-Type': 'text/plain' }, authorizer: authorizerFor(ALICE) })), 415, 'UNSUPPORTED_MEDIA_TYPE');
    process.env.MAX_BODY_BYTES = '256';
    try {
      const big = JSON.stringify(validPayment({ reference: 'x'.repeat(140) })) + ' '.repeat(200);
      expectEnvelope(await t.create(proxyEvent('POST', '/payments', { body: big, headers: { ...headers, 'Content-Type': 'application/json' }, authorizer: authorizerFor(ALICE) })), 413, 'PAYLOAD_TOO_LARGE');
    } finally {
      delete process.env.MAX_BODY_BYTES;
    }
    expectEnvelope(await t.create(proxyEvent('POST', '/payments', { body: JSON.stringify(validPayment()), headers: { ...headers, 'Content-Type': 'application/json' } })), 401, 'UNAUTHORIZED');
    const put = await t.create(proxyEvent('PUT', '/payments', { authorizer: authorizerFor(ALICE) }));
    expectEnvelope(put, 405, 'METHOD_NOT_ALLOWED');
    expect(put.headers?.Allow).toBe('POST');
    expect(await dynamo().countItems(t.table)).toBe(0);
  });
});

describe('GET /payments/{paymentId}: object-level authorization', () => {
  test('the owner reads it; another caller gets the same 404 as for a missing id', async () => {
    const t = await setup();
    const created = json(await t.create(post(ALICE, 'key-0000000000000010', validPayment())));
    const id = String(created.paymentId);
    const mine = await t.get(proxyEvent('GET', '/payments/{paymentId}', { pathParameters: { paymentId: id }, authorizer: authorizerFor(ALICE) }));
    expect(mine.statusCode).toBe(200);
    expect(json(mine)).toEqual(created);
    const theirs = await t.get(proxyEvent('GET', '/payments/{paymentId}', { pathParameters: { paymentId: id }, authorizer: authorizerFor(BOB) }));
    const missing = await t.get(proxyEvent('GET', '/payments/{paymentId}', { pathParameters: { paymentId: '6f1c2a7e-0000-4000-8000-000000000000' }, authorizer: authorizerFor(BOB) }));
    expectEnvelope(theirs, 404, 'NOT_FOUND');
    expect(theirs.body).toBe(missing.body);
  });

  test('a malformed id is 400 on path.paymentId', async () => {
    const t = await setup();
    const res = await t.get(proxyEvent('GET', '/payments/{paymentId}', { pathParameters: { paymentId: '../../etc/passwd' }, authorizer: authorizerFor(ALICE) }));
    expectEnvelope(res, 400, 'VALIDATION_FAILED');
    expect(json(res)).toMatchObject({ error: { details: [{ path: 'path.paymentId' }] } });
  });
});

describe('GET /payments and GET /admin/payments: pagination with signed cursors', () => {
  async function seeded() {
    const t = await setup();
    for (let i = 0; i < 5; i++) await t.create(post(ALICE, `key-alice-${String(i).padStart(10, '0')}`, validPayment({ amount: i + 1 })));
    for (let i = 0; i < 2; i++) await t.create(post(BOB, `key-bob-${String(i).padStart(12, '0')}`, validPayment({ amount: 100 + i })));
    return t;
  }
  const listEvent = (owner: string, query: Record<string, string> | null, groups = '') =>
    proxyEvent('GET', '/payments', { query, authorizer: authorizerFor(owner, { groups }) });

  test("lists only the caller's payments, page by page, without duplicates or gaps", async () => {
    const t = await seeded();
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await t.list(listEvent(ALICE, cursor ? { limit: '2', cursor } : { limit: '2' }));
      expect(res.statusCode).toBe(200);
      const body = json(res) as { items: { amount: number }[]; nextCursor?: string };
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((p) => p.amount));
      cursor = body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
  });

  test('limit above 100 is 400; repeated parameters are 400', async () => {
    const t = await seeded();
    expectEnvelope(await t.list(listEvent(ALICE, { limit: '101' })), 400, 'VALIDATION_FAILED');
    const polluted = listEvent(ALICE, { limit: '1' });
    polluted.multiValueQueryStringParameters = { limit: ['1', '100'] };
    expectEnvelope(await t.list(polluted), 400, 'VALIDATION_FAILED');
  });

  test('a tampered cursor, another owner\'s cursor or an admin cursor replayed on /payments is 400 INVALID_CURSOR', async () => {
    const t = await seeded();
    const cursor = (json(await t.list(listEvent(ALICE, { limit: '1' }))) as { nextCursor: string }).nextCursor;
    const [payload, sig] = cursor.split('.') as [string, string];
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { s: string };
    const forged = Buffer.from(JSON.stringify({ ...decoded, s: `owner:${BOB}` })).toString('base64url');
    const flipped = sig.slice(0, -2) + (sig.endsWith('AA') ? 'AB' : 'AA');
    expectEnvelope(await t.list(listEvent(ALICE, { cursor: `${forged}.${sig}` })), 400, 'INVALID_CURSOR');
    expectEnvelope(await t.list(listEvent(ALICE, { cursor: `${payload}.${flipped}` })), 400, 'INVALID_CURSOR');
    expectEnvelope(await t.list(listEvent(BOB, { cursor })), 400, 'INVALID_CURSOR');
    const adminCursor = (json(await t.admin(proxyEvent('GET', '/admin/payments', { query: { limit: '1' }, authorizer: authorizerFor('root-admin-01', { groups: 'admins' }) }))) as { nextCursor: string }).nextCursor;
    expectEnvelope(await t.list(listEvent(ALICE, { cursor: adminCursor })), 400, 'INVALID_CURSOR');
  });

  test('cursors signed with the previous key still verify after rotation; unknown keys do not', async () => {
    const secrets = defaultSecrets();
    const t = await setup(secrets);
    for (let i = 0; i < 3; i++) await t.create(post(ALICE, `key-rot-${String(i).padStart(12, '0')}`, validPayment({ amount: i + 1 })));
    const cursor = (json(await t.list(listEvent(ALICE, { limit: '1' }))) as { nextCursor: string }).nextCursor;
    // Rotation: new AWSCURRENT, the old one becomes AWSPREVIOUS (fresh deps = fresh cache, as after the TTL).
    const old = secrets.values[CURSOR_SECRET_ID]?.current as string;
    const rotated = new FakeSecrets({ ...secrets.values, [CURSOR_SECRET_ID]: { current: 'n'.repeat(40), previous: old } });
    const listAfter = listPayments(() => testDeps(dynamo(), t.table, rotated));
    expect((await listAfter(listEvent(ALICE, { cursor }))).statusCode).toBe(200);
    const gone = new FakeSecrets({ ...secrets.values, [CURSOR_SECRET_ID]: { current: 'n'.repeat(40), previous: 'p'.repeat(40) } });
    const listGone = listPayments(() => testDeps(dynamo(), t.table, gone));
    expectEnvelope(await listGone(listEvent(ALICE, { cursor })), 400, 'INVALID_CURSOR');
  });

  test('admin lists every owner; a caller without the admins group is 403 even if the authorizer let it through', async () => {
    const t = await seeded();
    const res = await t.admin(proxyEvent('GET', '/admin/payments', { query: { limit: '100' }, authorizer: authorizerFor('root-admin-01', { groups: 'admins' }) }));
    expect(res.statusCode).toBe(200);
    expect((json(res) as { items: unknown[] }).items).toHaveLength(7);
    expectEnvelope(await t.admin(proxyEvent('GET', '/admin/payments', { authorizer: authorizerFor(ALICE) })), 403, 'FORBIDDEN');
  });

  test('the secret is read once per TTL, not per request', async () => {
    const t = await seeded();
    t.secrets.calls = 0;
    for (let i = 0; i < 5; i++) await t.list(listEvent(ALICE, { limit: '1' }));
    // AWSCURRENT + AWSPREVIOUS lookups, once.
    expect(t.secrets.calls).toBe(2);
  });
});

describe('POST /webhooks/processor: HMAC with timestamp tolerance', () => {
  const NOW = new Date('2030-01-01T00:00:00Z');
  const nowS = Math.floor(NOW.getTime() / 1000);
  async function withPayment() {
    const t = await setup(defaultSecrets(), () => NOW);
    const created = json(await t.create(post(ALICE, 'key-webhook-000000001', validPayment())));
    return { t, id: String(created.paymentId) };
  }
  const hookEvent = (body: string, signature?: string) => proxyEvent('POST', '/webhooks/processor', {
    body, headers: { 'Content-Type': 'application/json', ...(signature ? { 'X-Processor-Signature': signature } : {}) },
  });
  const event = (id: string) => JSON.stringify({ eventId: '0b0c1f2e-1111-4222-8333-444455556666', type: 'payment.settled', paymentId: id, occurredAt: '2030-01-01T00:00:00Z' });

  test('a correctly signed event settles the payment once; a replay is acknowledged as duplicate', async () => {
    const { t, id } = await withPayment();
    const body = event(id);
    const first = await t.hook(hookEvent(body, signWebhook(body, WEBHOOK_KEY, nowS)));
    expect(first.statusCode).toBe(200);
    expect(json(first)).toEqual({ received: true, result: 'applied' });
    const replay = await t.hook(hookEvent(body, signWebhook(body, WEBHOOK_KEY, nowS)));
    expect(json(replay)).toEqual({ received: true, result: 'duplicate' });
    const stored = await t.get(proxyEvent('GET', '/payments/{paymentId}', { pathParameters: { paymentId: id }, authorizer: authorizerFor(ALICE) }));
    expect(json(stored).status).toBe('settled');
  });

  test.each([
    ['no signature', undefined],
    ['wrong secret', 'WRONG'],
    ['stale timestamp (301 s)', 'STALE'],
    ['future timestamp (301 s)', 'FUTURE'],
    ['body changed after signing', 'TAMPERED'],
  ])('%s is 401 and nothing changes', async (_name, kind) => {
    const { t, id } = await withPayment();
    const body = event(id);
    const sig = kind === undefined ? undefined
      : kind === 'WRONG' ? signWebhook(body, 'x'.repeat(40), nowS)
        : kind === 'STALE' ? signWebhook(body, WEBHOOK_KEY, nowS - 301)
          : kind === 'FUTURE' ? signWebhook(body, WEBHOOK_KEY, nowS + 301)
            : signWebhook(body.replace('settled', 'failed'), WEBHOOK_KEY, nowS);
    expectEnvelope(await t.hook(hookEvent(body, sig)), 401, 'UNAUTHORIZED');
    const stored = await t.get(proxyEvent('GET', '/payments/{paymentId}', { pathParameters: { paymentId: id }, authorizer: authorizerFor(ALICE) }));
    expect(json(stored).status).toBe('pending');
  });

  test('during rotation (an hour after it) a signature with AWSPREVIOUS is accepted', async () => {
    const { t, id } = await withPayment();
    const rotatedAt = new Date(NOW.getTime() - 3_600_000);
    const rotated = new FakeSecrets({ [CURSOR_SECRET_ID]: { current: 'c'.repeat(40) }, [WEBHOOK_SECRET_ID]: { current: 'z'.repeat(40), previous: WEBHOOK_KEY, rotatedAt } });
    const hook = webhook(() => testDeps(dynamo(), t.table, rotated, () => NOW));
    const body = event(id);
    expect((await hook(hookEvent(body, signWebhook(body, WEBHOOK_KEY, nowS)))).statusCode).toBe(200);
  });
});
