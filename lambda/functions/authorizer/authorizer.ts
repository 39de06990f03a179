import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import {
  CognitoJwtInvalidClientIdError, CognitoJwtInvalidTokenUseError, FetchError, JwkValidationError,
  JwksNotAvailableInCacheError, JwksValidationError, JwtBaseError, JwtExpiredError, JwtInvalidClaimError,
  JwtInvalidIssuerError, JwtInvalidSignatureAlgorithmError, JwtInvalidSignatureError, JwtNotBeforeError,
  JwtParseError, JwtWithoutValidKidError, KidNotFoundInJwksError, ParameterValidationError,
  WaitPeriodNotYetEndedJwkError,
} from 'aws-jwt-verify/error';
import type { Jwks, JwksCache } from 'aws-jwt-verify/jwk';
import { SAFE_ID, type AuthorizerContext } from '../../runtime/authorizer-context';
import type { DenialReason } from '../../runtime/authorizer-metrics';
import { DecisionMetrics } from './decision-metrics';
import {
  certificateMatches, decodeIntegrations, INTEGRATION_PRINCIPAL_PREFIX, IntegrationRule, presentedCertificate,
} from './integrations';
import {
  AUTHORIZER_ENV, createPolicyBuilder, decodeIdList, decodeRoutePolicy, MAX_TOKEN_BYTES, parseMethodArn, RouteRule, verdictFor,
} from './route-policy';

/** What the authorizer is configured with (from the environment in Lambda, literal in tests). */
export interface AuthorizerConfig {
  /** Cognito user pool id. */
  readonly userPoolId: string;
  /** App clients whose tokens belong to people. */
  readonly userClientIds: readonly string[];
  /**
   * App clients whose tokens belong to machines (client credentials). A machine client that no
   * integration lists keeps the client id as its principal (the deprecated single machine client).
   */
  readonly machineClientIds: readonly string[];
  /** Protected routes and what each requires. */
  readonly routes: readonly RouteRule[];
  /** Largest accepted `Authorization` header (bytes). @default MAX_TOKEN_BYTES */
  readonly maxTokenBytes?: number;
  /** Machine integrations: client id -> integration (principal, usage key, certificate binding). @default - none */
  readonly integrations?: readonly ResolvedIntegration[];
  /** API key value returned as `usageIdentifierKey` for user tokens. @default - none */
  readonly userUsageKey?: string;
  /** The API Gateway result cache TTL (seconds), for the step-up check. @default 0 */
  readonly cacheTtlSeconds?: number;
}

/** An integration with its usage key value read from the environment. */
export interface ResolvedIntegration extends Omit<IntegrationRule, 'usageKeyEnv'> {
  /** The API key value of the integration's usage plan. @default - no key */
  readonly usageKey?: string;
}

/** Test and runtime seams: where the JWKS comes from and where logs/metrics go. */
export interface AuthorizerOptions {
  /** Powertools logger. */
  readonly logger: Logger;
  /** Powertools metrics: one EMF document per decision, written as it is made (see {@link DecisionMetrics}). */
  readonly metrics: Metrics;
  /** JWKS cache (e.g. one whose fetcher serves a local JWKS). @default - aws-jwt-verify's HTTPS-fetching cache */
  readonly jwksCache?: JwksCache;
  /** JWKS to preload, so the first request does not wait for a download. @default - none */
  readonly jwks?: Jwks;
}

