/**
 * The authorizer's route policy: which scopes and groups each protected route needs, and how a
 * token's grants become an IAM policy that stays correct while API Gateway caches it.
 *
 * Pure code without dependencies: `ApiIdentity` (lib/) imports the encoder and the environment
 * contract from here, so the format is written once.
 */

/** Environment variables the authorizer reads, set by `ApiIdentity`. */
export const AUTHORIZER_ENV = {
  /** Cognito user pool id, e.g. `eu-west-1_AbCdEf123`. */
  userPoolId: 'USER_POOL_ID',
  /** Comma-separated ids of the app clients whose tokens belong to people (authorization code + PKCE). */
  userClientIds: 'USER_CLIENT_IDS',
  /** Comma-separated ids of the app clients whose tokens belong to machines (client credentials). */
  machineClientIds: 'MACHINE_CLIENT_IDS',
  /** The route policy, {@link encodeRoutePolicy}. */
  routePolicy: 'ROUTE_POLICY',
  /**
   * Machine integrations, {@link encodeIntegrations}: which client ids belong to which integration
   * (the principal handlers see), the environment variable holding its usage-plan API key, and its
   * optional client-certificate binding. Absent or empty: no integrations.
   */
  machineIntegrations: 'MACHINE_INTEGRATIONS',
  /**
   * API key value returned as `usageIdentifierKey` for user (people) tokens: the key of the people
   * usage plan (no quota, no throttle beyond the stage). Absent: user tokens carry no key.
   */
  userUsageKey: 'USER_USAGE_KEY',
  /**
   * The authorizer result cache TTL in seconds, as configured on the API Gateway authorizer: a route
   * that requires a recent sign-in is only allowed if the sign-in is still recent when the cached
   * policy expires. @default 0
   */
  cacheTtlSeconds: 'AUTHORIZER_CACHE_TTL_SECONDS',
} as const;

/** Name of the environment variable holding the usage-plan API key value of the integration at `index`. */
export function usageKeyEnv(index: number): string {
  return `USAGE_KEY_${index}`;
}

/**
 * Largest `Authorization` header value the authorizer parses (bytes). A Cognito access token with
 * rotation claims and a few dozen groups stays under 4 KB; anything bigger is refused before any
 * base64/JSON decoding, so a caller cannot make the authorizer parse megabytes.
 */
export const MAX_TOKEN_BYTES = 8 * 1024;

/** What one protected route requires. */
export interface RouteRule {
  /** HTTP method, e.g. `GET`. */
  readonly method: string;
  /** Resource path as declared, e.g. `/payments/{paymentId}`. */
  readonly path: string;
  /** Every one of these scopes is required (AND). */
  readonly scopes: readonly string[];
  /** When non-empty, membership of at least one of these groups is required (ANY). */
  readonly groups: readonly string[];
  /**
   * Step-up: the token's `auth_time` (the user's sign-in, unchanged by refreshes) must be at most this
   * many seconds old when the cached policy expires. @default - no sign-in age requirement
   */
  readonly maxAuthAgeSeconds?: number;
}

/** Why a token does not permit a route. */
export type RouteVerdict = 'allow' | 'missing_scope' | 'missing_group' | 'stale_sign_in';

/** Compact wire form of one rule: `[method, path, scopes, groups?, maxAuthAgeSeconds?]`. */
type EncodedRule = [string, string, string[]] | [string, string, string[], string[]] | [string, string, string[], string[], number];

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const PATH_SEGMENT = /^(?:[A-Za-z0-9._-]+|\{[A-Za-z][A-Za-z0-9_]*\})$/;
const SCOPE = /^[a-z][a-z0-9-]*\/[a-z][a-z0-9.:-]*$/;
const GROUP = /^[^\s,]{1,128}$/;

/** Encodes the rules as compact JSON for the `ROUTE_POLICY` environment variable. */
export function encodeRoutePolicy(rules: readonly RouteRule[]): string {
  const encoded: EncodedRule[] = rules.map((r): EncodedRule => {
    if (r.maxAuthAgeSeconds !== undefined) return [r.method, r.path, [...r.scopes], [...r.groups], r.maxAuthAgeSeconds];
    return r.groups.length > 0 ? [r.method, r.path, [...r.scopes], [...r.groups]] : [r.method, r.path, [...r.scopes]];
  });
  return JSON.stringify(encoded);
}

/**
 * Parses and validates `ROUTE_POLICY`. Throws on anything unexpected: the authorizer then fails
 * its init and API Gateway answers 500 for protected routes (fail closed), never "allow".
 */
