import { Duration } from 'aws-cdk-lib';

/**
 * Secure defaults and limits of `ApiIdentity` (Cognito user pool, app clients, REQUEST authorizer).
 * Every number here is a decision; the comment says why.
 */

/** Minimum password length. NIST SP 800-63B and PCI DSS 4.0 (8.3.6) ask for 12+ characters. */
export const DEFAULT_PASSWORD_MIN_LENGTH = 12;

/** Passwords remembered per user so a reset cannot cycle back to a leaked one (PCI DSS 8.3.7: last 4). */
export const DEFAULT_PASSWORD_HISTORY_SIZE = 4;

/** Temporary (admin-invite) passwords expire quickly: an unused invite is a standing credential. */
export const DEFAULT_TEMP_PASSWORD_VALIDITY = Duration.days(3);

/**
 * Access and ID token lifetime. Short: a bearer token cannot be recalled (revocation only stops the
 * refresh token), so its lifetime bounds how long a stolen one is useful.
 */
export const DEFAULT_ACCESS_TOKEN_VALIDITY = Duration.minutes(15);

/** Longest access/ID token lifetime the library accepts (Cognito allows a day; we allow an hour). */
export const MAX_ACCESS_TOKEN_VALIDITY = Duration.hours(1);

/** Shortest access/ID token lifetime Cognito accepts. */
export const MIN_ACCESS_TOKEN_VALIDITY = Duration.minutes(5);

/** Refresh token lifetime: a session lasts at most this long without a new sign-in with MFA. */
export const DEFAULT_REFRESH_TOKEN_VALIDITY = Duration.days(30);

/** Longest refresh token lifetime the library accepts (Cognito allows 10 years). */
export const MAX_REFRESH_TOKEN_VALIDITY = Duration.days(30);

/** Shortest refresh token lifetime Cognito accepts. */
export const MIN_REFRESH_TOKEN_VALIDITY = Duration.minutes(60);

/**
 * Refresh-token rotation grace period: how long the previous refresh token still works after a
 * rotation, so a client whose refresh response was lost (network drop, two tabs refreshing at once)
 * can retry. Setting it turns rotation on. Cognito allows 0..60 s; short keeps a replayed token useless.
 */
export const DEFAULT_REFRESH_TOKEN_ROTATION_GRACE = Duration.seconds(10);

/** Cognito's upper bound on the rotation grace period. */
export const MAX_REFRESH_TOKEN_ROTATION_GRACE = Duration.seconds(60);

/** Machine (client-credentials) access token lifetime: same short bound as user tokens. */
export const DEFAULT_MACHINE_TOKEN_VALIDITY = Duration.minutes(15);

/**
 * Authorizer result cache TTL. API Gateway caches the policy per `Authorization` header value, so a
 * cached decision outlives nothing the token itself does not already allow: it must not exceed the
 * access token lifetime (else an expired token keeps working from the cache). 5 minutes removes the
 * authorizer from ~all requests of an active session while a token that loses a group or scope
 * (which only changes at the next token refresh anyway) is honoured for at most 5 more minutes.
 */
export const DEFAULT_AUTHORIZER_CACHE_TTL = Duration.minutes(5);

/** API Gateway's upper bound on the authorizer result cache TTL. */
export const MAX_AUTHORIZER_CACHE_TTL = Duration.hours(1);

/**
 * Largest route-policy document the authorizer receives through its environment (bytes).
 * Lambda caps all environment variables of a function at 4 KB together.
 */
export const MAX_ROUTE_POLICY_BYTES = 3 * 1024;

/** OAuth scopes the browser/mobile client gets besides the API scopes: sign-in identity only. */
export const PUBLIC_CLIENT_OIDC_SCOPES = ['openid', 'email'] as const;

/**
 * Words Cognito refuses in a prefix domain.
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-assign-domain-prefix.html
 */
export const RESERVED_DOMAIN_WORDS = ['aws', 'amazon', 'cognito'] as const;

/** App clients an integration gets unless told otherwise: one; a rotation adds a second for a while. */
export const DEFAULT_INTEGRATION_CLIENTS: readonly string[] = Object.freeze(['primary']);

/** Most app clients one integration may have at once: the current one and the one replacing it. */
export const MAX_INTEGRATION_CLIENTS = 2;

/** Usage tier a machine integration is metered in unless told otherwise (server-to-server partners). */
export const DEFAULT_INTEGRATION_TIER = 'partner';

/**
 * Length of a generated usage-plan API key value (API Gateway accepts 20..128 characters). 40
 * alphanumerics are ~238 bits; the value is an identifier the authorizer hands to API Gateway, never
 * a credential a caller presents (API key source AUTHORIZER).
 */
export const USAGE_KEY_LENGTH = 40;

/** Lambda's limit on the total size of a function's environment variables (bytes). */
export const LAMBDA_ENVIRONMENT_MAX_BYTES = 4 * 1024;

/**
 * Shortest usable step-up window beyond the authorizer cache TTL: a route with `maxAuthAge` is allowed
 * only while the sign-in stays recent for the whole TTL, so `maxAuthAge` must exceed the TTL by this much.
 */
export const MIN_STEP_UP_WINDOW = Duration.minutes(1);

/**
 * Step-up window of the example's admin routes: the administrator must have signed in (password + TOTP)
 * within the last 15 minutes. Also the worst-case time a removed administrator keeps access to those
 * routes (the authorizer never lets the cache serve them beyond the window). PCI DSS 8.2.8 uses the
 * same 15 minutes for re-authentication after idleness.
 */
export const ADMIN_STEP_UP_MAX_AUTH_AGE = Duration.minutes(15);
