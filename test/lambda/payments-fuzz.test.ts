import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import { createHandler as adminList } from '../../lambda/example/handlers/admin-list-payments';
import { createHandler as createPayment } from '../../lambda/example/handlers/create-payment';
import { createHandler as getPayment } from '../../lambda/example/handlers/get-payment';
import { handler as health } from '../../lambda/example/handlers/health';
import { createHandler as listPayments } from '../../lambda/example/handlers/list-payments';
import { createHandler as webhook } from '../../lambda/example/handlers/processor-webhook';
import { STATUS_OF } from '../../lambda/runtime/errors';
import { reloadAllowedOrigins } from '../../lambda/runtime/http';
import { SECURITY_HEADERS } from '../../lambda/runtime/security-headers';
import { signWebhook } from '../../lambda/runtime/webhook-signature';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';
import { authorizerFor, CURSOR_KEY, defaultSecrets, ORIGIN, proxyEvent, testDeps, validPayment, WEBHOOK_KEY } from './payments-helpers';

/**
 * Property-based hostile-input tests: >= 1,000 generated requests per route, each invoked on the
 * real handler with a real proxy event shape and a real dynalite table. Properties: never a 5xx,
 * always the error envelope with a known code, the security headers on every answer, no hostile
 * marker echoed in a response or written to the log, and nothing written to the table.
 */
const RUNS = 1000;
const MARKER = 'ZQXMARKERQXZ';
const TOKEN = `eyJhbGciOiJSUzI1NiJ9.${MARKER}tokenpayload.signature`;
const CODES = new Set(Object.keys(STATUS_OF));

let dynamo: LocalDynamo;
let table: string;
let stdout: string[] = [];
let writeSpies: jest.SpyInstance[] = [];
const counts: Record<string, number> = {};

beforeAll(async () => {
  process.env.ALLOWED_ORIGINS = ORIGIN;
  reloadAllowedOrigins();
  dynamo = await startDynalite();
  table = await dynamo.createPaymentsTable();
  // Powertools writes INFO and metrics to stdout, WARN/ERROR to stderr: capture both.
  writeSpies = [process.stdout, process.stderr].map((stream) => jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }));
});
afterAll(async () => {
  writeSpies.forEach((s) => s.mockRestore());
  await dynamo.stop();
  // eslint-disable-next-line no-console
  console.info(`fuzz cases per route: ${JSON.stringify(counts)}`);
});
beforeEach(() => { stdout = []; });

// ---- generators -----------------------------------------------------------------------------

const marked = (s: string) => `${MARKER}${s}`;
/** Values no field of any schema accepts. */
const invalidValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, [], {}, '', `\u0000${MARKER}`, `${MARKER}\u202E`, `${MARKER}\u0007`, `\uD800${MARKER}`),
  fc.string({ minLength: 141, maxLength: 3000 }).map((s) => marked(s).padEnd(141, 'x')),
  fc.double({ noNaN: true }).filter((n) => !Number.isInteger(n)),
  fc.integer({ max: 0 }),
  fc.constant(Number.MAX_SAFE_INTEGER * 8),
  fc.array(fc.anything(), { minLength: 1, maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 10 }).map(marked), fc.anything(), { minKeys: 1, maxKeys: 4 }),
  fc.string({ maxLength: 40 }).map((s) => `${s}\u0001${MARKER}`),
);
const pollutedKey = fc.constantFrom('__proto__', 'constructor', 'prototype');
const deepJson = fc.integer({ min: 17, max: 5000 }).map((n) => '['.repeat(n) + ']'.repeat(n));
const invalidJson = fc.oneof(
  fc.string({ maxLength: 200 }).map((s) => `{${MARKER}${s}`),
  fc.constantFrom('{', '[', '{"amount":', 'undefined', "{'a':1}", '{"a":1,}', '\u0000', 'NaN'),
);
const pollutionJson = fc.tuple(pollutedKey, fc.json()).map(([k, v]) => `{"${k}":${v},"amount":1,"m":"${MARKER}"}`);
const hugeBody = fc.integer({ min: 16 * 1024 + 1, max: 40 * 1024 }).map((n) => `{"reference":"${MARKER}${'A'.repeat(n)}"}`);