export function decodeRoutePolicy(raw: string | undefined): RouteRule[] {
  if (raw === undefined || raw.length === 0) throw new Error(`${AUTHORIZER_ENV.routePolicy} is not set`);
  const parsed: unknown = JSON.parse(raw);
  if (!Array.isArray(parsed)) throw new Error(`${AUTHORIZER_ENV.routePolicy} must be a JSON array`);
  const seen = new Set<string>();
  return parsed.map((entry: unknown, i): RouteRule => {
    const bad = (why: string): Error => new Error(`${AUTHORIZER_ENV.routePolicy}[${i}]: ${why}`);
    if (!Array.isArray(entry) || entry.length < 3 || entry.length > 5) throw bad('must be [method, path, scopes, groups?, maxAuthAgeSeconds?]');
    const [method, path, scopes, groups = [], maxAuthAge] = entry as unknown[];
    if (typeof method !== 'string' || !METHODS.has(method)) throw bad('unsupported method');
    if (typeof path !== 'string' || !isResourcePath(path)) throw bad('invalid path');
    if (!isStringArray(scopes) || scopes.length === 0 || !scopes.every((s) => SCOPE.test(s))) throw bad('scopes must be a non-empty list of server/name scopes');
    if (!isStringArray(groups) || !groups.every((g) => GROUP.test(g))) throw bad('groups must be a list of group names');
    if (maxAuthAge !== undefined && (typeof maxAuthAge !== 'number' || !Number.isInteger(maxAuthAge) || maxAuthAge <= 0)) {
      throw bad('maxAuthAgeSeconds must be a positive integer');
    }
    const key = `${method} ${path}`;
    if (seen.has(key)) throw bad(`duplicate route ${key}`);
    seen.add(key);
    return maxAuthAge === undefined ? { method, path, scopes, groups } : { method, path, scopes, groups, maxAuthAgeSeconds: maxAuthAge };
  });
}

