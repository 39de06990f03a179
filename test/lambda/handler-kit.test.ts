import * as fc from 'fast-check';
import { ApiError } from '../../lambda/runtime/errors';
import { apiHandler } from '../../lambda/runtime/handler';
import { exactNumber, knownPathOf, parseJsonText } from '../../lambda/runtime/validation';
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

describe('parseJsonText: exact numbers and duplicate keys on the JSON text (lossless-json)', () => {
  const detailsOf = (text: string): { path: string; message: string }[] => {
    try {
      parseJsonText(text, { knownPath: knownPathOf(CreatePaymentBody) });
    } catch (err) {
      return (err as ApiError).details as { path: string; message: string }[];
    }
    return [];
  };

  test.each([
    ['0', 0], ['-0', 0], ['100', 100], ['1e2', 100], ['100.0', 100], ['1.5', 1.5], ['-2.25e1', -22.5], ['0.1', 0.1],
    ['9007199254740991', 9007199254740991], ['-9007199254740991', -9007199254740991], ['1E+2', 100], ['0.000e5', 0],
  ])('%s is exact: %d', (text, value) => {
    expect(exactNumber(text)).toBe(value);
  });

  test.each([
    ['9007199254740992', 'range'], ['-9007199254740993', 'range'], ['1e16', 'range'], ['1e999999999', 'range'], ['12345678901234567890', 'range'],
    ['1.0000000000000001', 'inexact'], ['100000000000.000001', 'inexact'], ['1e-400', 'inexact'], ['9007199254740993.5', 'inexact'],
  ])('%s is refused as %s', (text, verdict) => {
    expect(exactNumber(text)).toBe(verdict);
  });

  test('keys are compared per object and after unescaping; arrays, nesting and quotes inside strings do not confuse the scan', () => {
    expect(detailsOf('{"creditor":{"name":"a\\"}","iban":"x"},"items":[{"a":1},{"a":1}],"reference":"{\\"amount\\":1}"}')).toEqual([]);
    expect(detailsOf('{"creditor":{"name":"a"},"x":{"name":"b"}}')).toEqual([]);
    expect(detailsOf('[{"a":1,"b":[{"a":2,"a":3}]}]').map((d) => d.path)).toEqual(['body']);
    expect(detailsOf('{"creditor":{"n\\u0061me":"x","name":"y"}}')).toEqual([{ path: 'body.creditor.name', message: 'A key appears more than once in this object.' }]);
  });

  test('property: any JSON of safe integers, strings, booleans and nulls parses exactly as JSON.parse does', () => {
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ maxDepth: 4 }, fc.integer(), fc.string({ unit: 'grapheme' }), fc.boolean(), fc.constant(null),
        fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 6 }).filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k)), tie('value'), { maxKeys: 4 })),
    }));
    fc.assert(fc.property(value, (v) => {
      const text = JSON.stringify(v);
      expect(parseJsonText(text)).toEqual(JSON.parse(text));
    }), { numRuns: 300 });
  });

  test('property: a key repeated anywhere in any object is refused', () => {
    const objects = fc.dictionary(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }).filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k)), fc.integer(), { minKeys: 1, maxKeys: 5 });
    fc.assert(fc.property(objects, fc.nat(), fc.nat(3), (o, pick, depth) => {
      const keys = Object.keys(o);
      const dup = keys[pick % keys.length] as string;
      let text = `${JSON.stringify(o).slice(0, -1)},${JSON.stringify(dup)}:0}`;
      for (let i = 0; i < depth; i++) text = `{"x":[1,${text}]}`;
      expect(() => parseJsonText(text)).toThrow(ApiError);
    }), { numRuns: 300 });
  });
});
