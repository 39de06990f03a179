import { apiHandler } from '../../lambda/runtime/handler';
import { reloadAllowedOrigins } from '../../lambda/runtime/http';
import { containerDeps } from '../../lambda/example/payments/payments-store-deps';
import { PAYMENTS_TABLE } from '../../lambda/example/payments/payments-table';
import { SecretCache } from '../../lambda/runtime/secrets';
import { SECURITY_HEADERS } from '../../lambda/runtime/security-headers';
import { CreatePaymentBody } from '../../lambda/example/schemas/payments';
import { authorizerFor, FakeSecrets, ORIGIN, proxyEvent, validPayment } from './payments-helpers';

let out: string[] = [];
let spies: jest.SpyInstance[] = [];
beforeAll(() => {
  process.env.ALLOWED_ORIGINS = ORIGIN;
  reloadAllowedOrigins();
  // Powertools writes INFO/metrics to stdout and WARN/ERROR to stderr: capture both.
  spies = [process.stdout, process.stderr].map((stream) => jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  }));
});
afterAll(() => spies.forEach((s) => s.mockRestore()));
beforeEach(() => { out = []; });

const echo = apiHandler({ methods: ['POST'], authenticated: true, body: CreatePaymentBody }, (req) => Promise.resolve({ statusCode: 200, body: { amount: req.body.amount } }));

describe('handler kit', () => {
  test('a well-formed X-Correlation-Id is echoed and logged; an ill-formed one is replaced by the request id', async () => {
    const ok = await echo(proxyEvent('POST', '/x', { body: JSON.stringify(validPayment()), headers: { 'Content-Type': 'application/json', 'X-Correlation-Id': 'client-corr-0001' }, authorizer: authorizerFor('u-1') }));
    expect(ok.statusCode).toBe(200);
    expect(ok.headers?.['X-Correlation-Id']).toBe('client-corr-0001');
    const rejected = await echo(proxyEvent('POST', '/x', { body: '[]', headers: { 'Content-Type': 'application/json', 'X-Correlation-Id': 'client-corr-0001' }, authorizer: authorizerFor('u-1') }));
    expect(rejected.headers?.['X-Correlation-Id']).toBe('client-corr-0001');
    const bad = await echo(proxyEvent('POST', '/x', { body: '{', headers: { 'Content-Type': 'application/json', 'X-Correlation-Id': 'evil\n{"level":"ERROR"}' }, authorizer: authorizerFor('u-1') }));
    expect(bad.headers?.['X-Correlation-Id']).toBe('c6af9ac6-7b61-11e6-9a41-93e8deadbeef');
    expect(out.join('')).toContain('"correlationId":"client-corr-0001"');
    expect(out.join('')).not.toContain('evil');
  });

  test('base64-encoded JSON bodies are decoded before validation', async () => {
    const event = proxyEvent('POST', '/x', { body: Buffer.from(JSON.stringify(validPayment())).toString('base64'), headers: { 'Content-Type': 'application/json' }, authorizer: authorizerFor('u-1') });
    event.isBase64Encoded = true;
    expect((await echo(event)).statusCode).toBe(200);
  });

  test('an unexpected error is a 500 with the request id only: no message or stack in the response or the log message', async () => {
    const boom = apiHandler({ methods: ['GET'], authenticated: false }, () => Promise.reject(new Error('db password=hunter2 at host 10.0.0.1')));
    const res = await boom(proxyEvent('GET', '/x'));
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'An internal error occurred.', requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef' } });
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers?.[name]).toBe(value);
    expect(res.headers?.['Access-Control-Allow-Origin']).toBe(ORIGIN);
    const logs = out.join('');
    expect(logs).toContain('"message":"Unhandled error"');
    expect(logs).not.toContain('hunter2');
    expect(res.body).not.toContain('hunter2');
  });

  test('metrics are flushed on every invocation (one EMF document per call)', async () => {
    const ok = apiHandler({ methods: ['GET'], authenticated: false }, () => Promise.resolve({ statusCode: 200, body: {} }));
    await ok(proxyEvent('GET', '/x'));
    await ok(proxyEvent('GET', '/x'));
    expect(out.filter((l) => l.includes('"_aws"') && l.includes('"Successes"'))).toHaveLength(2);
  });
});

