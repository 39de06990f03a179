/**
 * The contract between the REQUEST authorizer (`lambda/authorizer`) and the handlers: what the
 * authorizer puts in `context` of its IAM policy response, and what handlers read from
 * `event.requestContext.authorizer`. API Gateway only passes string/number/boolean values, so
 * lists are space-separated strings. The raw token is never part of it.
 */
export interface AuthorizerContext {
  /**
   * Who owns what the caller creates: the Cognito `sub` of a user; for a machine token the
   * integration, `integration:<id>` (stable when the integration's client is rotated; a `sub` is a
   * UUID and never contains `:`), or the app client id for the deprecated single machine client.
   */
  readonly principalId: string;
  /** `sub` claim of the access token. */
  readonly sub: string;
  /** `client_id` claim (the Cognito app client). */
  readonly clientId: string;
  /** Granted OAuth scopes, space-separated (as in the token's `scope` claim). */
  readonly scopes: string;
  /** `cognito:groups`, space-separated; empty for machine tokens. */
  readonly groups: string;
  /** `user` for a human (authorization code + PKCE) token, `machine` for client credentials. */
  readonly principalType: 'user' | 'machine';
  /** The machine integration id (e.g. `acme-payments`); empty for users and the deprecated machine client. */
  readonly integration: string;
}

/** Keys of {@link AuthorizerContext} other than `principalId` (which API Gateway carries separately). */
export const AUTHORIZER_CONTEXT_KEYS = ['sub', 'clientId', 'scopes', 'groups', 'principalType', 'integration'] as const;

/** A caller, as handlers see it. */
export interface Principal {
  readonly id: string;
  readonly sub: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly groups: readonly string[];
  readonly type: 'user' | 'machine';
  /** The machine integration, for a machine token of one (its objects are owned by `id` = `integration:<integration>`). */
  readonly integration?: string;
}

/**
 * Identifiers (`principalId`, `sub`, `clientId`) handlers accept from the authorizer context; the
 * authorizer refuses tokens whose ids fall outside it, so the two can never disagree.
 */
export const SAFE_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;

/**
 * Reads the principal from `requestContext.authorizer`. Returns `undefined` when it is absent or
 * malformed (a handler must then answer 401: never trust a half-filled context).
 */
export function principalFrom(authorizer: Record<string, unknown> | null | undefined): Principal | undefined {
  if (!authorizer) return undefined;
  const { principalId, sub, clientId, scopes, groups, principalType, integration } = authorizer;
  if (typeof principalId !== 'string' || !SAFE_ID.test(principalId)) return undefined;
  if (typeof sub !== 'string' || !SAFE_ID.test(sub)) return undefined;
  if (typeof clientId !== 'string' || !SAFE_ID.test(clientId)) return undefined;
  if (principalType !== 'user' && principalType !== 'machine') return undefined;
  if (integration !== undefined && integration !== '' && (principalType !== 'machine' || typeof integration !== 'string' || !SAFE_ID.test(integration)
    || principalId !== `integration:${integration}`)) {
    // An integration context whose owner is not that integration is half-filled or forged: refuse it.
    return undefined;
  }
  const split = (v: unknown): string[] => (typeof v === 'string' ? v.split(' ').filter((s) => s.length > 0) : []);
  const base: Principal = { id: principalId, sub, clientId, scopes: split(scopes), groups: split(groups), type: principalType };
  return typeof integration === 'string' && integration !== '' ? { ...base, integration } : base;
}