/** A create-payment body with exactly one field (or an extra key) made invalid. */
const mutatedPayment = fc.tuple(
  fc.constantFrom('amount', 'currency', 'creditor', 'creditor.name', 'creditor.iban', 'reference', 'requestedExecutionDate', 'extra'),
  invalidValue,
  fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !['amount', 'currency', 'creditor', 'reference', 'requestedExecutionDate'].includes(k)),
).map(([field, value, extraKey]) => {
  const body = validPayment();
  if (field === 'extra') body[marked(extraKey)] = value;
  else if (field.startsWith('creditor.')) body.creditor = { ...(body.creditor as Record<string, unknown>), [field.slice(9)]: value };
  else body[field] = value;
  return JSON.stringify(body);
});
const hostileBody: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 5, arbitrary: mutatedPayment },
  { weight: 1, arbitrary: invalidJson },
  { weight: 1, arbitrary: deepJson },
  { weight: 2, arbitrary: pollutionJson },
  { weight: 1, arbitrary: hugeBody },
  { weight: 1, arbitrary: fc.json().map((j) => j.replace(/^/, '')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }).map(marked) },
  { weight: 1, arbitrary: fc.constant(null) },
);
const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/xml', 'application/json; charset=latin1', 'multipart/form-data', '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }).map(marked) },
);
const hostileAuthorizer: fc.Arbitrary<Record<string, unknown> | null> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(authorizerFor('fuzz-owner-0001', { groups: 'admins' })) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.record({ principalId: fc.oneof(fc.string().map(marked), invalidValue), sub: invalidValue, clientId: fc.string(), principalType: fc.string() }) },
  { weight: 1, arbitrary: fc.dictionary(fc.oneof(pollutedKey, fc.string()), fc.anything()) },
);
const hostileQuery: fc.Arbitrary<Record<string, string> | null> = fc.oneof(
  fc.constant(null),
  fc.record({ limit: fc.oneof(fc.string({ maxLength: 12 }).map(marked), fc.constantFrom('0', '101', '-1', '1e2', '1.5', ' 5', '0x10', '')) }),
  fc.record({ cursor: fc.oneof(fc.string({ maxLength: 2000 }).map(marked), fc.base64String({ maxLength: 200 }).map((b) => `${b.replace(/[+/=]/g, '_')}.${'A'.repeat(43)}`)) }),
  fc.dictionary(fc.oneof(pollutedKey, fc.string({ minLength: 1, maxLength: 20 }).map(marked)), fc.string({ maxLength: 50 }), { minKeys: 1, maxKeys: 3 }),
);
const hostilePath: fc.Arbitrary<Record<string, string> | null> = fc.oneof(
  fc.constant(null),
  fc.record({ paymentId: fc.oneof(fc.string({ maxLength: 300 }).map(marked), fc.constantFrom('../../etc/passwd', '%00', "' OR 1=1 --", 'PAYMENT#x')) }),
  fc.dictionary(fc.oneof(pollutedKey, fc.string({ minLength: 1 }).map(marked)), fc.string(), { minKeys: 1, maxKeys: 3 }),
);
const method = fc.oneof({ weight: 8, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'get') });

interface Case {
  readonly body: string | null;
  readonly contentType: string;
  readonly authorizer: Record<string, unknown> | null;
  readonly query: Record<string, string> | null;
  readonly path: Record<string, string> | null;
  readonly method: string;
  readonly base64: boolean;
  readonly idempotencyKey: string | undefined;
  readonly correlationId: string;
}
const hostileCase: fc.Arbitrary<Case> = fc.record({
  body: hostileBody,
  contentType,
  authorizer: hostileAuthorizer,
  query: hostileQuery,
  path: hostilePath,
  method,
  base64: fc.boolean(),
  idempotencyKey: fc.oneof(fc.constant(undefined), fc.constant('fuzz-key-000000000001'), fc.string({ maxLength: 100 }).map(marked)),
  // Ill-formed correlation ids (a character outside the allowed set) must be neither echoed nor logged.
  correlationId: fc.oneof(fc.string({ maxLength: 200 }).map((s) => `${MARKER}<${s}`), fc.constant('corr-1234-abcd')),
});

