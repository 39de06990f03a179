import type { Duration } from 'aws-cdk-lib';
import type { $ZodType } from 'zod/v4/core';
import { DEFAULT_SENSITIVITY, Sensitivity } from './defaults/api';

/** HTTP methods a route may use. `OPTIONS` is reserved for CORS preflight, which the library owns. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A route anyone may call, without a token. Must say why, so the public list is a reviewed decision. */
export interface PublicAuth {
  readonly public: true;
  /** Why this route needs no authentication (shown in the security report). */
  readonly reason: string;
}

/** A route that needs a valid Cognito access token. */
export interface ProtectedAuth {
  /**
   * OAuth 2.0 scopes the access token must carry. **Every** listed scope is required (AND), so
   * adding a scope to a route only ever narrows who may call it.
   */
  readonly scopes: readonly string[];
  /**
   * Cognito groups (roles). When set, the caller must belong to **at least one** of them.
   * Client-credentials tokens carry no groups, so a route with groups is for human users only.
   * @default - no group requirement
   */
  readonly groups?: readonly string[];
  /**
   * Step-up: the user must have signed in (Cognito `auth_time`, which token refreshes keep) at most this
   * long ago, enforced by the authorizer. Group-gated routes only; must exceed the authorizer cache TTL
   * (the cached policy never serves the route beyond the window).
   * @default - no recent sign-in required
   */
  readonly maxAuthAge?: Duration;
}

/** Who may call a route. */
export type RouteAuth = PublicAuth | ProtectedAuth;

/**
 * One row of the route table: the single place where a route is declared.
 * Everything else (resources, methods, authorizer policy, scopes, models, throttles, WAF rules,
 * OpenAPI, alarms, the security report) is derived from it.
 */
export interface RouteDefinition {
  /** HTTP method. */
  readonly method: HttpMethod;
  /** Resource path, e.g. `/payments/{paymentId}`. Must start with `/`; path parameters in braces. */
  readonly path: string;
  /**
   * What serves the route, by name: `SecureRestApi` resolves it to an existing function
   * (`handlers[name]`), an existing HTTPS service (`backends[name]`, see `HttpBackend`), or an entry file
   * `<handlersDir>/<name>.{ts,mts,js,mjs,cjs}`. Several routes may share one name.
   */
  readonly handler: string;
  /** Authentication and authorization requirement. */
  readonly auth: RouteAuth;
  /**
   * How sensitive the route is: `high` for money-moving or admin actions (strictest throttles and
   * WAF rate limit), `standard` for reads of private data, `low` for public, cheap endpoints.
   * @default 'standard'
   */
  readonly sensitivity?: Sensitivity;
  /**
   * Whether callers must present an API key (usage-plan metering/throttling only — never authorization).
   * @default false
   */
  readonly apiKeyRequired?: boolean;
  /** Zod schema (classic `zod` or `zod/mini`) of the JSON body. Drives the gateway model, handler validation and OpenAPI. @default - no body */
  readonly body?: $ZodType;
  /** Zod schema of the path parameters. @default - none beyond the path's own `{params}` */
  readonly params?: $ZodType;
  /** Zod schema of the query string. @default - no query parameters accepted */
  readonly query?: $ZodType;
  /** Request headers the gateway must see before the handler runs (e.g. `Idempotency-Key`). @default - none */
  readonly requiredHeaders?: readonly string[];
  /** One-line description (OpenAPI summary, security report). @default - none */
  readonly summary?: string;
}

/** The route table of an API. */
export type RouteTable = readonly RouteDefinition[];

/** Type guard: is this route explicitly public? */
export function isPublicRoute(route: RouteDefinition): route is RouteDefinition & { auth: PublicAuth } {
  return 'public' in route.auth && route.auth.public;
}

/** The route's protection, or `undefined` for a public route. */
export function protectionOf(route: RouteDefinition): ProtectedAuth | undefined {
  return isPublicRoute(route) ? undefined : (route.auth as ProtectedAuth);
}

/** The route's sensitivity with the default applied. */
export function sensitivityOf(route: RouteDefinition): Sensitivity {
  return route.sensitivity ?? DEFAULT_SENSITIVITY;
}

