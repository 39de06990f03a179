/*
 * Issue 14, items 4-9 (runtime part): each finding of the application-security review as a test on
 * real proxy events against a real dynalite server, real HMAC crypto and an in-memory Secrets
 * Manager that returns the version dates the service returns (the one AWS service that cannot run
 * in-process here; test/lambda/payments-bundled-hardening.test.ts drives the bundled functions
 * against a local Secrets Manager endpoint).
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { toJSONSchema } from 'zod/v4/core';
import { createHandler as adminList } from '../../lambda/example/handlers/admin-list-payments';
import { createHandler as createPayment } from '../../lambda/example/handlers/create-payment';
import { createHandler as getPayment } from '../../lambda/example/handlers/get-payment';
import { createHandler as listPayments } from '../../lambda/example/handlers/list-payments';
import { createHandler as webhook } from '../../lambda/example/handlers/processor-webhook';
import { CreatePaymentBody } from '../../lambda/example/schemas/payments';
import { paymentsDeps } from '../../lambda/example/payments/payments-deps';
import { CURRENCY_MINOR_UNITS, maxMinorUnits } from '../../lambda/runtime/schemas';
import { DEFAULT_PREVIOUS_GRACE_MS, PREVIOUS_GRACE_ENV, SecretCache } from '../../lambda/runtime/secrets';
import { signWebhook } from '../../lambda/runtime/webhook-signature';
import {
  authorizerFor, CURSOR_KEY, CURSOR_SECRET_ID, FakeSecrets, proxyEvent, validPayment, WEBHOOK_KEY, WEBHOOK_SECRET_ID,
  json, useDynaliteSuite,
} from './payments-helpers';

const ALICE = 'alice-sub-0001';
const HOUR = 3_600_000;

const dynamo = useDynaliteSuite();
function paths(res: APIGatewayProxyResult): string[] {
  return ((json(res) as { error?: { details?: { path: string }[] } }).error?.details ?? []).map((d) => d.path);
}

/** A clock the test moves. */
function clock(start: string): { now: () => Date; set: (iso: string | number) => void } {
  let t = new Date(start).getTime();
  return { now: () => new Date(t), set: (v) => { t = typeof v === 'number' ? v : new Date(v).getTime(); } };
}

async function setup(secrets = new FakeSecrets({ [CURSOR_SECRET_ID]: { current: CURSOR_KEY }, [WEBHOOK_SECRET_ID]: { current: WEBHOOK_KEY } }),
  now: () => Date = () => new Date(), graceMs?: number) {
  const table = await dynamo().createPaymentsTable();
  const deps = () => paymentsDeps({
    dynamo: dynamo().client, tableName: table, secretsClient: secrets, cursorSecretId: CURSOR_SECRET_ID, webhookSecretId: WEBHOOK_SECRET_ID, now,
    ...(graceMs !== undefined ? { previousSecretGraceMs: graceMs } : {}),
  });
  // One deps object per handler, as one container per function: the cache lives as long as it.
  const d = deps();
  return {
    table, secrets, fresh: deps,
    create: createPayment(() => d), get: getPayment(() => d), list: listPayments(() => d), admin: adminList(() => d), hook: webhook(() => d),
  };
}

function rawPost(owner: string, key: string, raw: string) {
  return proxyEvent('POST', '/payments', { body: raw, headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key }, authorizer: authorizerFor(owner) });
}
const post = (owner: string, key: string, body: unknown) => rawPost(owner, key, JSON.stringify(body));

/** An IBAN with the check digits that make `country + bban` pass mod-97 (ISO 13616), whatever its length or country. */
function withCheckDigits(country: string, bban: string, digits?: string): string {
  const numeric = (bban + country + '00').replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let r = 0;
  for (const d of numeric) r = (r * 10 + Number(d)) % 97;
  return `${country}${digits ?? String(98 - r).padStart(2, '0')}${bban}`;
}