/** A configured authorizer: one per container. */
export interface Authorizer {
  /** Downloads the JWKS ahead of the first request; failures are logged, not thrown (verify retries). */
  hydrate(): Promise<void>;
  /** The Lambda REQUEST authorizer. Throws `Error('Unauthorized')` for a 401; returns a policy otherwise. */
  handle(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult>;
}

/** Reads {@link AuthorizerConfig} from the environment `ApiIdentity` sets. Throws if anything is missing. */
export function configFromEnv(env: NodeJS.ProcessEnv): AuthorizerConfig {
  const userPoolId = env[AUTHORIZER_ENV.userPoolId];
  if (!userPoolId) throw new Error(`${AUTHORIZER_ENV.userPoolId} is not set`);
  const userClientIds = decodeIdList(env[AUTHORIZER_ENV.userClientIds]);
  const integrations = decodeIntegrations(env[AUTHORIZER_ENV.machineIntegrations]).map((rule): ResolvedIntegration => {
    const { usageKeyEnv, ...rest } = rule;
    if (usageKeyEnv === undefined) return rest;
    const usageKey = env[usageKeyEnv];
    // A key the usage plan expects but the authorizer cannot hand out would make every keyed route
    // answer 403 for this integration: refuse to start instead.
    if (!usageKey) throw new Error(`${usageKeyEnv} (usage key of integration ${rule.id}) is not set`);
    return { ...rest, usageKey };
  });
  const machineClientIds = [...new Set([...decodeIdList(env[AUTHORIZER_ENV.machineClientIds]), ...integrations.flatMap((i) => i.clientIds)])];
  if (userClientIds.length + machineClientIds.length === 0) throw new Error('no app client ids are configured');
  const overlap = userClientIds.find((c) => machineClientIds.includes(c));
  if (overlap !== undefined) throw new Error(`client ${overlap} is configured as both a user and a machine client`);
  const ttlRaw = env[AUTHORIZER_ENV.cacheTtlSeconds];
  const cacheTtlSeconds = ttlRaw === undefined || ttlRaw === '' ? 0 : Number(ttlRaw);
  if (!Number.isInteger(cacheTtlSeconds) || cacheTtlSeconds < 0 || cacheTtlSeconds > 3600) throw new Error(`${AUTHORIZER_ENV.cacheTtlSeconds} must be 0..3600`);
  const userUsageKey = env[AUTHORIZER_ENV.userUsageKey];
  return {
    userPoolId, userClientIds, machineClientIds, routes: decodeRoutePolicy(env[AUTHORIZER_ENV.routePolicy]),
    integrations, cacheTtlSeconds, ...(userUsageKey ? { userUsageKey } : {}),
  };
}

/** Keys every log line of one request carries. */
interface RequestKeys {
  readonly correlationId: string;
  readonly route: string;
}

/** A denial that answers 401 (API Gateway maps the exact message `Unauthorized` to 401). */
class Unauthenticated extends Error {
  constructor(readonly reason: DenialReason) {
    super('Unauthorized');
  }
}

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;
/** Cognito's longest token lifetime is one day: a token claiming more was not minted by Cognito. */
const MAX_LIFETIME_SECONDS = 24 * 3600;

/**
 * Creates the authorizer: the `CognitoJwtVerifier` is created here, once, and reused by every
 * invocation of the container (it caches the JWKS and the parsed public keys).
 */
export function createAuthorizer(config: AuthorizerConfig, options: AuthorizerOptions): Authorizer {
  const { logger } = options;
  const decisions = new DecisionMetrics(options.metrics);
  const policyFor = createPolicyBuilder(config.routes);
  const integrationOf = new Map<string, ResolvedIntegration>();
  for (const integration of config.integrations ?? []) {
    for (const clientId of integration.clientIds) integrationOf.set(clientId, integration);
  }
  const machineClients = new Set([...config.machineClientIds, ...integrationOf.keys()]);
  const clientIds = [...config.userClientIds, ...machineClients];
  const cacheTtlSeconds = config.cacheTtlSeconds ?? 0;
  const stepUp = config.routes.some((r) => r.maxAuthAgeSeconds !== undefined);
  const maxTokenBytes = config.maxTokenBytes ?? MAX_TOKEN_BYTES;
  // `scope` and `groups` are deliberately not passed: the verifier's options mean "any one of",
  // while routes need all scopes and one of the groups; the route policy decides below.
  const verifier = CognitoJwtVerifier.create(
    { userPoolId: config.userPoolId, tokenUse: 'access', clientId: clientIds },
    options.jwksCache ? { jwksCache: options.jwksCache } : undefined,
  );
  if (options.jwks) verifier.cacheJwks(options.jwks);
  const routesByKey = new Map(config.routes.map((r) => [`${r.method} ${r.path}`, r]));

  function deny(request: RequestKeys, reason: DenialReason, details: Record<string, string | undefined> = {}): void {
    // Reason and identifiers only: never the token, never a verifier message (it echoes claims).
    logger.warn('Authorization denied', { ...request, reason, ...details });
    decisions.deny(reason);
  }

  async function verify(request: RequestKeys, token: string): Promise<Record<string, unknown>> {
    // Cognito signs access tokens with RS256 only. Refusing any other `alg` (none, HS256 key
    // confusion, ES*) and a missing `kid` here, on the unverified header, means such a token never
    // makes the verifier look up or download a key.
    // Only the header is decoded here (the verifier decodes the whole token again): a full
    // decomposition per request cost about a tenth of an RS256 check (bench).
    const header = unverifiedHeader(token);
    if (header === undefined || !('alg' in header)) throw new Unauthenticated('malformed_token');
    if (header.alg !== 'RS256') throw new Unauthenticated('unsupported_alg');
    if (typeof header.kid !== 'string' || header.kid.length === 0) throw new Unauthenticated('unknown_kid');
    try {
      try {
        // The JWKS is cached after init's hydrate(): the synchronous check skips the async
        // verifier's JWKS lookup. A key not (yet) cached goes the async way, which downloads the
        // JWKS (rate-limited by aws-jwt-verify's penalty box) exactly as before.
        return verifier.verifySync(token);
      } catch (err) {
        if (!(err instanceof JwksNotAvailableInCacheError || err instanceof KidNotFoundInJwksError)) throw err;
        return await verifier.verify(token);
      }
    } catch (err) {
      const reason = reasonFor(err);
      if (reason === undefined) {
        // JWKS download failed or an unexpected bug: our fault, not the caller's. Fail closed
        // with a 500 (API Gateway AUTHORIZER_FAILURE) instead of telling the caller the token is bad.
        logger.error('Token verification failed unexpectedly', { ...request, errorName: errorName(err) });
        throw new Error('Authorizer failure', { cause: err });
      }
      throw new Unauthenticated(reason);
    }
  }

  async function handle(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
    // API Gateway always sends an object; anything else is refused like a missing token (fail closed).
    if (typeof (event as unknown) !== 'object' || (event as unknown) === null) throw new Error('Unauthorized');
    const route = `${event.httpMethod} ${event.resource}`;
    // The request's keys go with each log call instead of `appendKeys`/`resetKeys` on the shared
    // logger: an allowed request logs nothing, so it should not pay for rebuilding the logger's keys.
    const request: RequestKeys = { correlationId: event.requestContext.requestId, route };
    try {
      const token = bearerToken(event, maxTokenBytes);
      const claims = await verify(request, token);
      const identity = identityOf(claims, machineClients, integrationOf);
      if (identity.integration?.certificate) checkCertificate(event, identity.integration);
      // How old the sign-in will be when the policy leaves the cache: a step-up route is allowed only
      // if the sign-in is still recent then, so the cache never serves it beyond the window.
      const signInAge = stepUp && identity.authTime !== undefined
        ? Math.floor(Date.now() / 1000) + cacheTtlSeconds - identity.authTime : undefined;

      const arn = parseMethodArn(event.methodArn);
      if (arn === undefined) {
        // API Gateway always sends an execute-api ARN; anything else is a wiring bug: 500, not 401.
        logger.error('methodArn does not have the execute-api shape', { ...request });
        throw new Error('Authorizer failure');
      }
      const permitted = new Set<RouteRule>();
      for (const rule of config.routes) {
        if (verdictFor(rule, identity.scopeSet, identity.groupSet, signInAge) === 'allow') permitted.add(rule);
      }
      // Even when this route is denied, the policy lists every route the token may call: API Gateway
      // caches it per token and applies it to the next route called with the same token.
      const policyDocument = policyFor(arn.stagePrefix, permitted);
      const current = routesByKey.get(route);
      if (current === undefined || arn.method !== event.httpMethod) {
        // A method the route table does not know (deployment drift): deny exactly this request,
        // leave the cached policy right for the known routes.
        deny(request, 'unknown_route', { clientId: identity.clientId });
        policyDocument.Statement.push({ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [event.methodArn] });
      } else {
        const verdict = verdictFor(current, identity.scopeSet, identity.groupSet, signInAge);
        if (verdict === 'allow') {
          decisions.allow();
        } else {
          deny(request, verdict, { clientId: identity.clientId, principalType: identity.context.principalType });
        }
      }
      // The caller's usage-plan key (API key source AUTHORIZER): each integration meters on its own
      // key; people share the people plan, which has no quota and no throttle beyond the stage's.
      const usageIdentifierKey = identity.integration ? identity.integration.usageKey : identity.context.principalType === 'user' ? config.userUsageKey : undefined;
      return {
        principalId: identity.principalId,
        policyDocument,
        context: { ...identity.context },
        ...(usageIdentifierKey !== undefined ? { usageIdentifierKey } : {}),
      };
    } catch (err) {
      if (err instanceof Unauthenticated) {
        deny(request, err.reason);
        // Exactly this message makes API Gateway answer 401 (the cause carries only the reason).
        throw new Error('Unauthorized', { cause: err });
      }
      throw err;
    }
  }

  return {
    async hydrate(): Promise<void> {
      try {
        await verifier.hydrate();
      } catch (err) {
        logger.warn('JWKS prefetch failed; the first request will fetch it', { errorName: errorName(err) });
      }
    },
    handle,
  };
}

/**
 * The JOSE header of a compact JWS as an object, or `undefined` if the header is not a JSON object or
 * the signature segment is empty (an unsigned token). `token` already matched {@link BEARER}, so its
 * segments are base64url text; nothing here is trusted beyond choosing to refuse early.
 */
function unverifiedHeader(token: string): { alg?: unknown; kid?: unknown } | undefined {
  const first = token.indexOf('.');
  if (token.endsWith('.')) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token.slice(0, first), 'base64url').toString('utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}

/** The bearer token of the request, or an {@link Unauthenticated} with the reason. */
function bearerToken(event: APIGatewayRequestAuthorizerEvent, maxBytes: number): string {
  const values: string[] = [];
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (name.toLowerCase() === 'authorization' && typeof value === 'string') values.push(value);
  }
  for (const [name, list] of Object.entries(event.multiValueHeaders ?? {})) {
    if (name.toLowerCase() === 'authorization' && Array.isArray(list) && list.length > 1) {
      // Two Authorization headers: which one would the handler trust? Refuse the ambiguity.
      throw new Unauthenticated('malformed_token');
    }
  }
  if (values.length === 0 || values[0] === '') throw new Unauthenticated('missing_token');
  if (values.length > 1) throw new Unauthenticated('malformed_token');
  const header = values[0] as string;
  // Size first: nothing below (regex, base64, JSON) runs on an oversized value.
  if (Buffer.byteLength(header, 'utf8') > maxBytes) throw new Unauthenticated('oversized_token');
  const match = BEARER.exec(header);
  if (!match) throw new Unauthenticated('malformed_token');
  return match[1] as string;
}

/**
 * A bound integration's token must arrive over a connection whose client certificate is the bound one.
 * API Gateway passes the certificate it verified against the truststore during the mTLS handshake.
 */
function checkCertificate(event: APIGatewayRequestAuthorizerEvent, integration: ResolvedIntegration): void {
  const binding = integration.certificate;
  if (!binding) return;
  const identity = (event.requestContext as { identity?: { clientCert?: { clientCertPem?: unknown } | null } } | undefined)?.identity;
  const pem = identity?.clientCert?.clientCertPem;
  if (typeof pem !== 'string' || pem.length === 0) throw new Unauthenticated('missing_client_cert');
  const presented = presentedCertificate(pem);
  if (!presented || !certificateMatches(binding, presented)) throw new Unauthenticated('wrong_client_cert');
}

/** The verified caller, as the policy and the handlers see it. */
interface Identity {
  readonly principalId: string;
  readonly clientId: string;
  readonly scopeSet: ReadonlySet<string>;
  readonly groupSet: ReadonlySet<string>;
  /** `auth_time` (users): when the user signed in; refreshes keep it. */
  readonly authTime?: number;
  /** The machine integration the token's client belongs to. */
  readonly integration?: ResolvedIntegration;
  readonly context: Omit<AuthorizerContext, 'principalId'>;
}

/**
 * Claim checks beyond the verifier's: the shapes handlers rely on (`principalFrom` refuses ids
 * outside a safe alphabet), a bounded lifetime (aws-jwt-verify only checks `exp` if present), and
 * that a machine client's token is a client-credentials token (`sub` = client id, no user).
 */
function identityOf(
  claims: Record<string, unknown>,
  machineClients: ReadonlySet<string>,
  integrations: ReadonlyMap<string, ResolvedIntegration>,
): Identity {
  const { sub, client_id: clientId, scope, exp, iat, username, auth_time: authTime } = claims;
  const groups = claims['cognito:groups'];
  const invalid = (): never => { throw new Unauthenticated('invalid_claims'); };
  if (typeof sub !== 'string' || !SAFE_ID.test(sub)) invalid();
  if (typeof clientId !== 'string' || !SAFE_ID.test(clientId)) invalid();
  if (typeof exp !== 'number' || typeof iat !== 'number' || exp <= iat || exp - iat > MAX_LIFETIME_SECONDS) invalid();
  if (scope !== undefined && typeof scope !== 'string') invalid();
  // Cognito signs the sign-in time into every access token; one after the token's own issue time was not minted by it.
  if (authTime !== undefined && (typeof authTime !== 'number' || !Number.isInteger(authTime) || authTime > (iat as number))) invalid();
  if (groups !== undefined && (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string' && /^\S+$/.test(g)))) invalid();
  const machine = machineClients.has(clientId as string);
  if (machine && (sub !== clientId || username !== undefined || groups !== undefined)) invalid();
  if (!machine && (typeof username !== 'string' || sub === clientId)) invalid();
  const scopeList = typeof scope === 'string' ? scope.split(' ').filter((s) => s.length > 0) : [];
  const groupList = (groups as string[] | undefined) ?? [];
  const integration = machine ? integrations.get(clientId as string) : undefined;
  // The owner of what a machine creates is its integration, not the client: a rotated (second)
  // client of the same integration keeps its objects, and two integrations never share an owner.
  const owner = integration?.principal === 'integration' ? integration.id : undefined;
  const principalId = owner !== undefined ? `${INTEGRATION_PRINCIPAL_PREFIX}${owner}` : sub as string;
  return {
    principalId,
    clientId: clientId as string,
    scopeSet: new Set(scopeList),
    groupSet: new Set(groupList),
    ...(machine ? {} : { authTime: authTime as number | undefined }),
    ...(integration ? { integration } : {}),
    context: {
      sub: sub as string,
      clientId: clientId as string,
      scopes: scopeList.join(' '),
      groups: groupList.join(' '),
      principalType: machine ? 'machine' : 'user',
      integration: owner ?? '',
    },
  };
}

/** Maps an aws-jwt-verify error to a denial reason; `undefined` for errors that are not the caller's. */
export function reasonFor(err: unknown): DenialReason | undefined {
  if (err instanceof Unauthenticated) return err.reason;
  if (!(err instanceof JwtBaseError)) return undefined;
  if (err instanceof JwtParseError) return 'malformed_token';
  if (err instanceof JwtInvalidSignatureAlgorithmError) return 'unsupported_alg';
  if (err instanceof JwtWithoutValidKidError || err instanceof KidNotFoundInJwksError
    || err instanceof WaitPeriodNotYetEndedJwkError) return 'unknown_kid';
  if (err instanceof JwtInvalidSignatureError) return 'bad_signature';
  if (err instanceof JwtExpiredError) return 'expired';
  if (err instanceof JwtNotBeforeError) return 'not_yet_valid';
  if (err instanceof JwtInvalidIssuerError) return 'wrong_issuer';
  if (err instanceof CognitoJwtInvalidClientIdError) return 'wrong_client';
  if (err instanceof CognitoJwtInvalidTokenUseError) return 'wrong_token_use';
  if (err instanceof JwtInvalidClaimError) return 'invalid_claims';
  // At verify time the verifier's only parameter check left is the token's `iss`, which selects
  // the issuer configuration: a missing or foreign issuer fails here, before the signature check.
  if (err instanceof ParameterValidationError) return 'wrong_issuer';
  // JWKS download/validation errors are not the caller's fault (instanceof, not `name`: the
  // bundle is minified).
  if (err instanceof FetchError || err instanceof JwksValidationError || err instanceof JwkValidationError
    || err instanceof JwksNotAvailableInCacheError) {
    return undefined;
  }
  // Remaining verifier errors are about the token's structure (e.g. a JWK/alg mismatch).
  return 'malformed_token';
}