/** A stable key for a route, e.g. `POST /payments`. */
export function routeKey(route: Pick<RouteDefinition, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

/** Path parameter names in order, e.g. `['paymentId']` for `/payments/{paymentId}`. */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
}

/** Every scope any protected route requires, sorted and de-duplicated. */
export function allScopes(routes: RouteTable): string[] {
  const scopes = new Set<string>();
  for (const route of routes) {
    protectionOf(route)?.scopes.forEach((s) => scopes.add(s));
  }
  return [...scopes].sort();
}

const SEGMENT_PATTERN = /^(?:[A-Za-z0-9._-]{1,64}|\{[A-Za-z][A-Za-z0-9_]{0,63}\})$/;

/** `/a/{b}/c`: each segment a literal or a `{param}`, no empty segments, no trailing slash. */
function isResourcePath(path: string): boolean {
  if (!path.startsWith('/') || path.length > 512) return false;
  return path.slice(1).split('/').every((segment) => SEGMENT_PATTERN.test(segment));
}
const SCOPE_PATTERN = /^[a-z][a-z0-9-]*\/[a-z][a-z0-9.:-]*$/;
const HEADER_PATTERN = /^[A-Za-z0-9-]{1,64}$/;

/**
 * Checks a route table and returns a list of problems, each naming the offending prop
 * (`routes[2].auth.scopes`). Empty when the table is valid. Pure: used at synth and in tests.
 */
export function routeTableProblems(routes: RouteTable): { prop: string; message: string }[] {
  const problems: { prop: string; message: string }[] = [];
  const seen = new Map<string, number>();
  routes.forEach((route, i) => {
    const at = `routes[${i}]`;
    if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method)) {
      problems.push({ prop: `${at}.method`, message: `unsupported method "${route.method as string}" (OPTIONS is reserved for CORS preflight)` });
    }
    if (route.path !== '/' && !isResourcePath(route.path)) {
      problems.push({ prop: `${at}.path`, message: `"${route.path}" is not a resource path like /payments/{paymentId}` });
    }
    const key = routeKey(route);
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ prop: at, message: `duplicate route ${key} (also routes[${first}])` });
    } else {
      seen.set(key, i);
    }
    if (!/^[a-z0-9][a-z0-9-]*$/.test(route.handler)) {
      problems.push({ prop: `${at}.handler`, message: `handler name "${route.handler}" must be kebab-case` });
    }
    if (isPublicRoute(route)) {
      if (!route.auth.reason || route.auth.reason.trim().length < 10) {
        problems.push({ prop: `${at}.auth.reason`, message: 'a public route must say why it needs no authentication' });
      }
      if (route.sensitivity === 'high') {
        problems.push({ prop: `${at}.sensitivity`, message: 'a high-sensitivity route cannot be public' });
      }
    } else {
      const auth = route.auth as ProtectedAuth;
      if (((auth.scopes as readonly string[] | undefined)?.length ?? 0) === 0) {
        problems.push({ prop: `${at}.auth.scopes`, message: 'a protected route needs at least one scope (or `auth: { public: true, reason }`)' });
      } else {
        auth.scopes.forEach((scope, j) => {
          if (!SCOPE_PATTERN.test(scope)) {
            problems.push({ prop: `${at}.auth.scopes[${j}]`, message: `"${scope}" is not a scope like payments/read` });
          }
        });
      }
      if (auth.groups !== undefined && auth.groups.length === 0) {
        problems.push({ prop: `${at}.auth.groups`, message: 'an empty groups list would deny everyone; omit it instead' });
      }
    }
    (route.requiredHeaders ?? []).forEach((h, j) => {
      if (!HEADER_PATTERN.test(h)) problems.push({ prop: `${at}.requiredHeaders[${j}]`, message: `"${h}" is not a header name` });
    });
    if (route.body !== undefined && (route.method === 'GET' || route.method === 'DELETE')) {
      problems.push({ prop: `${at}.body`, message: `${route.method} routes take no body` });
    }
  });
  return problems;
}
