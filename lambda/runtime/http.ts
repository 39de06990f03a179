import type { APIGatewayProxyResult } from 'aws-lambda';
import { CORS_EXPOSED_HEADERS, SECURITY_HEADERS } from './security-headers';

/** Stable error codes of the envelope `{ "error": { "code", "message", "requestId", "details"? } }`. */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'INVALID_CURSOR'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNPROCESSABLE'
  | 'TOO_MANY_REQUESTS'
  | 'INTERNAL_ERROR';

/** HTTP methods handlers answer. */
export type HttpMethodName = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One problem in a request, by field path (`body.creditor.iban`). */
export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

/**
 * The parts of a request a response depends on. Typed as possibly missing: events from a
 * misconfigured integration or a fuzzer may lack them, and the response must still be well-formed.
 */
export interface RequestLike {
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly requestContext?: { readonly requestId?: string } | null;
}

/** The allow-list of CORS origins, read from `ALLOWED_ORIGINS` (comma-separated); `*` is never accepted. */
function parseAllowedOrigins(raw: string | undefined): ReadonlySet<string> {
  return new Set((raw ?? '').split(',').map((o) => o.trim()).filter((o) => o.length > 0 && o !== '*'));
}

let allowedOrigins = parseAllowedOrigins(process.env.ALLOWED_ORIGINS);

/** Re-reads `ALLOWED_ORIGINS` (tests change the environment between cases). */
export function reloadAllowedOrigins(): void {
  allowedOrigins = parseAllowedOrigins(process.env.ALLOWED_ORIGINS);
}

/** Case-insensitive header lookup (API Gateway keeps the client's casing). */
export function header(event: RequestLike, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && typeof value === 'string') return value;
  }
  return undefined;
}

/** CORS response headers: only for an allow-listed origin, never a wildcard or a reflected unknown origin. */
export function corsHeaders(event: RequestLike, origins: ReadonlySet<string> = allowedOrigins): Record<string, string> {
  const origin = header(event, 'origin');
  if (origin === undefined || !origins.has(origin)) return { Vary: 'Origin' };
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Expose-Headers': CORS_EXPOSED_HEADERS.join(','),
    Vary: 'Origin',
  };
}

function requestIdOf(event: RequestLike): string {
  const id = event.requestContext?.requestId;
  return typeof id === 'string' && id.length > 0 ? id : 'unknown';
}

/** A JSON response with the security headers, CORS (allow-list) and the request id. */
export function jsonResponse(event: RequestLike, statusCode: number, body: unknown,
  extraHeaders: Readonly<Record<string, string>> = {}): APIGatewayProxyResult {
  return {
    statusCode,
    headers: {
      ...extraHeaders,
      // After the extras: a handler can add headers but never drop a security header.
      ...SECURITY_HEADERS,
      ...corsHeaders(event),
      'Content-Type': 'application/json; charset=utf-8',
      'X-Request-Id': requestIdOf(event),
    },
    body: JSON.stringify(body),
  };
}

/** The uniform error envelope. Messages are fixed strings chosen by the code, never raw input. */
export function errorResponse(event: RequestLike, statusCode: number, code: ErrorCode, message: string,
  details?: readonly ErrorDetail[], extraHeaders: Readonly<Record<string, string>> = {}): APIGatewayProxyResult {
  return jsonResponse(event, statusCode, {
    error: {
      code,
      message,
      requestId: requestIdOf(event),
      ...(details && details.length > 0 ? { details } : {}),
    },
  }, extraHeaders);
}