describe('SecretCache', () => {
  test('re-reads after the TTL, and a failed read is not cached', async () => {
    let now = 0;
    const fake = new FakeSecrets({ s: { current: 'k'.repeat(40) } });
    const cache = new SecretCache({ client: fake, ttlMs: 1000, now: () => now });
    await cache.versions('s');
    await cache.versions('s');
    expect(fake.calls).toBe(2); // AWSCURRENT + AWSPREVIOUS (absent) once
    now = 1001;
    await cache.versions('s');
    expect(fake.calls).toBe(4);
    await expect(cache.versions('missing')).rejects.toThrow();
    await expect(cache.versions('missing')).rejects.toThrow();
    expect(fake.calls).toBe(6);
  });

  test('prefetch (init) reads once ahead of the first use, which then finds the value cached', async () => {
    const fake = new FakeSecrets({ s: { current: 'k'.repeat(40) } });
    const cache = new SecretCache({ client: fake });
    cache.prefetch('s');
    expect(fake.calls).toBe(1); // the read started synchronously, during init
    expect((await cache.versions('s')).current).toBe('k'.repeat(40));
    await cache.acceptedValues('s');
    expect(fake.calls).toBe(2); // AWSCURRENT + AWSPREVIOUS, once
  });

  test('a failed prefetch is logged by error name only, never cached: the first use reads again', async () => {
    const value = 'leaky-short-secret';
    const fake = new FakeSecrets({ s: { current: value } });
    const cache = new SecretCache({ client: fake });
    cache.prefetch('s');
    await new Promise((resolve) => setImmediate(resolve));
    const logged = out.join('');
    expect(logged).toContain('Secret prefetch failed');
    expect(logged).toContain('"errorName":"Error"');
    expect(logged).not.toContain(value);
    expect(logged).not.toContain('shorter'); // the error message is not logged either
    fake.values.s = { current: 'k'.repeat(40) };
    expect((await cache.versions('s')).current).toBe('k'.repeat(40));
  });

  test('a failed secret fetch is counted as the SecretFetchErrors metric the alarm reads; a good one is not', async () => {
    const { metrics } = await import('../../lambda/runtime/powertools');
    const { SECRET_FETCH_ERROR_METRIC } = await import('../../lambda/runtime/secret-metrics');
    metrics.publishStoredMetrics(); // earlier tests' failures
    out = [];
    const fake = new FakeSecrets({ ok: { current: 'k'.repeat(40) } });
    const cache = new SecretCache({ client: fake });
    await cache.versions('ok');
    await expect(cache.versions('missing')).rejects.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    metrics.publishStoredMetrics();
    const emf = out.filter((l) => l.includes('"_aws"') && l.includes(SECRET_FETCH_ERROR_METRIC)).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(emf).toHaveLength(1);
    expect(emf[0]?.[SECRET_FETCH_ERROR_METRIC]).toBe(1);
    expect(JSON.stringify(emf[0])).not.toContain('k'.repeat(40));
  });

  test('rejects a secret value too short to be an HMAC key', async () => {
    const cache = new SecretCache({ client: new FakeSecrets({ s: { current: 'short' } }) });
    await expect(cache.versions('s')).rejects.toThrow(/shorter/);
  });
});

describe('containerDeps', () => {
  afterEach(() => { delete process.env[PAYMENTS_TABLE.tableNameEnv]; });

  test('with the table variable set (Lambda), the dependencies are created at once (init) and reused', () => {
    process.env[PAYMENTS_TABLE.tableNameEnv] = 'payments-table';
    const make = jest.fn(() => ({ id: Symbol('deps') }));
    const deps = containerDeps(make);
    expect(make).toHaveBeenCalledTimes(1);
    expect(deps()).toBe(deps());
    expect(make).toHaveBeenCalledTimes(1);
  });

  test('without it (tests, tooling), nothing is created until the first use', () => {
    const make = jest.fn(() => ({ id: Symbol('deps') }));
    const deps = containerDeps(make);
    expect(make).not.toHaveBeenCalled();
    expect(deps()).toBe(deps());
    expect(make).toHaveBeenCalledTimes(1);
  });
});
