import { IAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import type { RouteRule } from '../../lambda/functions/authorizer/route-policy';
import { protectionOf, RouteTable } from '../routes';

/**
 * Where the route policy of a library-built authorizer is kept on the authorizer object. A global
 * symbol (not a module-local WeakMap) so that the mark survives two copies of the library in one app.
 * It guards against mistakes (passing a Cognito authorizer, or one built for another route table),
 * not against a consumer who deliberately forges it.
 */
const ROUTE_POLICY = Symbol.for('@secure-api/cdk.route-table-authorizer.policy');

/** The rules the library's REQUEST authorizer enforces for a route table: protected routes only. */
export function routePolicyFor(routes: RouteTable): RouteRule[] {
  return routes.flatMap((r): RouteRule[] => {
    const auth = protectionOf(r);
    if (!auth) return [];
    const rule: RouteRule = { method: r.method, path: r.path, scopes: [...auth.scopes], groups: [...(auth.groups ?? [])] };
    return [auth.maxAuthAge ? { ...rule, maxAuthAgeSeconds: auth.maxAuthAge.toSeconds() } : rule];
  });
}

/**
 * Records that `authorizer` is the library's own REQUEST authorizer enforcing `policy` (called by
 * `ApiIdentity`). `SecureRestApi` accepts only authorizers marked this way whose policy covers its routes.
 */
export function markRouteTableAuthorizer(authorizer: IAuthorizer, policy: readonly RouteRule[]): void {
  const frozen = Object.freeze(policy.map((r) => Object.freeze({ ...r, scopes: Object.freeze([...r.scopes]), groups: Object.freeze([...r.groups]) })));
  Object.defineProperty(authorizer, ROUTE_POLICY, { value: frozen, enumerable: false, writable: false, configurable: false });
}

/** The route policy of a library-built authorizer, or `undefined` for any other authorizer. */
export function routePolicyOfAuthorizer(authorizer: IAuthorizer): readonly RouteRule[] | undefined {
  const policy = (authorizer as unknown as Record<symbol, unknown>)[ROUTE_POLICY];
  return Array.isArray(policy) ? (policy as readonly RouteRule[]) : undefined;
}

/**
 * Why `policy` does not enforce `routes` (one entry per protected route whose rule is missing or
 * differs), naming the route's prop. Empty when every protected route has exactly its scopes, groups
 * and step-up window.
 */
export function routePolicyMismatches(routes: RouteTable, policy: readonly RouteRule[]): { prop: string; message: string }[] {
  const byKey = new Map(policy.map((r) => [`${r.method} ${r.path}`, r]));
  const same = (a: readonly string[], b: readonly string[]): boolean =>
    a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
  const problems: { prop: string; message: string }[] = [];
  routes.forEach((route, i) => {
    const auth = protectionOf(route);
    if (!auth) return;
    const key = `${route.method} ${route.path}`;
    const rule = byKey.get(key);
    const maxAge = auth.maxAuthAge?.toSeconds();
    const wanted = `scopes [${auth.scopes.join(', ')}]${auth.groups?.length ? ` and one of groups [${auth.groups.join(', ')}]` : ''}${maxAge !== undefined ? ` and a sign-in at most ${maxAge} s old` : ''}`;
    if (!rule) {
      problems.push({ prop: `routes[${i}]`, message: `${key} (${wanted}) is not in the authorizer's route policy` });
    } else if (!same(rule.scopes, auth.scopes) || !same(rule.groups, auth.groups ?? []) || rule.maxAuthAgeSeconds !== maxAge) {
      problems.push({
        prop: `routes[${i}]`,
        message: `${key} needs ${wanted} but the authorizer enforces scopes [${rule.scopes.join(', ')}]${rule.groups.length ? ` and groups [${rule.groups.join(', ')}]` : ''}${rule.maxAuthAgeSeconds !== undefined ? ` and a sign-in at most ${rule.maxAuthAgeSeconds} s old` : ''}`,
      });
    }
  });
  return problems;
}