function toEvent(c: Case, defaultMethod: string, resource: string): APIGatewayProxyEvent {
  const headers: Record<string, string> = { 'Content-Type': c.contentType, Authorization: `Bearer ${TOKEN}`, 'X-Correlation-Id': c.correlationId };
  if (c.idempotencyKey !== undefined) headers['Idempotency-Key'] = c.idempotencyKey;
  const event = proxyEvent(c.method || defaultMethod, resource, {
    body: c.base64 && c.body !== null ? Buffer.from(c.body).toString('base64') : c.body,
    headers, query: c.query, pathParameters: c.path, authorizer: c.authorizer,
  });
  event.isBase64Encoded = c.base64;
  return event;
}

// ---- properties -----------------------------------------------------------------------------

function checkResponse(res: APIGatewayProxyResult, mustFail: boolean): void {
  expect(res.statusCode).toBeGreaterThanOrEqual(200);
  expect(res.statusCode).toBeLessThan(500);
  if (mustFail) expect(res.statusCode).toBeGreaterThanOrEqual(400);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers?.[name]).toBe(value);
  expect(res.headers?.['Content-Type']).toBe('application/json; charset=utf-8');
  expect(res.headers?.['X-Correlation-Id']).not.toContain(MARKER);
  expect(res.body).not.toContain(MARKER);
  const body = JSON.parse(res.body) as Record<string, unknown>;
  if (res.statusCode >= 400) {
    expect(Object.keys(body)).toEqual(['error']);
    const error = body.error as Record<string, unknown>;
    expect(CODES.has(error.code as string)).toBe(true);
    expect(STATUS_OF[error.code as keyof typeof STATUS_OF]).toBe(res.statusCode);
    expect(typeof error.message).toBe('string');
    expect(error.requestId).toBe('c6af9ac6-7b61-11e6-9a41-93e8deadbeef');
  }
}

function checkLogs(): void {
  const out = stdout.join('');
  // The capture works (so the checks below can fail): the kit's log lines and EMF metrics are in it.
  expect(out).toContain('"message":"Request rejected"');
  expect(out).toContain('"_aws"');
  expect(out).not.toContain(MARKER);
  expect(out).not.toContain(TOKEN);
  expect(out).not.toContain(CURSOR_KEY);
  expect(out).not.toContain(WEBHOOK_KEY);
}

async function fuzz(name: string, defaultMethod: string, resource: string, handler: (e: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>,
  opts: { mustFail: boolean; sign?: boolean }): Promise<void> {
  let n = 0;
  await fc.assert(fc.asyncProperty(hostileCase, fc.boolean(), async (c, signIt) => {
    const event = toEvent(c, defaultMethod, resource);
    if (opts.sign && signIt && c.body !== null) {
      // Half the webhook cases carry a valid signature, so the schema path behind it is fuzzed too.
      event.headers['X-Processor-Signature'] = signWebhook(c.base64 ? c.body : c.body, WEBHOOK_KEY, Math.floor(Date.now() / 1000));
    }
    n++;
    checkResponse(await handler(event), opts.mustFail);
  }), { numRuns: RUNS });
  counts[name] = n;
  checkLogs();
  expect(await dynamo.countItems(table)).toBe(0);
}

describe(`hostile inputs (${RUNS} generated requests per route, real dynalite table)`, () => {
  const deps = () => testDeps(dynamo, table, defaultSecrets());
  const memo = <T>(f: () => T) => { let v: T | undefined; return () => (v ??= f()); };
  const d = memo(deps);

  test('POST /payments: never 5xx, always 4xx with the envelope, headers present, nothing written, nothing leaked', async () => {
    await fuzz('POST /payments', 'POST', '/payments', createPayment(d), { mustFail: true });
  });
  test('GET /payments/{paymentId}', async () => {
    await fuzz('GET /payments/{paymentId}', 'GET', '/payments/{paymentId}', getPayment(d), { mustFail: true });
  });
  test('GET /payments', async () => {
    await fuzz('GET /payments', 'GET', '/payments', listPayments(d), { mustFail: false });
  });
  test('GET /admin/payments', async () => {
    await fuzz('GET /admin/payments', 'GET', '/admin/payments', adminList(d), { mustFail: false });
  });
  test('POST /webhooks/processor (half of the cases correctly signed)', async () => {
    await fuzz('POST /webhooks/processor', 'POST', '/webhooks/processor', webhook(d), { mustFail: true, sign: true });
  });
  test('GET /health', async () => {
    await fuzz('GET /health', 'GET', '/health', health, { mustFail: false });
  });
});
