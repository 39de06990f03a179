import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { CORS_EXPOSED_HEADERS, SECURITY_HEADERS } from './security-headers';

/** Stable error codes of the envelope `{ "error": { "code", "message", "requestId", "details"? } }`. */
export type ErrorCode =
  | 'VALIDATION_FAILED'
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

/** One problem in a request, by field path (`amount.value`). */
export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

/** The allow-list of CORS origins, read once from `ALLOWED_ORIGINS` (comma-separated). */
function parseAllowedOrigins(raw: string | undefined): ReadonlySet<string> {
  return new Set((raw ?? '').split(',').map((o) => o.trim()).filter((o) => o.length > 0 && o !== '*'));
}

const allowedOrigins = parseAllowedOrigins(process.env.ALLOWED_ORIGINS);

/** Case-insensitive header lookup (API Gateway keeps the client's casing). */
export function header(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const headers = event.headers ?? {};
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && typeof value === 'string') return value;
  }
  return undefined;
}

/** CORS response headers: only for an allow-listed origin, never a wildcard or a reflected unknown origin. */
export function corsHeaders(event: Pick<APIGatewayProxyEvent, 'headers'>, origins: ReadonlySet<string> = allowedOrigins): Record<string, string> {
  const origin = header(event, 'origin');
  if (origin === undefined || !origins.has(origin)) return { Vary: 'Origin' };
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Expose-Headers': CORS_EXPOSED_HEADERS.join(','),
    Vary: 'Origin',
  };
}

/** A JSON response with the security headers, CORS (allow-list) and the request id. */
export function jsonResponse(
  event: Pick<APIGatewayProxyEvent, 'headers' | 'requestContext'>,
  statusCode: number,
  body: unknown,
  extraHeaders: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: {
      ...SECURITY_HEADERS,
      ...corsHeaders(event),
      'Content-Type': 'application/json; charset=utf-8',
      'X-Request-Id': event.requestContext?.requestId ?? 'unknown',
      ...extraHeaders,
    },
    body: JSON.stringify(body),
  };
}

/** The uniform error envelope. Messages are fixed strings chosen by the code, never raw input. */
export function errorResponse(
  event: Pick<APIGatewayProxyEvent, 'headers' | 'requestContext'>,
  statusCode: number,
  code: ErrorCode,
  message: string,
  details?: readonly ErrorDetail[],
): APIGatewayProxyResult {
  return jsonResponse(event, statusCode, {
    error: {
      code,
      message,
      requestId: event.requestContext?.requestId ?? 'unknown',
      ...(details && details.length > 0 ? { details } : {}),
    },
  });
}
