/**
 * The authorizer's metric contract, shared by the authorizer (which emits it through Powertools
 * Metrics) and by `ApiAlarms` (which graphs and alarms on it). Pure data: no runtime dependency.
 *
 * Metric: namespace = the function's `POWERTOOLS_METRICS_NAMESPACE` (default `SecureRestApi`),
 * name {@link AUTHORIZER_DENIAL_METRIC}, unit Count, dimensions `service` (Powertools default,
 * = `POWERTOOLS_SERVICE_NAME`) and {@link DENIAL_REASON_DIMENSION}.
 */
export const AUTHORIZER_DENIAL_METRIC = 'AuthorizerDenials';

/** Metric counting allowed decisions (same namespace and `service` dimension, no reason). */
export const AUTHORIZER_ALLOW_METRIC = 'AuthorizerAllows';

/** Dimension that carries the denial reason. */
export const DENIAL_REASON_DIMENSION = 'reason';

/** Every reason the authorizer can deny for: one metric series each. */
export const DENIAL_REASONS = [
  'missing_token',
  'malformed_token',
  'oversized_token',
  'unsupported_alg',
  'unknown_kid',
  'bad_signature',
  'expired',
  'not_yet_valid',
  'wrong_issuer',
  'wrong_client',
  'wrong_token_use',
  'missing_scope',
  'missing_group',
  'unknown_route',
  'invalid_claims',
  'missing_client_cert',
  'wrong_client_cert',
  'stale_sign_in',
] as const;

/** One denial reason. */
export type DenialReason = (typeof DENIAL_REASONS)[number];

/**
 * Reasons that answer 403 (authenticated but not allowed on this route); every other reason answers 401.
 * A machine token without its bound certificate (`missing_client_cert`, `wrong_client_cert`) is 401 as
 * RFC 8705 section 3 asks (`invalid_token`): it is not usable on any route with that connection.
 * `stale_sign_in` is 403 because the same token still opens the routes that need no recent sign-in.
 */
export const FORBIDDEN_REASONS: readonly DenialReason[] = ['missing_scope', 'missing_group', 'unknown_route', 'stale_sign_in'];