/** Comma-separated id list from the environment (empty entries dropped). */
export function decodeIdList(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

function isResourcePath(path: string): boolean {
  if (path === '/') return true;
  const [empty, ...rest] = path.split('/');
  return empty === '' && rest.length > 0 && rest.every((segment) => PATH_SEGMENT.test(segment));
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/**
 * Does a token holding `scopes` and `groups` permit `rule`? ALL scopes, then ANY group, then (for a
 * step-up route) a recent sign-in: `signInAge` is how old the token's `auth_time` will be when the
 * policy leaves API Gateway's cache (`undefined`: the token has no `auth_time`).
 */
export function verdictFor(rule: RouteRule, scopes: ReadonlySet<string>, groups: ReadonlySet<string>, signInAge?: number): RouteVerdict {
  if (!rule.scopes.every((s) => scopes.has(s))) return 'missing_scope';
  if (rule.groups.length > 0 && !rule.groups.some((g) => groups.has(g))) return 'missing_group';
  if (rule.maxAuthAgeSeconds !== undefined && (signInAge === undefined || signInAge > rule.maxAuthAgeSeconds)) return 'stale_sign_in';
  return 'allow';
}

/** `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path>` split into its parts. */
export interface MethodArn {
  /** `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>`: the prefix every route ARN shares. */
  readonly stagePrefix: string;
  readonly method: string;
  /** The concrete request path, starting with `/`. */
  readonly path: string;
}

const ARN_HEAD = /^arn:aws[a-z-]*:execute-api:[a-z0-9-]+:\d{12}:[A-Za-z0-9]+$/;
const STAGE = /^[A-Za-z0-9_-]+$/;
const HTTP_METHOD = /^[A-Z]+$/;

/** Parses `event.methodArn`; `undefined` if it does not have the execute-api shape. */
export function parseMethodArn(methodArn: string): MethodArn | undefined {
  const [head, stage, method, ...rest] = methodArn.split('/');
  if (head === undefined || stage === undefined || method === undefined) return undefined;
  if (!ARN_HEAD.test(head) || !STAGE.test(stage) || !HTTP_METHOD.test(method)) return undefined;
  return { stagePrefix: `${head}/${stage}`, method, path: `/${rest.join('/')}` };
}

/**
 * The execute-api resource pattern of a route: path parameters become `*`.
 * `/payments/{paymentId}` -> `/payments/*`.
 */
export function resourcePattern(path: string): string {
  return path.split('/').map((segment) => (/^\{.+\}$/.test(segment) ? '*' : segment)).join('/');
}

/** The ARN pattern of a route under a stage prefix. */
export function routeArn(stagePrefix: string, rule: Pick<RouteRule, 'method' | 'path'>): string {
  return `${stagePrefix}/${rule.method}${resourcePattern(rule.path)}`;
}

/**
 * Can a request that API Gateway routes to `target` match the IAM resource pattern of `pattern`?
 *
 * Segment by segment: in the pattern, a `{param}` became `*`, which (between slashes) matches one
 * or more whole segments, slashes included. In a request of `target`, a `{param}` is exactly one
 * non-empty segment, and it cannot be a value that makes API Gateway pick another resource: when
 * the table also has the same path with that segment literal (e.g. `/payments/search` next to
 * `/payments/{paymentId}`), a request for `/payments/search` is never a request of the `{paymentId}`
 * route. Only that exact sibling case is excluded, so the answer errs towards "can match" (which
 * adds a Deny: fail closed), never towards "cannot".
 */
export function patternCanMatchRoute(
  pattern: Pick<RouteRule, 'method' | 'path'>,
  target: Pick<RouteRule, 'method' | 'path'>,
  table: readonly Pick<RouteRule, 'path'>[] = [],
): boolean {
  if (pattern.method !== target.method) return false;
  const p = segments(pattern.path).map((seg) => (isParam(seg) ? null : seg));
  const t = segments(target.path);
  const resources = new Set(table.map((r) => r.path));
  // Literal values a parameter segment of `target` can never take (a sibling resource wins).
  const excluded = t.map((seg, k) => (isParam(seg)
    ? new Set([...resources].flatMap((path) => {
      const other = segments(path);
      if (other.length !== t.length || isParam(other[k] as string)) return [];
      return other.every((o, n) => n === k || o === t[n]) ? [other[k] as string] : [];
    }))
    : new Set<string>()));
  const memo = new Map<string, boolean>();
  const match = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result = false;
    if (i === p.length) {
      result = j === t.length;
    } else if (p[i] === null) {
      for (let end = j + 1; end <= t.length && !result; end++) result = match(i + 1, end);
    } else if (j < t.length) {
      const seg = t[j] as string;
      const literal = p[i] as string;
      result = (isParam(seg) ? !(excluded[j] as Set<string>).has(literal) : seg === literal) && match(i + 1, j + 1);
    }
    memo.set(key, result);
    return result;
  };
  return match(0, 0);
}

function segments(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function isParam(segment: string): boolean {
  return /^\{.+\}$/.test(segment);
}

/** An IAM policy statement of an authorizer response. */
export interface PolicyStatement {
  readonly Action: 'execute-api:Invoke';
  readonly Effect: 'Allow' | 'Deny';
  readonly Resource: string[];
}

/** An IAM policy document of an authorizer response. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: PolicyStatement[];
}

/**
 * The policy a token gets, valid for **every** route of the API (API Gateway caches it per
 * `Authorization` header and reuses it for other routes):
 * - `Allow` each route the token permits (path parameters as `*`);
 * - because IAM's `*` also matches `/`, an allowed pattern such as `GET /payments/*` would also
 *   match `GET /payments/{id}/refunds`; every route the token does *not* permit that an allowed
 *   pattern can reach gets an explicit `Deny` (an explicit deny always wins);
 * - nothing permitted: one explicit `Deny` of the whole stage.
 *
 * Never a false allow. The only imprecision is fail-closed: a denied pattern such as
 * `GET /payments/*\/refunds` also matches a permitted `GET /payments/{id}/refunds/{refundId}`
 * request whose `refundId` is literally `refunds`; such a request gets 403.
 */
export function buildPolicy(stagePrefix: string, rules: readonly RouteRule[], permitted: ReadonlySet<RouteRule>): PolicyDocument {
  return policyOf(stagePrefix, decide(rules, permitted));
}

/** Which routes a permitted set allows and which it must deny explicitly (ARN suffixes after the stage prefix). */
interface PolicyShape {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

function decide(rules: readonly RouteRule[], permitted: ReadonlySet<RouteRule>): PolicyShape {
  const allowed = rules.filter((r) => permitted.has(r));
  const denied = allowed.length === 0
    ? []
    : rules.filter((r) => !permitted.has(r) && allowed.some((p) => patternCanMatchRoute(p, r, rules)));
  return { allow: allowed.map((r) => routeArn('', r)), deny: denied.map((r) => routeArn('', r)) };
}

function policyOf(stagePrefix: string, shape: PolicyShape): PolicyDocument {
  if (shape.allow.length === 0) {
    return { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${stagePrefix}/*`] }] };
  }
  const statements: PolicyStatement[] = [
    { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: shape.allow.map((suffix) => `${stagePrefix}${suffix}`) },
  ];
  if (shape.deny.length > 0) {
    statements.push({ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: shape.deny.map((suffix) => `${stagePrefix}${suffix}`) });
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** Distinct permitted-route sets remembered by {@link createPolicyBuilder} before it starts over. */
const MAX_REMEMBERED_POLICIES = 256;

/**
 * {@link buildPolicy} for one route table, remembering the allow/deny decision per set of permitted
 * routes: the overlap analysis (`patternCanMatchRoute`) depends only on the table and that set, and a
 * pool issues few distinct scope/group combinations, so a warm container computes each once instead
 * of on every request. Every call still returns a new document (the caller may append to it).
 */
export function createPolicyBuilder(rules: readonly RouteRule[]): (stagePrefix: string, permitted: ReadonlySet<RouteRule>) => PolicyDocument {
  const shapes = new Map<string, PolicyShape>();
  return (stagePrefix, permitted) => {
    let key = '';
    for (const rule of rules) key += permitted.has(rule) ? '1' : '0';
    let shape = shapes.get(key);
    if (shape === undefined) {
      // Bounded even for a pool that mints many combinations: forgetting only costs a recomputation.
      if (shapes.size >= MAX_REMEMBERED_POLICIES) shapes.clear();
      shape = decide(rules, permitted);
      shapes.set(key, shape);
    }
    return policyOf(stagePrefix, shape);
  };
}
