import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { FetchError } from 'aws-jwt-verify/error';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { Jwks } from 'aws-jwt-verify/jwk';
import * as fc from 'fast-check';
import { Authorizer, AuthorizerConfig, configFromEnv, createAuthorizer, ResolvedIntegration } from '../../lambda/functions/authorizer/authorizer';
import { encodeIntegrations } from '../../lambda/functions/authorizer/integrations';
import { TestCertificate, TestCertificateAuthority } from '../helpers/certs';
import { AUTHORIZER_ENV, encodeRoutePolicy, RouteRule, usageKeyEnv } from '../../lambda/functions/authorizer/route-policy';
import { principalFrom } from '../../lambda/runtime/authorizer-context';
import {
  AUTHORIZER_ALLOW_METRIC, AUTHORIZER_DENIAL_METRIC, DENIAL_REASONS, DenialReason, FORBIDDEN_REASONS,
} from '../../lambda/runtime/authorizer-metrics';
import {
  authorizerEvent, captureOutput, evaluatePolicy, idTokenClaims, jsonLines, localJwksCache, machineAccessClaims,
  nowSeconds, tamperPayload, TEST_CLIENTS, TEST_ISSUER, TEST_STAGE_PREFIX, TEST_USER_POOL_ID, TestKeys,
  unsignedToken, userAccessClaims,
} from '../helpers/tokens';

/**
 * A route table with the overlaps that make caching hard: `/payments/{paymentId}` (IAM pattern
 * `/payments/*`) also matches `/payments/search` and `/payments/x/refunds` requests.
 */
const ROUTES: RouteRule[] = [
  { method: 'GET', path: '/payments', scopes: ['payments/read'], groups: [] },
  { method: 'POST', path: '/payments', scopes: ['payments/read', 'payments/write'], groups: [] },
  { method: 'GET', path: '/payments/{paymentId}', scopes: ['payments/read'], groups: [] },
  { method: 'GET', path: '/payments/search', scopes: ['payments/search'], groups: [] },
  { method: 'GET', path: '/payments/{paymentId}/refunds', scopes: ['payments/read', 'refunds/read'], groups: [] },
  { method: 'POST', path: '/payments/{paymentId}/refunds', scopes: ['refunds/write'], groups: ['supervisors', 'admins'] },
  { method: 'DELETE', path: '/admin/users/{userId}', scopes: ['admin/users'], groups: ['admins'] },
];

/** A concrete request path of a route (path parameters filled with `value`). */
function concrete(path: string, value = 'pay_01HZX3'): string {
  return path.replace(/\{[^}]+\}/g, value);
}

function eventFor(rule: Pick<RouteRule, 'method' | 'path'>, authorization?: string, param?: string): APIGatewayRequestAuthorizerEvent {
  return authorizerEvent({ method: rule.method, resource: rule.path, path: concrete(rule.path, param), authorization });
}

const route = (method: string, path: string): RouteRule => {
  const found = ROUTES.find((r) => r.method === method && r.path === path);
  if (!found) throw new Error(`no test route ${method} ${path}`);
  return found;
};

let keys: TestKeys;
let jwks: Jwks;
let fetches: string[];
let authorizer: Authorizer;

function newAuthorizer(overrides: { maxTokenBytes?: number } = {}): Authorizer {
  const local = localJwksCache(jwks);
  fetches = local.fetches;
  return createAuthorizer(
    { userPoolId: TEST_USER_POOL_ID, userClientIds: [TEST_CLIENTS.web], machineClientIds: [TEST_CLIENTS.machine], routes: ROUTES, ...overrides },
    {
      logger: new Logger({ serviceName: 'authorizer-test', logLevel: 'INFO' }),
      metrics: new Metrics({ namespace: 'SecureRestApiTest', serviceName: 'authorizer-test' }),
      jwksCache: local.cache,
      jwks,
    },
  );
}

beforeAll(async () => {
  keys = new TestKeys();
  await keys.generate('pool', 'pool-key-1');
  await keys.generate('rogue', 'rogue-key-1');
  await keys.generate('impostor', 'pool-key-1'); // same kid as the pool key, different key material
  jwks = await keys.jwks(['pool']);
}, 30000);

afterAll(async () => {
  await keys.close();
});

beforeEach(() => {
  authorizer = newAuthorizer();
});

interface Outcome {
  readonly status: 200 | 401 | 403;
  readonly result?: APIGatewayAuthorizerResult;
  readonly output: string;
  readonly lines: Record<string, unknown>[];
}

/** Runs the authorizer and classifies its answer the way API Gateway does. */
async function run(event: APIGatewayRequestAuthorizerEvent, target: Authorizer = authorizer): Promise<Outcome> {
  const { result, error, output } = await captureOutput(() => target.handle(event));
  const lines = jsonLines(output);
  if (error !== undefined) {
    // Exactly this message makes API Gateway answer 401.
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('Unauthorized');
    return { status: 401, output, lines };
  }
  const decision = evaluatePolicy(result!.policyDocument as never, event.methodArn);
  return { status: decision === 'Allow' ? 200 : 403, result, output, lines };
}

const reasonsSeen = new Set<DenialReason>();

/** An authorizer with any configuration (defaults: the test pool, ROUTES, the local JWKS). */
function authorizerWith(config: Partial<AuthorizerConfig>): Authorizer {
  const local = localJwksCache(jwks);
  return createAuthorizer(
    { userPoolId: TEST_USER_POOL_ID, userClientIds: [TEST_CLIENTS.web], machineClientIds: [], routes: ROUTES, ...config },
    {
      logger: new Logger({ serviceName: 'authorizer-test', logLevel: 'INFO' }),
      metrics: new Metrics({ namespace: 'SecureRestApiTest', serviceName: 'authorizer-test' }),
      jwksCache: local.cache,
      jwks,
    },
  );
}

/** The denial is logged with its reason and counted in the per-reason metric; the token is nowhere. */
function expectDenial(outcome: Outcome, reason: DenialReason, token?: string): void {
  reasonsSeen.add(reason);
  expect(outcome.status).toBe(FORBIDDEN_REASONS.includes(reason) ? 403 : 401);
  const log = outcome.lines.find((l) => l.message === 'Authorization denied');
  expect(log).toMatchObject({ level: 'WARN', reason });
  const emf = outcome.lines.find((l) => l[AUTHORIZER_DENIAL_METRIC] === 1);
  expect(emf).toMatchObject({ reason, service: 'authorizer-test' });
  expect(JSON.stringify((emf!._aws as { CloudWatchMetrics: unknown[] }).CloudWatchMetrics)).toContain('"reason"');
  if (token) expectNoToken(outcome.output, token);
}

function expectNoToken(output: string, token: string): void {
  const [header, payload, signature] = token.split('.');
  expect(output).not.toContain(token);
  for (const part of [header, payload, signature]) {
    if (part && part.length > 16) expect(output).not.toContain(part);
  }
}