describe('item 4: AWSPREVIOUS accepted only within the grace window after the rotation that made it previous', () => {
  const ROTATED = '2030-01-01T00:00:00Z';
  const rotatedSecrets = () => new FakeSecrets({
    [CURSOR_SECRET_ID]: { current: 'n'.repeat(48), previous: CURSOR_KEY, rotatedAt: new Date(ROTATED) },
    [WEBHOOK_SECRET_ID]: { current: 'z'.repeat(48), previous: WEBHOOK_KEY, rotatedAt: new Date(ROTATED) },
  });
  const hookBody = (id: string) => JSON.stringify({ eventId: '0b0c1f2e-1111-4222-8333-444455556666', type: 'payment.settled', paymentId: id, occurredAt: ROTATED });
  const hookEvent = (body: string, sig: string) => proxyEvent('POST', '/webhooks/processor', { body, headers: { 'Content-Type': 'application/json', 'X-Processor-Signature': sig } });

  /** A webhook signed with the leaked (now previous) secret at `at`, against a fresh container at `at`. */
  async function leakedWebhookAt(at: number, secrets = rotatedSecrets(), graceMs?: number): Promise<number> {
    const c = clock(ROTATED);
    const t = await setup(secrets, c.now, graceMs);
    const id = String(json(await t.create(post(ALICE, 'key-grace-0000000001', validPayment()))).paymentId);
    c.set(at);
    const body = hookBody(id);
    return (await t.hook(hookEvent(body, signWebhook(body, WEBHOOK_KEY, Math.floor(at / 1000))))).statusCode;
  }

  test('the default window is 24 hours', () => {
    expect(DEFAULT_PREVIOUS_GRACE_MS).toBe(24 * HOUR);
  });

  test('webhook: the previous secret verifies just inside 24 h after the rotation and is refused after it, and 30 days later', async () => {
    const rotated = new Date(ROTATED).getTime();
    expect(await leakedWebhookAt(rotated + 24 * HOUR - 60_000)).toBe(200);
    expect(await leakedWebhookAt(rotated + 24 * HOUR + 1000)).toBe(401);
    expect(await leakedWebhookAt(rotated + 30 * 24 * HOUR)).toBe(401);
  });

  test('webhook: the current secret keeps verifying after the window', async () => {
    const rotated = new Date(ROTATED).getTime();
    const c = clock(ROTATED);
    const t = await setup(rotatedSecrets(), c.now);
    const id = String(json(await t.create(post(ALICE, 'key-grace-0000000002', validPayment()))).paymentId);
    const at = rotated + 30 * 24 * HOUR;
    c.set(at);
    const body = hookBody(id);
    expect((await t.hook(hookEvent(body, signWebhook(body, 'z'.repeat(48), Math.floor(at / 1000))))).statusCode).toBe(200);
  });

  test('webhook: the window is configurable (1 hour: refused after 61 minutes)', async () => {
    const rotated = new Date(ROTATED).getTime();
    expect(await leakedWebhookAt(rotated + 59 * 60_000, rotatedSecrets(), HOUR)).toBe(200);
    expect(await leakedWebhookAt(rotated + 61 * 60_000, rotatedSecrets(), HOUR)).toBe(401);
  });

  test(`webhook: the window is read from ${'SECRET_PREVIOUS_GRACE_SECONDS'} when not passed`, async () => {
    const rotated = new Date(ROTATED).getTime();
    process.env[PREVIOUS_GRACE_ENV] = '600';
    try {
      expect(await leakedWebhookAt(rotated + 11 * 60_000)).toBe(401);
      expect(await leakedWebhookAt(rotated + 9 * 60_000)).toBe(200);
    } finally {
      delete process.env[PREVIOUS_GRACE_ENV];
    }
  });

  test('webhook: "revoke now" (AWSPREVIOUS removed from the old version) refuses it at once, inside the window', async () => {
    const rotated = new Date(ROTATED).getTime();
    const revoked = new FakeSecrets({
      [CURSOR_SECRET_ID]: { current: 'n'.repeat(48), rotatedAt: new Date(ROTATED) },
      [WEBHOOK_SECRET_ID]: { current: 'z'.repeat(48), rotatedAt: new Date(ROTATED) },
    });
    expect(await leakedWebhookAt(rotated + 60_000, revoked)).toBe(401);
  });

  test('cursor key: a cursor signed with the previous key pages on within the window and is refused after it', async () => {
    const rotated = new Date(ROTATED).getTime();
    const c = clock(ROTATED);
    const before = await setup(new FakeSecrets({ [CURSOR_SECRET_ID]: { current: CURSOR_KEY, rotatedAt: new Date('2029-12-01T00:00:00Z') }, [WEBHOOK_SECRET_ID]: { current: WEBHOOK_KEY } }), c.now);
    for (let i = 0; i < 3; i++) await before.create(post(ALICE, `key-grace-cursor-${i}000`, validPayment({ amount: i + 1 })));
    c.set(rotated - 60_000);
    const cursor = (json(await before.list(proxyEvent('GET', '/payments', { query: { limit: '1' }, authorizer: authorizerFor(ALICE) }))) as { nextCursor: string }).nextCursor;
    expect(cursor).toBeDefined();
    // A fresh container after the rotation, with a 1-hour window (the cursor itself lives 24 h).
    const listAt = async (at: number): Promise<number> => {
      c.set(at);
      const deps = paymentsDeps({
        dynamo: dynamo().client, tableName: before.table, secretsClient: rotatedSecrets(), cursorSecretId: CURSOR_SECRET_ID, webhookSecretId: WEBHOOK_SECRET_ID,
        now: c.now, previousSecretGraceMs: HOUR,
      });
      return (await listPayments(() => deps)(proxyEvent('GET', '/payments', { query: { cursor }, authorizer: authorizerFor(ALICE) }))).statusCode;
    };
    expect(await listAt(rotated + 30 * 60_000)).toBe(200);
    expect(await listAt(rotated + 2 * HOUR)).toBe(400);
  });

  test('the grace is measured at every verification, not when the value was cached', async () => {
    let now = new Date(ROTATED).getTime() + 23 * HOUR;
    const cache = new SecretCache({ client: rotatedSecrets(), ttlMs: 10 * HOUR, now: () => now });
    expect(await cache.acceptedValues(WEBHOOK_SECRET_ID)).toEqual(['z'.repeat(48), WEBHOOK_KEY]);
    now += 2 * HOUR; // still cached (TTL 10 h), but past the window
    expect(await cache.acceptedValues(WEBHOOK_SECRET_ID)).toEqual(['z'.repeat(48)]);
  });

  test('fails closed: without a CreatedDate on AWSCURRENT the previous value is not accepted', async () => {
    const noDate = { send: (cmd: { input: { VersionStage?: string } }) => Promise.resolve({ SecretString: cmd.input.VersionStage === 'AWSPREVIOUS' ? 'p'.repeat(40) : 'c'.repeat(40) }) };
    const cache = new SecretCache({ client: noDate as never });
    expect(await cache.acceptedValues('s')).toEqual(['c'.repeat(40)]);
  });
});

