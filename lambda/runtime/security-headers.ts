/**
 * Response headers every API answer carries, from the gateway (gateway responses) and from handlers.
 *
 * Pure data so that `lib/` (gateway responses) and `lambda/` (handler responses) share one source.
 * Values follow the OWASP REST Security and Secure Headers Project recommendations for JSON APIs.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  // Two years, all subdomains: a browser never downgrades to plain HTTP for this host.
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  // A JSON API serves no active content: nothing may load, nothing may frame it.
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  // Financial data must never be cached by browsers or intermediaries.
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
});

/** Headers a browser may send on CORS requests to this API (preflight allow-list). */
export const CORS_ALLOWED_HEADERS: readonly string[] = Object.freeze([
  'Authorization',
  'Content-Type',
  'Idempotency-Key',
  'X-Api-Key',
  'X-Correlation-Id',
]);

/** Response headers a browser script may read cross-origin. */
export const CORS_EXPOSED_HEADERS: readonly string[] = Object.freeze(['X-Correlation-Id', 'X-Request-Id']);