const bearer = (token: string): string => `Bearer ${token}`;
const readClaims = (): Record<string, unknown> => userAccessClaims({ scopes: ['payments/read'] });

describe('authorizer rejects (attack cases, real RS256 tokens and the real verifier)', () => {
  test('no Authorization header -> 401 missing_token', async () => {
    expectDenial(await run(eventFor(route('GET', '/payments'))), 'missing_token');
  });

  test('empty Authorization header -> 401 missing_token', async () => {
    expectDenial(await run(eventFor(route('GET', '/payments'), '')), 'missing_token');
  });

  test.each([
    ['Basic scheme', 'Basic YWxpY2U6c2VjcmV0'],
    ['Bearer without token', 'Bearer '],
    ['not a JWT', 'Bearer not-a-jwt'],
    ['two segments', 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0'],
    ['raw token without scheme', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'],
    ['garbage base64 segments', 'Bearer e30.bm90LWpzb24.c2ln'],
  ])('malformed header (%s) -> 401 malformed_token', async (_name, header) => {
    expectDenial(await run(eventFor(route('GET', '/payments'), header)), 'malformed_token');
  });

  test('two Authorization headers -> 401 malformed_token', async () => {
    const token = await keys.sign('pool', readClaims());
    const event = eventFor(route('GET', '/payments'), bearer(token));
    event.multiValueHeaders = { ...event.multiValueHeaders, Authorization: [bearer(token), 'Bearer other.token.here'] };
    expectDenial(await run(event), 'malformed_token', token);
  });

  test('alg "none", empty signature -> 401 malformed_token', async () => {
    const token = unsignedToken(readClaims(), { alg: 'none', typ: 'JWT', kid: 'pool-key-1' });
    expectDenial(await run(eventFor(route('GET', '/payments'), bearer(token))), 'malformed_token', token);
  });

  test('alg "none" with the pool kid and a junk signature -> 401 unsupported_alg', async () => {
    const token = unsignedToken(readClaims(), { alg: 'none', typ: 'JWT', kid: 'pool-key-1' }, 'c2lnbmF0dXJl');
    expectDenial(await run(eventFor(route('GET', '/payments'), bearer(token))), 'unsupported_alg', token);
  });

  test('alg "none" without kid and a junk signature -> 401 unsupported_alg', async () => {
    const token = unsignedToken(readClaims(), { alg: 'none', typ: 'JWT' }, 'c2lnbmF0dXJl');
    expectDenial(await run(eventFor(route('GET', '/payments'), bearer(token))), 'unsupported_alg', token);
  });

  test('RS256 without kid -> 401 unknown_kid, and an unsupported alg never triggers a JWKS download', async () => {
    const noKid = unsignedToken(readClaims(), { alg: 'RS256', typ: 'JWT' }, 'c2lnbmF0dXJl');
    expectDenial(await run(eventFor(route('GET', '/payments'), bearer(noKid))), 'unknown_kid', noKid);
    const es = unsignedToken(readClaims(), { alg: 'ES256', typ: 'JWT', kid: 'attacker-key' }, 'c2lnbmF0dXJl');
    expectDenial(await run(eventFor(route('GET', '/payments'), bearer(es))), 'unsupported_alg', es);
    const hs = unsignedToken(readClaims(), { alg: 'HS256', typ: 'JWT', kid: 'attacker-key' }, 'c2lnbmF0dXJl');
    expectDenial(await run(eventFor(route('GET', '/payments'), bearer(hs))), 'unsupported_alg', hs);
    expect(fetches).toHaveLength(0);
  });

  test('HS256 signed with the RSA public key (key confusion) -> 401 unsupported_alg', async () => {
    const token = await keys.signHmacWithPublicKey('pool', readClaims());
    expectDenial(await run(eventFor(route('GET', '/payments'), bearer(token))), 'unsupported_alg', token);
  });

  test('unknown kid -> 401 unknown_kid, JWKS refetched once, then the penalty box stops refetching', async () => {
    const token = await keys.sign('rogue', readClaims());
    expectDenial(await run(eventFor(route('GET', '/payments'), bearer(token))), 'unknown_kid', token);
    expect(fetches).toHaveLength(1);
    expectDenial(await run(eventFor(route('GET', '/payments'), bearer(token))), 'unknown_kid', token);
    expect(fetches).toHaveLength(1);
  });

  test('right kid, wrong key (forged signature) -> 401 bad_signature', async () => {
    const token = await keys.sign('impostor', readClaims());
    expectDenial(await run(eventFor(route('GET', '/payments'), bearer(token))), 'bad_signature', token);
  });

  test('tampered payload (scope escalation on a valid token) -> 401 bad_signature', async () => {
    const valid = await keys.sign('pool', readClaims());
    const token = tamperPayload(valid, (p) => ({ ...p, scope: `${String(p.scope)} payments/write`, 'cognito:groups': ['admins'] }));
    expectDenial(await run(eventFor(route('POST', '/payments'), bearer(token))), 'bad_signature', token);
  });

  test('expired -> 401 expired', async () => {
    const token = await keys.sign('pool', { ...readClaims(), iat: nowSeconds() - 1000, exp: nowSeconds() - 60 });
    expectDenial(await run(eventFor(route('GET', '/payments'), bearer(token))), 'expired', token);
  });

  test('not yet valid (nbf in the future) -> 401 not_yet_valid', async () => {
    const token = await keys.sign('pool', { ...readClaims(), nbf: nowSeconds() + 600 });
    expectDenial(await run(eventFor(route('GET', '/payments'), bearer(token))), 'not_yet_valid', token);
  });

  test.each([
    ['another user pool', 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Attacker1'],
    ['another region', `https://cognito-idp.us-east-1.amazonaws.com/${TEST_USER_POOL_ID}`],
    ['a look-alike host', `https://cognito-idp.eu-west-1.amazonaws.com.evil.example/${TEST_USER_POOL_ID}`],
  ])('wrong issuer (%s, signed with a trusted key) -> 401 wrong_issuer', async (_name, iss) => {
    const token = await keys.sign('pool', { ...readClaims(), iss });
    expectDenial(await run(eventFor(route('GET', '/payments'), bearer(token))), 'wrong_issuer', token);
  });

  test('missing issuer -> 401 wrong_issuer', async () => {
    const { iss: _drop, ...claims } = readClaims();
    const token = await keys.sign('pool', claims);
    expectDenial(await run(eventFor(route('GET', '/payments'), bearer(token))), 'wrong_issuer', token);
  });

  test('wrong client_id (a client of no concern to this API) -> 401 wrong_client', async () => {
    const token = await keys.sign('pool', userAccessClaims({ scopes: ['payments/read'], clientId: 'otherclient000000000000000' }));
    expectDenial(await run(eventFor(route('GET', '/payments'), bearer(token))), 'wrong_client', token);
  });

  test('missing client_id -> 401 wrong_client', async () => {
    const { client_id: _drop, ...claims } = readClaims();
    const token = await keys.sign('pool', claims);
    expectDenial(await run(eventFor(route('GET', '/payments'), bearer(token))), 'wrong_client', token);
  });

  test('ID token instead of access token -> 401 wrong_token_use', async () => {
    const token = await keys.sign('pool', idTokenClaims());
    expectDenial(await run(eventFor(route('GET', '/payments'), bearer(token))), 'wrong_token_use', token);
  });

  test('token without exp (never expires) -> 401 invalid_claims', async () => {
    const { exp: _drop, ...claims } = readClaims();
    const token = await keys.sign('pool', claims);
    expectDenial(await run(eventFor(route('GET', '/payments'), bearer(token))), 'invalid_claims', token);
  });

  test('lifetime longer than Cognito ever issues -> 401 invalid_claims', async () => {
    const token = await keys.sign('pool', userAccessClaims({ scopes: ['payments/read'], lifetimeSeconds: 30 * 24 * 3600 }));
    expectDenial(await run(eventFor(route('GET', '/payments'), bearer(token))), 'invalid_claims', token);
  });

  test('machine-client token that claims a user and groups -> 401 invalid_claims', async () => {
    const token = await keys.sign('pool', { ...machineAccessClaims({ scopes: ['admin/users'] }), username: 'root', 'cognito:groups': ['admins'] });
    expectDenial(await run(eventFor(route('DELETE', '/admin/users/{userId}'), bearer(token))), 'invalid_claims', token);
  });

  test('missing scope -> 403 missing_scope (Deny, not 401)', async () => {
    const token = await keys.sign('pool', userAccessClaims({ scopes: [] }));
    const outcome = await run(eventFor(route('GET', '/payments'), bearer(token)));
    expectDenial(outcome, 'missing_scope', token);
    expect(outcome.result!.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${TEST_STAGE_PREFIX}/*`] },
    ]);
  });

  test('one of two required scopes (AND semantics) -> 403 missing_scope', async () => {
    const token = await keys.sign('pool', userAccessClaims({ scopes: ['payments/write'] }));
    expectDenial(await run(eventFor(route('POST', '/payments'), bearer(token))), 'missing_scope', token);
  });

  test('scope of another route -> 403 here, allowed on its own route', async () => {
    const token = await keys.sign('pool', userAccessClaims({ scopes: ['payments/search'] }));
    expectDenial(await run(eventFor(route('GET', '/payments/{paymentId}'), bearer(token))), 'missing_scope', token);
    expect((await run(eventFor(route('GET', '/payments/search'), bearer(token)))).status).toBe(200);
  });

  test('right scope, no required group -> 403 missing_group', async () => {
    const token = await keys.sign('pool', userAccessClaims({ scopes: ['refunds/write'], groups: ['tellers'] }));
    expectDenial(await run(eventFor(route('POST', '/payments/{paymentId}/refunds'), bearer(token))), 'missing_group', token);
  });

  test('machine token on a group-gated route -> 403 missing_group (client credentials carry no groups)', async () => {
    const token = await keys.sign('pool', machineAccessClaims({ scopes: ['admin/users'] }));
    expectDenial(await run(eventFor(route('DELETE', '/admin/users/{userId}'), bearer(token))), 'missing_group', token);
  });

  test('oversized token (> 8 KB) -> 401 oversized_token, refused before it is parsed', async () => {
    const token = await keys.sign('pool', { ...readClaims(), padding: 'x'.repeat(9000) });
    const outcome = await run(eventFor(route('GET', '/payments'), bearer(token)));
    expectDenial(outcome, 'oversized_token', token);
    // The same valid token is accepted when the limit allows it: the size check is what refused it.
    expect((await run(eventFor(route('GET', '/payments'), bearer(token)), newAuthorizer({ maxTokenBytes: 16 * 1024 }))).status).toBe(200);
  });

  test('a method the route table does not know -> 403 unknown_route for that request only', async () => {
    const token = await keys.sign('pool', readClaims());
    const event = authorizerEvent({ method: 'PUT', resource: '/payments/{paymentId}', path: '/payments/p1', authorization: bearer(token) });
    const outcome = await run(event);
    expectDenial(outcome, 'unknown_route', token);
    // The cached policy still serves the token's real routes.
    expect(evaluatePolicy(outcome.result!.policyDocument as never, `${TEST_STAGE_PREFIX}/GET/payments/p1`)).toBe('Allow');
  });
});

describe('authorizer failure modes', () => {
  test('JWKS download failure -> 500 (AUTHORIZER_FAILURE), not a 401 blaming the caller', async () => {
    const failing = createAuthorizer(
      { userPoolId: TEST_USER_POOL_ID, userClientIds: [TEST_CLIENTS.web], machineClientIds: [], routes: ROUTES },
      {
        logger: new Logger({ serviceName: 'authorizer-test' }),
        metrics: new Metrics({ namespace: 'SecureRestApiTest', serviceName: 'authorizer-test' }),
        jwksCache: new SimpleJwksCache({ fetcher: { fetch: async () => { throw new FetchError('https://jwks', 'offline'); } } }),
      },
    );
    const token = await keys.sign('pool', readClaims());
    const { error, output } = await captureOutput(() => failing.handle(eventFor(route('GET', '/payments'), bearer(token))));
    expect((error as Error).message).toBe('Authorizer failure');
    expect(output).toContain('Token verification failed unexpectedly');
    expectNoToken(output, token);
  });

  test('hydrate() swallows a failed JWKS prefetch (no network at init must not crash the container)', async () => {
    const failing = createAuthorizer(
      { userPoolId: TEST_USER_POOL_ID, userClientIds: [TEST_CLIENTS.web], machineClientIds: [], routes: ROUTES },
      {
        logger: new Logger({ serviceName: 'authorizer-test' }),
        metrics: new Metrics({ namespace: 'SecureRestApiTest', serviceName: 'authorizer-test' }),
        jwksCache: new SimpleJwksCache({ fetcher: { fetch: async () => { throw new FetchError('https://jwks', 'offline'); } } }),
      },
    );
    const { error, output } = await captureOutput(() => failing.hydrate());
    expect(error).toBeUndefined();
    expect(output).toContain('JWKS prefetch failed');
  });

  test('hydrate() loads the JWKS through the cache before the first request', async () => {
    await authorizer.hydrate();
    expect(fetches.length).toBeGreaterThanOrEqual(1);
    expect(fetches[0]).toBe(`${TEST_ISSUER}/.well-known/jwks.json`);
  });
});

describe('authorizer accepts valid tokens only for their routes', () => {
  test('user token: Allow, context carries sub/client/scopes/groups/principalType, never the token', async () => {
    const token = await keys.sign('pool', userAccessClaims({ scopes: ['payments/read'], groups: ['tellers'] }));
    const outcome = await run(eventFor(route('GET', '/payments/{paymentId}'), bearer(token)));
    expect(outcome.status).toBe(200);
    expect(outcome.result!.principalId).toBe('3f2504e0-4f89-11d3-9a0c-0305e82c3301');
    expect(outcome.result!.context).toEqual({
      sub: '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
      clientId: TEST_CLIENTS.web,
      scopes: 'openid email payments/read',
      groups: 'tellers',
      principalType: 'user',
      integration: '',
    });
    expect(JSON.stringify(outcome.result)).not.toContain(token.split('.')[2]);
    // What handlers read back through the shared contract is complete and well-formed.
    expect(principalFrom({ principalId: outcome.result!.principalId, ...outcome.result!.context })).toMatchObject({ type: 'user', groups: ['tellers'] });
    expect(outcome.lines.find((l) => l[AUTHORIZER_ALLOW_METRIC] === 1)).toBeDefined();
    expectNoToken(outcome.output, token);
  });

  test('one metric document per decision; a denial\'s reason dimension never reaches the next decision', async () => {
    const token = await keys.sign('pool', readClaims());
    const denied = await run(eventFor(route('GET', '/payments'), 'Bearer not-a-jwt'));
    const allowed = await run(eventFor(route('GET', '/payments'), bearer(token)));
    const deniedAgain = await run(eventFor(route('POST', '/payments'), bearer(token)));
    const emfOf = (o: Outcome): Record<string, unknown>[] => o.lines.filter((l) => '_aws' in l);
    const dimensionsOf = (l: Record<string, unknown>): unknown => (l._aws as { CloudWatchMetrics: { Dimensions: unknown }[] }).CloudWatchMetrics[0]?.Dimensions;
    expect(emfOf(denied)).toHaveLength(1);
    expect(emfOf(allowed)).toHaveLength(1);
    const allow = emfOf(allowed)[0]!;
    expect(allow).toMatchObject({ [AUTHORIZER_ALLOW_METRIC]: 1, service: 'authorizer-test' });
    expect(allow).not.toHaveProperty('reason');
    expect(dimensionsOf(allow)).toEqual([['service']]);
    expect((allow._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0]?.Namespace).toBe('SecureRestApiTest');
    expect(emfOf(deniedAgain)).toEqual([expect.objectContaining({ [AUTHORIZER_DENIAL_METRIC]: 1, reason: 'missing_scope' })]);
    expect(dimensionsOf(emfOf(deniedAgain)[0]!)).toEqual([['service', 'reason']]);
    // Each document carries the time of its own decision, not the time it was first serialized.
    const stamp = (l: Record<string, unknown>): number => (l._aws as { Timestamp: number }).Timestamp;
    expect(Math.abs(stamp(allow) - Date.now())).toBeLessThan(60_000);
    expect(stamp(emfOf(deniedAgain)[0]!)).toBeGreaterThanOrEqual(stamp(allow));
  });

  test('POWERTOOLS_METRICS_DISABLED silences the decision metrics, not the decision', async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    let silent: Authorizer;
    try {
      silent = newAuthorizer();
    } finally {
      delete process.env.POWERTOOLS_METRICS_DISABLED;
    }
    const outcome = await run(eventFor(route('GET', '/payments'), bearer(await keys.sign('pool', readClaims()))), silent);
    expect(outcome.status).toBe(200);
    expect(outcome.lines.filter((l) => '_aws' in l)).toHaveLength(0);
  });

  test('machine token: Allow on service routes, principalType machine, principalId = client id', async () => {
    const token = await keys.sign('pool', machineAccessClaims({ scopes: ['payments/read'] }));
    const outcome = await run(eventFor(route('GET', '/payments'), bearer(token)));
    expect(outcome.status).toBe(200);
    expect(outcome.result!.principalId).toBe(TEST_CLIENTS.machine);
    expect(outcome.result!.context).toMatchObject({ principalType: 'machine', groups: '', clientId: TEST_CLIENTS.machine });
  });

  test('cached policy, then another route: the first policy decides every other route exactly', async () => {
    const token = await keys.sign('pool', userAccessClaims({ scopes: ['payments/read'] }));
    const first = await run(eventFor(route('GET', '/payments'), bearer(token)));
    expect(first.status).toBe(200);
    const cached = first.result!.policyDocument as never;
    const decide = (method: string, path: string): string => evaluatePolicy(cached, `${TEST_STAGE_PREFIX}/${method}${path}`);
    // Permitted by payments/read:
    expect(decide('GET', '/payments')).toBe('Allow');
    expect(decide('GET', '/payments/pay_123')).toBe('Allow');
    // Not permitted, although IAM's `*` in GET /payments/* reaches them: explicit Deny wins.
    expect(decide('GET', '/payments/search')).toBe('Deny');
    expect(decide('GET', '/payments/pay_123/refunds')).toBe('Deny');
    // Not permitted and out of reach of any Allow: implicit deny.
    expect(decide('POST', '/payments')).toBe('ImplicitDeny');
    expect(decide('POST', '/payments/pay_123/refunds')).toBe('ImplicitDeny');
    expect(decide('DELETE', '/admin/users/u1')).toBe('ImplicitDeny');
    // And the authorizer itself, called for those routes with the same token, agrees with the cache.
    for (const rule of ROUTES) {
      const fresh = await run(eventFor(rule, bearer(token)));
      expect(fresh.status === 200 ? 'Allow' : 'Deny').toBe(decide(rule.method, concrete(rule.path)) === 'Allow' ? 'Allow' : 'Deny');
    }
  });

  test('a denied first call still caches the routes the token may call (no false 403 afterwards)', async () => {
    const token = await keys.sign('pool', userAccessClaims({ scopes: ['payments/search'] }));
    const first = await run(eventFor(route('GET', '/payments/{paymentId}'), bearer(token)));
    expect(first.status).toBe(403);
    expect(evaluatePolicy(first.result!.policyDocument as never, `${TEST_STAGE_PREFIX}/GET/payments/search`)).toBe('Allow');
  });

  test('property: for any scopes/groups, the policy from any route allows exactly the permitted routes', async () => {
    const allScopes = [...new Set(ROUTES.flatMap((r) => r.scopes))];
    const allGroups = ['admins', 'supervisors', 'tellers'];
    const token = new Map<string, string>();
    await fc.assert(fc.asyncProperty(
      fc.subarray(allScopes),
      fc.subarray(allGroups),
      fc.integer({ min: 0, max: ROUTES.length - 1 }),
      fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/),
      async (scopes, groups, firstIndex, param) => {
        const key = `${scopes.join(' ')}|${groups.join(' ')}`;
        if (!token.has(key)) token.set(key, await keys.sign('pool', userAccessClaims({ scopes, groups })));
        const first = await run(eventFor(ROUTES[firstIndex] as RouteRule, bearer(token.get(key) as string), param));
        const policy = first.result!.policyDocument as never;
        for (const rule of ROUTES) {
          const expected = rule.scopes.every((s) => scopes.includes(s)) && (rule.groups.length === 0 || rule.groups.some((g) => groups.includes(g)));
          const arn = `${TEST_STAGE_PREFIX}/${rule.method}${concrete(rule.path, param)}`;
          const collides = ROUTES.some((r) => r.path.split('/').includes(param)); // param equals a literal segment
          const decision = evaluatePolicy(policy, arn);
          if (!expected) expect(decision).not.toBe('Allow'); // never a false allow, for any value
          else if (!collides) expect(decision).toBe('Allow');
        }
      },
    ), { numRuns: 150 });
  }, 60000);
});

describe('machine integrations: one owner per integration, stable across client rotation (issue 14.1)', () => {
  const INTEGRATIONS: ResolvedIntegration[] = [
    { id: 'acme-payments', clientIds: [TEST_CLIENTS.acme, TEST_CLIENTS.acmeNext], principal: 'integration', usageKey: 'acmeUsageKeyValue0123456789abcdefghijkl' },
    { id: 'globex-treasury', clientIds: [TEST_CLIENTS.globex], principal: 'integration', usageKey: 'globexUsageKeyValue0123456789abcdefghij' },
    { id: 'machine-client', clientIds: [TEST_CLIENTS.machine], principal: 'client', usageKey: 'legacyUsageKeyValue0123456789abcdefghij' },
  ];
  const PEOPLE_KEY = 'peopleUsageKeyValue0123456789abcdefghij';
  let integrated: Authorizer;
  beforeEach(() => { integrated = authorizerWith({ integrations: INTEGRATIONS, userUsageKey: PEOPLE_KEY }); });
  const machine = async (clientId: string): Promise<Outcome> => run(
    eventFor(route('GET', '/payments'), bearer(await keys.sign('pool', machineAccessClaims({ scopes: ['payments/read'], clientId })))), integrated);

  test('principal is integration:<id>, not the client id; the context names the integration', async () => {
    const outcome = await machine(TEST_CLIENTS.acme);
    expect(outcome.status).toBe(200);
    expect(outcome.result!.principalId).toBe('integration:acme-payments');
    expect(outcome.result!.context).toMatchObject({ principalType: 'machine', clientId: TEST_CLIENTS.acme, sub: TEST_CLIENTS.acme, integration: 'acme-payments' });
    expect(principalFrom({ principalId: outcome.result!.principalId, ...outcome.result!.context })).toMatchObject({ id: 'integration:acme-payments', integration: 'acme-payments', type: 'machine' });
  });

  test('a rotated (second) client of the same integration has the same owner; another integration never does', async () => {
    const [first, rotated, other] = await Promise.all([machine(TEST_CLIENTS.acme), machine(TEST_CLIENTS.acmeNext), machine(TEST_CLIENTS.globex)]);
    expect(rotated.result!.principalId).toBe(first.result!.principalId);
    expect(other.result!.principalId).toBe('integration:globex-treasury');
    expect(other.result!.principalId).not.toBe(first.result!.principalId);
  });

  test('each integration is metered on its own key, people on the people key; the deprecated client keeps its client id as owner', async () => {
    expect((await machine(TEST_CLIENTS.acme)).result!.usageIdentifierKey).toBe(INTEGRATIONS[0]!.usageKey);
    expect((await machine(TEST_CLIENTS.acmeNext)).result!.usageIdentifierKey).toBe(INTEGRATIONS[0]!.usageKey);
    expect((await machine(TEST_CLIENTS.globex)).result!.usageIdentifierKey).toBe(INTEGRATIONS[1]!.usageKey);
    const legacy = await machine(TEST_CLIENTS.machine);
    expect(legacy.result!.principalId).toBe(TEST_CLIENTS.machine);
    expect(legacy.result!.usageIdentifierKey).toBe(INTEGRATIONS[2]!.usageKey);
    expect(legacy.result!.context).toMatchObject({ integration: '' });
    const user = await run(eventFor(route('GET', '/payments'), bearer(await keys.sign('pool', readClaims()))), integrated);
    expect(user.result!.usageIdentifierKey).toBe(PEOPLE_KEY);
    expect(user.result!.context).toMatchObject({ principalType: 'user', integration: '' });
  });

  test('principalFrom refuses a context whose owner is not the integration it names (forged or half-filled)', () => {
    const base = { sub: TEST_CLIENTS.acme, clientId: TEST_CLIENTS.acme, scopes: 'payments/read', groups: '', principalType: 'machine', integration: 'acme-payments' };
    expect(principalFrom({ ...base, principalId: 'integration:acme-payments' })).toBeDefined();
    expect(principalFrom({ ...base, principalId: 'integration:globex-treasury' })).toBeUndefined();
    expect(principalFrom({ ...base, principalId: TEST_CLIENTS.acme })).toBeUndefined();
    expect(principalFrom({ ...base, principalType: 'user', principalId: 'integration:acme-payments' })).toBeUndefined();
  });

  test('configFromEnv: integrations, their usage keys and the people key from the environment ApiIdentity sets', () => {
    const config = configFromEnv({
      [AUTHORIZER_ENV.userPoolId]: TEST_USER_POOL_ID,
      [AUTHORIZER_ENV.userClientIds]: TEST_CLIENTS.web,
      [AUTHORIZER_ENV.routePolicy]: encodeRoutePolicy(ROUTES),
      [AUTHORIZER_ENV.machineIntegrations]: encodeIntegrations([
        { id: 'acme-payments', clientIds: [TEST_CLIENTS.acme], principal: 'integration', usageKeyEnv: usageKeyEnv(0), certificate: { sha256: ['a'.repeat(64)], subject: 'CN=acme' } },
      ]),
      [usageKeyEnv(0)]: 'acme-key-value-0123456789abcdefghijklmno',
      [AUTHORIZER_ENV.userUsageKey]: PEOPLE_KEY,
      [AUTHORIZER_ENV.cacheTtlSeconds]: '300',
    });
    expect(config.integrations).toEqual([{ id: 'acme-payments', clientIds: [TEST_CLIENTS.acme], principal: 'integration', usageKey: 'acme-key-value-0123456789abcdefghijklmno', certificate: { sha256: ['a'.repeat(64)], subject: 'CN=acme' } }]);
    expect(config.machineClientIds).toEqual([TEST_CLIENTS.acme]);
    expect(config).toMatchObject({ userUsageKey: PEOPLE_KEY, cacheTtlSeconds: 300 });
  });

  test.each([
    ['a usage key variable that is not set', encodeIntegrations([{ id: 'acme', clientIds: ['c1'], principal: 'integration', usageKeyEnv: 'USAGE_KEY_0' }]), /USAGE_KEY_0/],
    ['one client in two integrations', encodeIntegrations([{ id: 'a', clientIds: ['c1'], principal: 'integration' }, { id: 'b', clientIds: ['c1'], principal: 'integration' }]), /two integrations/],
    ['an integration id outside the safe alphabet', '[{"id":"Acme Payments","clients":["c1"]}]', /id must be/],
    ['a binding without a condition', '[{"id":"acme","clients":["c1"],"cert":{}}]', /cert needs/],
    ['a malformed thumbprint', '[{"id":"acme","clients":["c1"],"cert":{"sha256":["AB:CD"]}}]', /sha256/],
    ['a user client listed as an integration client', encodeIntegrations([{ id: 'acme', clientIds: [TEST_CLIENTS.web], principal: 'integration' }]), /both a user and a machine/],
  ])('a broken integration environment fails init (fail closed): %s', (_name, raw, message) => {
    expect(() => configFromEnv({
      [AUTHORIZER_ENV.userPoolId]: TEST_USER_POOL_ID, [AUTHORIZER_ENV.userClientIds]: TEST_CLIENTS.web,
      [AUTHORIZER_ENV.routePolicy]: encodeRoutePolicy(ROUTES), [AUTHORIZER_ENV.machineIntegrations]: raw,
    })).toThrow(message);
  });
});

describe('sender-constrained machine tokens: certificate binding with real X.509 certificates (issue 14.2)', () => {
  let ca: TestCertificateAuthority;
  let acmeCert: TestCertificate;
  let acmeRollover: TestCertificate;
  let globexCert: TestCertificate;
  let bound: Authorizer;

  beforeAll(() => {
    ca = new TestCertificateAuthority();
    acmeCert = ca.issue('acme', '/C=DE/O=Acme GmbH/CN=acme-payments');
    acmeRollover = ca.issue('acme-next', '/C=DE/O=Acme GmbH/CN=acme-payments');
    globexCert = ca.issue('globex', '/C=US/O=Globex Corp/CN=globex-treasury');
  }, 60000);
  afterAll(() => ca.dispose());
  beforeEach(() => {
    bound = authorizerWith({
      integrations: [
        { id: 'acme-payments', clientIds: [TEST_CLIENTS.acme], principal: 'integration', certificate: { sha256: [acmeCert.sha256, acmeRollover.sha256] } },
        { id: 'globex-treasury', clientIds: [TEST_CLIENTS.globex], principal: 'integration', certificate: { sha256: [], subject: 'C=US\nCN=globex-treasury\nO=Globex Corp' } },
      ],
    });
  });
  const call = async (clientId: string, clientCertPem: string | null): Promise<{ outcome: Outcome; token: string }> => {
    const token = await keys.sign('pool', machineAccessClaims({ scopes: ['payments/read'], clientId }));
    const event = authorizerEvent({ method: 'GET', resource: '/payments', authorization: bearer(token), clientCertPem });
    return { outcome: await run(event, bound), token };
  };

  test('the bound certificate (or its rollover) passes', async () => {
    expect((await call(TEST_CLIENTS.acme, acmeCert.pem)).outcome.status).toBe(200);
    expect((await call(TEST_CLIENTS.acme, acmeRollover.pem)).outcome.status).toBe(200);
    expect((await call(TEST_CLIENTS.globex, globexCert.pem)).outcome.status).toBe(200);
  });

  test('a stolen token presented without a certificate -> 401 missing_client_cert', async () => {
    const { outcome, token } = await call(TEST_CLIENTS.acme, null);
    expectDenial(outcome, 'missing_client_cert', token);
  });

  test('a stolen token presented with another integration\'s (CA-valid) certificate -> 401 wrong_client_cert', async () => {
    const { outcome, token } = await call(TEST_CLIENTS.acme, globexCert.pem);
    expectDenial(outcome, 'wrong_client_cert', token);
    expectDenial((await call(TEST_CLIENTS.globex, acmeCert.pem)).outcome, 'wrong_client_cert');
  });

  test('a subject binding refuses a certificate of the same CA with another subject; an unparsable PEM is refused', async () => {
    const impostor = ca.issue('impostor', '/C=US/O=Globex Corp/CN=globex-treasury-test');
    expectDenial((await call(TEST_CLIENTS.globex, impostor.pem)).outcome, 'wrong_client_cert');
    expectDenial((await call(TEST_CLIENTS.acme, 'CERT_CONTENT')).outcome, 'wrong_client_cert');
  });

  test('user tokens and unbound integrations are not asked for a certificate', async () => {
    const user = await run(authorizerEvent({ method: 'GET', resource: '/payments', authorization: bearer(await keys.sign('pool', readClaims())), clientCertPem: null }), bound);
    expect(user.status).toBe(200);
  });
});

describe('step-up: routes that require a recent sign-in (auth_time), exact under the result cache (issue 14.9)', () => {
  const STEP_UP: RouteRule[] = [
    { method: 'GET', path: '/admin/payments', scopes: ['payments/admin'], groups: ['admins'], maxAuthAgeSeconds: 900 },
    { method: 'GET', path: '/payments', scopes: ['payments/read'], groups: [] },
  ];
  let stepUp: Authorizer;
  beforeEach(() => { stepUp = authorizerWith({ routes: STEP_UP, cacheTtlSeconds: 300 }); });
  const admin = (signedInSecondsAgo: number): Promise<string> => keys.sign('pool', userAccessClaims({ scopes: ['payments/admin', 'payments/read'], groups: ['admins'], signedInSecondsAgo }));
  const at = async (path: string, token: string): Promise<Outcome> => run(authorizerEvent({ method: 'GET', resource: path, authorization: bearer(token) }), stepUp);

  test('a recent sign-in opens the admin route', async () => {
    expect((await at('/admin/payments', await admin(60))).status).toBe(200);
  });

  test('a sign-in older than the window -> 403 stale_sign_in; the same token still reads /payments (and the cached policy says so)', async () => {
    const token = await admin(3600);
    const outcome = await at('/admin/payments', token);
    expectDenial(outcome, 'stale_sign_in', token);
    expect(evaluatePolicy(outcome.result!.policyDocument as never, `${TEST_STAGE_PREFIX}/GET/payments`)).toBe('Allow');
    expect((await at('/payments', token)).status).toBe(200);
  });

  test('a sign-in that would age past the window while the policy is cached is refused now (window 900 s - TTL 300 s)', async () => {
    expect((await at('/admin/payments', await admin(590))).status).toBe(200);
    const token = await admin(610);
    const fromOtherRoute = await at('/payments', token);
    // The policy cached from another route must not open the admin route either.
    expect(evaluatePolicy(fromOtherRoute.result!.policyDocument as never, `${TEST_STAGE_PREFIX}/GET/admin/payments`)).not.toBe('Allow');
    expectDenial(await at('/admin/payments', token), 'stale_sign_in', token);
  });

  test('a token without auth_time never opens a step-up route; auth_time after iat is refused as forged claims', async () => {
    const { auth_time: _drop, ...claims } = userAccessClaims({ scopes: ['payments/admin'], groups: ['admins'] });
    expectDenial(await at('/admin/payments', await keys.sign('pool', claims)), 'stale_sign_in');
    const future = userAccessClaims({ scopes: ['payments/admin'], groups: ['admins'] });
    expectDenial(await at('/admin/payments', await keys.sign('pool', { ...future, auth_time: (future.iat as number) + 60 })), 'invalid_claims');
  });

  test('route policy round-trip keeps maxAuthAgeSeconds; a bad value fails init', () => {
    expect(configFromEnv({ [AUTHORIZER_ENV.userPoolId]: TEST_USER_POOL_ID, [AUTHORIZER_ENV.userClientIds]: 'a', [AUTHORIZER_ENV.routePolicy]: encodeRoutePolicy(STEP_UP) }).routes).toEqual(STEP_UP);
    expect(() => configFromEnv({ [AUTHORIZER_ENV.userPoolId]: TEST_USER_POOL_ID, [AUTHORIZER_ENV.userClientIds]: 'a', [AUTHORIZER_ENV.routePolicy]: '[["GET","/x",["a/b"],["g"],-5]]' })).toThrow(/maxAuthAgeSeconds/);
  });
});

test('every denial reason of the metric contract is produced by some attack case above', () => {
  expect([...reasonsSeen].sort()).toEqual([...DENIAL_REASONS].sort());
});

describe('authorizer configuration', () => {
  test('configFromEnv reads the environment ApiIdentity sets', () => {
    const config = configFromEnv({
      [AUTHORIZER_ENV.userPoolId]: TEST_USER_POOL_ID,
      [AUTHORIZER_ENV.userClientIds]: `${TEST_CLIENTS.web}`,
      [AUTHORIZER_ENV.machineClientIds]: `${TEST_CLIENTS.machine}`,
      [AUTHORIZER_ENV.routePolicy]: encodeRoutePolicy(ROUTES),
    });
    expect(config.routes).toEqual(ROUTES);
    expect(config.machineClientIds).toEqual([TEST_CLIENTS.machine]);
  });

  test.each([
    ['no user pool', { [AUTHORIZER_ENV.routePolicy]: '[]' }, /USER_POOL_ID/],
    ['no clients', { [AUTHORIZER_ENV.userPoolId]: TEST_USER_POOL_ID, [AUTHORIZER_ENV.routePolicy]: '[]' }, /client ids/],
    ['no route policy', { [AUTHORIZER_ENV.userPoolId]: TEST_USER_POOL_ID, [AUTHORIZER_ENV.userClientIds]: 'a' }, /ROUTE_POLICY/],
    ['route without scopes', { [AUTHORIZER_ENV.userPoolId]: TEST_USER_POOL_ID, [AUTHORIZER_ENV.userClientIds]: 'a', [AUTHORIZER_ENV.routePolicy]: '[["GET","/x",[]]]' }, /scopes/],
    ['bad method', { [AUTHORIZER_ENV.userPoolId]: TEST_USER_POOL_ID, [AUTHORIZER_ENV.userClientIds]: 'a', [AUTHORIZER_ENV.routePolicy]: '[["ANY","/x",["a/b"]]]' }, /method/],
  ])('a broken environment fails init (fail closed): %s', (_name, env, message) => {
    expect(() => configFromEnv(env)).toThrow(message);
  });

  test('issuer constant matches the pool the verifier trusts', () => {
    expect(TEST_ISSUER).toContain(TEST_USER_POOL_ID);
  });
});

/*
 * The authorizer as deployed: the bundle from the synthesized example app, in a fresh Node.js process,
 * with the template's own environment (route policy, integration map, cache TTL); only the CloudFormation
 * tokens are replaced by local values (client ids, usage-key values). Real RS256 tokens, real JWKS
 * download (answered in-process), real X.509 certificates.
 */
describe('the bundled authorizer from cdk.out (fresh process, template environment)', () => {
  type Result = { result?: { principalId: string; usageIdentifierKey?: string; context: Record<string, unknown>; policyDocument: { Statement: never[] } }; error?: string };
  let env: Record<string, string>;
  let entry: string;
  let ca: TestCertificateAuthority;
  let acmeCert: TestCertificate;
  let globexCert: TestCertificate;
  const KEYS = { acme: 'acme-usage-key-value-0123456789abcdefghij', globex: 'globex-usage-key-value-0123456789abcdefg', people: 'people-usage-key-value-0123456789abcdefg' };

  beforeAll(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { bundleOf } = require('../helpers/bundles') as typeof import('../helpers/bundles');
    const bundle = bundleOf(/IdentityAuthorizerFunction[0-9A-F]{8}$/);
    entry = bundle.entryFile;
    const vars = bundle.environment;
    // MACHINE_INTEGRATIONS is a Fn::Join of JSON text and client Refs: substitute each Ref by a local client id.
    const join = vars.MACHINE_INTEGRATIONS as { 'Fn::Join': [string, (string | { Ref: string })[]] };
    const clientFor = (ref: string): string => (/Acme/.test(ref) ? TEST_CLIENTS.acme : /Globex/.test(ref) ? TEST_CLIENTS.globex : 'unknown');
    const integrations = JSON.parse(join['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : clientFor(p.Ref))).join('')) as { id: string; cert?: unknown }[];
    ca = new TestCertificateAuthority();
    acmeCert = ca.issue('acme', '/C=DE/O=Acme GmbH/CN=acme-payments');
    globexCert = ca.issue('globex', '/C=US/O=Globex Corp/CN=globex-treasury');
    // The example binds no certificate (its domain has no truststore): bind acme here, in the wire format ApiIdentity writes.
    const acme = integrations.find((i) => i.id === 'acme-payments');
    if (acme) acme.cert = { sha256: [acmeCert.sha256] };
    env = {
      ...Object.fromEntries(Object.entries(vars).filter((e): e is [string, string] => typeof e[1] === 'string')),
      USER_POOL_ID: TEST_USER_POOL_ID, USER_CLIENT_IDS: TEST_CLIENTS.web,
      MACHINE_INTEGRATIONS: JSON.stringify(integrations),
      USAGE_KEY_0: KEYS.acme, USAGE_KEY_1: KEYS.globex, USER_USAGE_KEY: KEYS.people,
      POWERTOOLS_LOG_LEVEL: 'CRITICAL', POWERTOOLS_METRICS_DISABLED: 'true', AWS_REGION: 'eu-west-1',
    };
  }, 240000);
  afterAll(() => ca?.dispose());

  function invoke(events: unknown[]): Promise<Result[]> {
    return new Promise((resolve, reject) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { execFile } = require('child_process') as typeof import('child_process');
      const child = execFile(process.execPath, [require.resolve('../helpers/invoke-authorizer-bundle.cjs')], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
        if (err) { reject(err); return; }
        const line = stdout.split('\n').find((l) => l.startsWith('@@RESULTS@@'));
        if (!line) { reject(new Error(`no results: ${stdout.slice(-500)}`)); return; }
        resolve(JSON.parse(line.slice('@@RESULTS@@'.length)) as Result[]);
      });
      child.stdin?.end(JSON.stringify({ entry, env, events, jwks: { url: `${TEST_ISSUER}/.well-known/jwks.json`, body: jwks } }));
    });
  }
  const event = (resource: string, token: string, clientCertPem?: string | null): APIGatewayRequestAuthorizerEvent => authorizerEvent({ method: 'GET', resource, authorization: bearer(token), clientCertPem });

  test('integrations own their objects, each metered on its own key; a stolen bound token fails without its certificate; admins need a recent sign-in', async () => {
    const acme = await keys.sign('pool', machineAccessClaims({ scopes: ['payments/read', 'payments/write'], clientId: TEST_CLIENTS.acme }));
    const globex = await keys.sign('pool', machineAccessClaims({ scopes: ['payments/read'], clientId: TEST_CLIENTS.globex }));
    const adminFresh = await keys.sign('pool', userAccessClaims({ scopes: ['payments/admin'], groups: ['admins'], signedInSecondsAgo: 60 }));
    const adminStale = await keys.sign('pool', userAccessClaims({ scopes: ['payments/admin'], groups: ['admins'], signedInSecondsAgo: 3600 }));
    const [acmeOk, globexOk, acmeNoCert, acmeOtherCert, fresh, stale] = await invoke([
      event('/payments', acme, acmeCert.pem),
      event('/payments', globex, null),
      event('/payments', acme, null),
      event('/payments', acme, globexCert.pem),
      event('/admin/payments', adminFresh),
      event('/admin/payments', adminStale),
    ]);
    expect(acmeOk?.result).toMatchObject({ principalId: 'integration:acme-payments', usageIdentifierKey: KEYS.acme, context: { integration: 'acme-payments' } });
    expect(globexOk?.result).toMatchObject({ principalId: 'integration:globex-treasury', usageIdentifierKey: KEYS.globex });
    expect(acmeNoCert?.error).toBe('Unauthorized');
    expect(acmeOtherCert?.error).toBe('Unauthorized');
    const adminArn = `${TEST_STAGE_PREFIX}/GET/admin/payments`;
    expect(evaluatePolicy(fresh!.result!.policyDocument, adminArn)).toBe('Allow');
    expect(fresh?.result?.usageIdentifierKey).toBe(KEYS.people);
    expect(evaluatePolicy(stale!.result!.policyDocument, adminArn)).not.toBe('Allow');
  }, 60000);
});

/*
 * The ownership contract end to end: the context the real authorizer returns for real tokens is what the
 * example's payments handlers (against dynalite) key ownership on. Partners never see each other's
 * payments; a rotated client of the same integration still sees its own.
 */
describe('integration ownership through the payments handlers (real authorizer context, dynalite)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const helpers = require('./payments-helpers') as typeof import('./payments-helpers');
  let dynamo: import('../helpers/dynalite').LocalDynamo;
  beforeAll(async () => {
    process.env.ALLOWED_ORIGINS = helpers.ORIGIN;
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'Test';
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('../../lambda/runtime/http') as typeof import('../../lambda/runtime/http')).reloadAllowedOrigins();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    dynamo = await (require('../helpers/dynalite') as typeof import('../helpers/dynalite')).startDynalite();
  }, 60000);
  afterAll(async () => { await dynamo?.stop(); });

  test('acme (either client) sees only acme\'s payment; globex sees none of it', async () => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { createHandler: createPayment } = require('../../lambda/example/handlers/create-payment') as typeof import('../../lambda/example/handlers/create-payment');
    const { createHandler: listPayments } = require('../../lambda/example/handlers/list-payments') as typeof import('../../lambda/example/handlers/list-payments');
    const { createHandler: getPayment } = require('../../lambda/example/handlers/get-payment') as typeof import('../../lambda/example/handlers/get-payment');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const table = await dynamo.createPaymentsTable();
    const deps = helpers.testDeps(dynamo, table, helpers.defaultSecrets());
    const create = createPayment(() => deps);
    const list = listPayments(() => deps);
    const get = getPayment(() => deps);
    const integrated = authorizerWith({
      integrations: [
        { id: 'acme-payments', clientIds: [TEST_CLIENTS.acme, TEST_CLIENTS.acmeNext], principal: 'integration' },
        { id: 'globex-treasury', clientIds: [TEST_CLIENTS.globex], principal: 'integration' },
      ],
    });
    const contextOf = async (clientId: string, method: string, resource: string): Promise<Record<string, unknown>> => {
      const token = await keys.sign('pool', machineAccessClaims({ scopes: ['payments/read', 'payments/write'], clientId }));
      const outcome = await run(authorizerEvent({ method, resource, authorization: bearer(token) }), integrated);
      expect(outcome.status).toBe(200);
      return { principalId: outcome.result!.principalId, ...outcome.result!.context };
    };
    const created = await create(helpers.proxyEvent('POST', '/payments', {
      body: JSON.stringify(helpers.validPayment()),
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'acme-key-000000001' },
      authorizer: await contextOf(TEST_CLIENTS.acme, 'POST', '/payments'),
    }));
    expect(created.statusCode).toBe(201);
    const id = (JSON.parse(created.body) as { paymentId: string }).paymentId;
    const items = async (clientId: string): Promise<unknown[]> => (JSON.parse((await list(helpers.proxyEvent('GET', '/payments', { authorizer: await contextOf(clientId, 'GET', '/payments') }))).body) as { items: unknown[] }).items;
    expect(await items(TEST_CLIENTS.acme)).toHaveLength(1);
    expect(await items(TEST_CLIENTS.acmeNext)).toHaveLength(1);
    expect(await items(TEST_CLIENTS.globex)).toHaveLength(0);
    const read = async (clientId: string): Promise<number> => (await get(helpers.proxyEvent('GET', '/payments/{paymentId}', {
      path: `/payments/${id}`, pathParameters: { paymentId: id }, authorizer: await contextOf(clientId, 'GET', '/payments/{paymentId}'),
    }))).statusCode;
    expect(await read(TEST_CLIENTS.acmeNext)).toBe(200);
    expect(await read(TEST_CLIENTS.globex)).toBe(404);
  }, 60000);
});