describe('item 5: exact money, validated on the JSON text', () => {
  const body = (amount: string, extra = '') => `{"amount":${amount},"currency":"EUR","creditor":{"name":"ACME GmbH","iban":"DE89370400440532013000"}${extra}}`;

  test.each([
    ['1.0000000000000001 (rounds to 1)', '1.0000000000000001'],
    ['100000000000.000001 (over the maximum as written, rounds to it)', '100000000000.000001'],
    ['9007199254740993 (beyond the safe integer range)', '9007199254740993'],
    ['1e400 (beyond any range)', '1e400'],
    ['12.5 (a fraction)', '12.5'],
    ['1e-400 (underflows to 0)', '1e-400'],
    ['-0.0000000000000000001 (a fraction)', '-0.0000000000000000001'],
  ])('amount %s is 400 on body.amount and nothing is stored', async (_name, amount) => {
    const t = await setup();
    const res = await t.create(rawPost(ALICE, 'key-money-000000001', body(amount)));
    expect(res.statusCode).toBe(400);
    expect(paths(res)).toContain('body.amount');
    expect(await dynamo().countItems(t.table)).toBe(0);
  });

  test('a number beyond the safe range is refused in any field, with its path', async () => {
    const t = await setup();
    const res = await t.create(rawPost(ALICE, 'key-money-000000002', body('1', ',"reference":12345678901234567890')));
    expect(res.statusCode).toBe(400);
    expect(paths(res)).toContain('body.reference');
  });

  test.each([
    ['amount (different values: the last one used to win)', '{"amount":1,"currency":"EUR","amount":100000,"creditor":{"name":"ACME GmbH","iban":"DE89370400440532013000"}}', 'body.amount'],
    ['amount (the same value twice)', '{"amount":1,"amount":1,"currency":"EUR","creditor":{"name":"ACME GmbH","iban":"DE89370400440532013000"}}', 'body.amount'],
    ['amount spelled with an escape', '{"amount":1,"\\u0061mount":2,"currency":"EUR","creditor":{"name":"ACME GmbH","iban":"DE89370400440532013000"}}', 'body.amount'],
    ['creditor.iban (nested)', '{"amount":1,"currency":"EUR","creditor":{"name":"ACME GmbH","iban":"DE89370400440532013000","iban":"GB82WEST12345698765432"}}', 'body.creditor.iban'],
  ])('a duplicated key is 400 with its path: %s', async (_name, raw, path) => {
    const t = await setup();
    const res = await t.create(rawPost(ALICE, 'key-money-000000003', raw));
    expect(res.statusCode).toBe(400);
    expect(paths(res)).toEqual([path]);
    expect(await dynamo().countItems(t.table)).toBe(0);
  });

  test('a duplicated unknown (hostile) key is reported on its parent, never by name', async () => {
    const t = await setup();
    const res = await t.create(rawPost(ALICE, 'key-money-000000004', '{"creditor":{"ZQXevilQXZ":1,"ZQXevilQXZ":2},"amount":1}'));
    expect(res.statusCode).toBe(400);
    expect(paths(res)).toEqual(['body.creditor']);
    expect(res.body).not.toContain('ZQXevilQXZ');
  });

  test('exact integers are accepted whatever their notation (1e2 and 100.0 are 100), and stored exactly', async () => {
    const t = await setup();
    for (const [i, amount] of ['100', '1e2', '100.0', '1.00e+2'].entries()) {
      const res = await t.create(rawPost(ALICE, `key-money-exact-00${i}`, body(amount)));
      expect(res.statusCode).toBe(201);
      expect(json(res).amount).toBe(100);
    }
  });

  test('the largest exact amount of a two-decimal currency is accepted, one more minor unit is not', async () => {
    const t = await setup();
    expect((await t.create(rawPost(ALICE, 'key-money-000000005', body('100000000000')))).statusCode).toBe(201);
    const over = await t.create(rawPost(ALICE, 'key-money-000000006', body('100000000001')));
    expect(over.statusCode).toBe(400);
    expect(paths(over)).toEqual(['body.amount']);
  });

  test('ISO 4217 minor-unit exponents: JPY 0, EUR 2, BHD and KWD 3, cross-checked with Intl (CLDR) except where CLDR differs', () => {
    expect(CURRENCY_MINOR_UNITS.JPY).toBe(0);
    expect(CURRENCY_MINOR_UNITS.EUR).toBe(2);
    expect(CURRENCY_MINOR_UNITS.BHD).toBe(3);
    expect(CURRENCY_MINOR_UNITS.KWD).toBe(3);
    // CLDR shows these without decimals; ISO 4217 (what payment messages carry) gives them 2.
    const cldrDiffers: Record<string, number> = { COP: 0, HUF: 0, IDR: 0 };
    for (const [code, exponent] of Object.entries(CURRENCY_MINOR_UNITS)) {
      const cldr = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits;
      expect([code, cldr]).toEqual([code, cldrDiffers[code] ?? exponent]);
      if (code in cldrDiffers) expect(exponent).toBe(2);
    }
  });

  test.each([
    ['JPY', 1_000_000_000, 1_000_000_001],
    ['EUR', 100_000_000_000, 100_000_000_001],
    ['BHD', 1_000_000_000_000, 1_000_000_000_001],
  ])('per-currency maximum (1 billion major units): %s accepts %d minor units, refuses %d on body.amount', async (currency, max, over) => {
    expect(maxMinorUnits(currency as never)).toBe(max);
    const t = await setup();
    expect((await t.create(post(ALICE, `key-cur-${currency}-0000001`, validPayment({ currency, amount: max })))).statusCode).toBe(201);
    const res = await t.create(post(ALICE, `key-cur-${currency}-0000002`, validPayment({ currency, amount: over })));
    expect(res.statusCode).toBe(400);
    expect(paths(res)).toEqual(['body.amount']);
  });

  test('the gateway model keeps the widest integer range (per-currency limits are the handler\'s)', () => {
    const doc = toJSONSchema(CreatePaymentBody, { target: 'draft-04', io: 'input', unrepresentable: 'throw' }) as unknown as { properties: { amount: Record<string, unknown> } };
    expect(doc.properties.amount).toMatchObject({ type: 'integer', minimum: 1, maximum: 1_000_000_000_000 });
  });
});

describe('item 6: IBAN registry rules (country, length, check digits 02-98, mod-97)', () => {
  test.each([
    'DE89370400440532013000', 'GB82WEST12345698765432', 'FR1420041010050500013M02606', 'NL91ABNA0417164300',
    'BE68539007547034', 'CH9300762011623852957', 'NO9386011117947', 'AT611904300234573201', 'XK051212012345678906',
  ])('accepts the registry example %s', async (iban) => {
    const t = await setup();
    expect((await t.create(post(ALICE, 'key-iban-ok-00000001', validPayment({ creditor: { name: 'ACME', iban } })))).statusCode).toBe(201);
  });

  /** A German BBAN whose correct check digits are `want`: then `DE` + `alt` + BBAN passes mod-97 too (alt ≡ want mod 97). */
  function germanBbanWithCheck(want: string): string {
    for (let n = 0; n < 100_000; n++) {
      const bban = `37040044${String(n).padStart(10, '0')}`;
      if (withCheckDigits('DE', bban).slice(2, 4) === want) return bban;
    }
    throw new Error('not found');
  }

  test.each([
    ['country XX (not in the registry), mod-97 valid', () => withCheckDigits('XX', '370400440532013000')],
    ['AO: in some lists, not in the IBAN registry', () => withCheckDigits('AO', '000600000123456789012')],
    ['a 15-character German IBAN, mod-97 valid', () => withCheckDigits('DE', '37040044053')],
    ['a 23-character German IBAN, mod-97 valid', () => withCheckDigits('DE', '3704004405320130001')],
    ['check digits 00 (≡ 97), mod-97 valid', () => withCheckDigits('DE', germanBbanWithCheck('97'), '00')],
    ['check digits 01 (≡ 98), mod-97 valid', () => withCheckDigits('DE', germanBbanWithCheck('98'), '01')],
    ['check digits 99 (≡ 02), mod-97 valid', () => withCheckDigits('DE', germanBbanWithCheck('02'), '99')],
    ['letters where the German BBAN has digits, mod-97 valid', () => withCheckDigits('DE', '37040044053201300A')],
  ])('refuses %s on body.creditor.iban', async (_name, make) => {
    const iban = make();
    // Each case really passes the old check (shape + mod-97), so the test fails if only that remains.
    expect(iban).toMatch(/^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/);
    const t = await setup();
    const res = await t.create(post(ALICE, 'key-iban-bad-0000001', validPayment({ creditor: { name: 'ACME', iban } })));
    expect(res.statusCode).toBe(400);
    expect(paths(res)).toContain('body.creditor.iban');
    expect(res.body).not.toContain(iban);
  });
});

describe('item 7: safe text in names and references', () => {
  const hostile: [string, string][] = [
    ['zero-width space U+200B', 'ACME\u200B GmbH'],
    ['left-to-right mark U+200E', '\u200EACME GmbH'],
    ['right-to-left mark U+200F', 'ACME\u200FGmbH'],
    ['word joiner U+2060', 'AC\u2060ME'],
    ['BOM / zero-width no-break space U+FEFF', '\uFEFFACME'],
    ['soft hyphen U+00AD (Cf)', 'AC\u00ADME'],
    ['Arabic letter mark U+061C (Cf)', 'ACME\u061C'],
    ['Unicode TAG characters (U+E0041 U+E0042)', 'ACME\u{E0041}\u{E0042}'],
    ['Hangul filler U+3164 (invisible letter)', 'ACME\u3164'],
    ['variation selector U+FE0F', 'ACME\uFE0F'],
    ['a single space', ' '],
    ['only white space', '   '],
    ['only no-break spaces', '\u00A0\u00A0'],
    ['leading white space', ' ACME'],
    ['trailing white space', 'ACME '],
    ['=HYPERLINK( formula', '=HYPERLINK("https://evil.example","Click")'],
    ['leading +', '+cmd|x'],
    ['leading -', '-2+3'],
    ['leading @', '@SUM(A1)'],
    ['full-width = (U+FF1D)', '\uFF1DSUM(A1)'],
    ['markup <', '<img src=x onerror=alert(1)>'],
    ['markup > in the middle', 'ACME > Ltd'],
  ];

  test.each(hostile)('creditor.name with %s is 400 on body.creditor.name, and nothing is stored', async (_name, value) => {
    const t = await setup();
    const res = await t.create(post(ALICE, 'key-text-0000000001', validPayment({ creditor: { name: value, iban: 'DE89370400440532013000' } })));
    expect(res.statusCode).toBe(400);
    expect(paths(res)).toContain('body.creditor.name');
    expect(await dynamo().countItems(t.table)).toBe(0);
  });

  test.each(hostile)('reference with %s is 400 on body.reference', async (_name, value) => {
    const t = await setup();
    const res = await t.create(post(ALICE, 'key-text-0000000002', validPayment({ reference: value })));
    expect(res.statusCode).toBe(400);
    expect(paths(res)).toContain('body.reference');
  });

  test('markup sent as \\u003c / \\u003e escapes arrives decoded and is refused too', async () => {
    const t = await setup();
    const raw = '{"amount":1,"currency":"EUR","creditor":{"name":"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e","iban":"DE89370400440532013000"}}';
    const res = await t.create(rawPost(ALICE, 'key-text-0000000003', raw));
    expect(res.statusCode).toBe(400);
    expect(paths(res)).toContain('body.creditor.name');
  });

  const ordinary = ["O'Brien & Söhne GmbH", 'José Núñez-García', 'Zoë D\u2019Arcy', '株式会社 みずほ', 'Müller, K. (Ltd.)', 'Ελληνικά Α.Ε.', 'Invoice 42 - March 2030', 'Ø. Ærø', 'A\u00A0B'];
  test.each(ordinary)('an ordinary name passes the handler and the gateway pattern: %s', async (name) => {
    const t = await setup();
    expect((await t.create(post(ALICE, `key-text-ok-${Buffer.from(name).toString('hex').slice(0, 12)}`, validPayment({ creditor: { name, iban: 'DE89370400440532013000' }, reference: name })))).statusCode).toBe(201);
  });

  test('the API Gateway model carries an ECMA pattern (no \\p{}) that refuses every BMP case above and accepts the ordinary names', () => {
    const doc = toJSONSchema(CreatePaymentBody, { target: 'draft-04', io: 'input', unrepresentable: 'throw' }) as unknown as {
      properties: { creditor: { properties: { name: { pattern: string } } }; reference: { pattern: string } };
    };
    for (const pattern of [doc.properties.creditor.properties.name.pattern, doc.properties.reference.pattern]) {
      expect(pattern).not.toMatch(/\\p\{/);
      const re = new RegExp(pattern); // ECMA, no `u` flag: as a draft-4 validator compiles it
      for (const name of ordinary) expect([name, re.test(name)]).toEqual([name, true]);
      // Astral TAG characters are the handler's (a pattern without `u` sees surrogate halves).
      for (const [label, value] of hostile.filter(([l]) => !l.includes('TAG'))) expect([label, re.test(value)]).toEqual([label, false]);
    }
  });
});

describe('item 8: an idempotent replay is answered before time-dependent rules', () => {
  test('a retry after midnight returns the stored payment (201, replayed), not 422; a new key that day is 422', async () => {
    const c = clock('2030-06-14T23:59:00Z');
    const t = await setup(undefined, c.now);
    const body = validPayment({ requestedExecutionDate: '2030-06-14' });
    const first = await t.create(post(ALICE, 'key-midnight-000001', body));
    expect(first.statusCode).toBe(201);
    c.set('2030-06-15T00:01:00Z');
    const retry = await t.create(post(ALICE, 'key-midnight-000001', body));
    expect(retry.statusCode).toBe(201);
    expect(retry.headers?.['Idempotent-Replayed']).toBe('true');
    expect(json(retry)).toEqual(json(first));
    const fresh = await t.create(post(ALICE, 'key-midnight-000002', body));
    expect(fresh.statusCode).toBe(422);
    const other = await t.create(post(ALICE, 'key-midnight-000001', validPayment({ requestedExecutionDate: '2030-06-14', amount: 7 })));
    expect(other.statusCode).toBe(409);
    expect(await dynamo().countItems(t.table)).toBe(1);
  });
});

describe('item 9 (IBAN part): the admin listing masks IBANs; the owner reads them in full', () => {
  test('admin sees country, check digits and the last four only; the owner\'s read and list show the full IBAN', async () => {
    const t = await setup();
    const iban = 'GB82WEST12345698765432';
    const created = json(await t.create(post(ALICE, 'key-mask-0000000001', validPayment({ creditor: { name: 'ACME', iban } }))));
    const admin = await t.admin(proxyEvent('GET', '/admin/payments', { authorizer: authorizerFor('root-admin-01', { scopes: 'payments/admin', groups: 'admins' }) }));
    expect(admin.statusCode).toBe(200);
    expect(admin.body).not.toContain(iban);
    expect(admin.body).not.toContain('WEST12345698');
    const item = (json(admin) as { items: { creditor: { iban: string } }[] }).items[0];
    expect(item?.creditor.iban).toBe('GB82**************5432');
    const own = await t.get(proxyEvent('GET', '/payments/{paymentId}', { pathParameters: { paymentId: String(created.paymentId) }, authorizer: authorizerFor(ALICE) }));
    expect((json(own) as { creditor: { iban: string } }).creditor.iban).toBe(iban);
    const list = await t.list(proxyEvent('GET', '/payments', { authorizer: authorizerFor(ALICE) }));
    expect(list.body).toContain(iban);
  });
});
