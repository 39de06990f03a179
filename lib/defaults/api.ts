import { ResponseType } from 'aws-cdk-lib/aws-apigateway';

/** Stage name used when none is given. */
export const DEFAULT_STAGE_NAME = 'v1';

/** How sensitive a route is: drives throttles, WAF rate rules and alarms. */
export type Sensitivity = 'low' | 'standard' | 'high';

/** Rate (requests/s, steady state) and burst (token bucket size) of a throttle. */
export interface ThrottleLimits {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  /** Maximum burst of concurrent requests. */
  readonly burstLimit: number;
}

/**
 * Stage-wide default throttle: applies to every caller, with or without a usage plan.
 * API Gateway's account default is 10,000 rps; a single financial API stage rarely needs more than
 * 100 rps, and a low ceiling caps the blast radius of a leaked credential or a scraping bot.
 */
export const DEFAULT_STAGE_THROTTLE: ThrottleLimits = { rateLimit: 100, burstLimit: 200 };

/**
 * Stage-level per-method throttle by route sensitivity. Money-moving routes (`high`) get the lowest
 * limit: a real customer creates a handful of payments per minute, an attacker testing stolen cards
 * creates hundreds.
 */
export const METHOD_THROTTLE_BY_SENSITIVITY: Readonly<Record<Sensitivity, ThrottleLimits>> = Object.freeze({
  low: { rateLimit: 100, burstLimit: 200 },
  standard: { rateLimit: 50, burstLimit: 100 },
  high: { rateLimit: 10, burstLimit: 20 },
});

/** Default sensitivity of a route that does not say. */
export const DEFAULT_SENSITIVITY: Sensitivity = 'standard';

/** Maximum request body API Gateway forwards to a handler (bytes); the WAF and handlers enforce it too. */
export { DEFAULT_MAX_BODY_BYTES } from '../../lambda/runtime/limits';

/**
 * Gateway responses: every error API Gateway itself produces gets the uniform JSON envelope
 * `{ "error": { "code", "message", "requestId" } }` and the security headers.
 * Messages are static: nothing from the request or from AWS internals is echoed.
 */
export interface GatewayErrorSpec {
  readonly type: ResponseType;
  /** HTTP status; `undefined` keeps API Gateway's own status for that response type. */
  readonly statusCode?: string;
  readonly code: string;
  readonly message: string;
}

export const GATEWAY_ERRORS: readonly GatewayErrorSpec[] = Object.freeze([
  { type: ResponseType.DEFAULT_4XX, code: 'BAD_REQUEST', message: 'The request could not be processed.' },
  { type: ResponseType.DEFAULT_5XX, code: 'INTERNAL_ERROR', message: 'An internal error occurred.' },
  { type: ResponseType.BAD_REQUEST_BODY, statusCode: '400', code: 'VALIDATION_FAILED', message: 'The request body is invalid.' },
  { type: ResponseType.BAD_REQUEST_PARAMETERS, statusCode: '400', code: 'VALIDATION_FAILED', message: 'A required request parameter is missing or invalid.' },
  { type: ResponseType.UNAUTHORIZED, statusCode: '401', code: 'UNAUTHORIZED', message: 'Authentication is required.' },
  { type: ResponseType.EXPIRED_TOKEN, statusCode: '401', code: 'UNAUTHORIZED', message: 'Authentication is required.' },
  { type: ResponseType.INVALID_SIGNATURE, statusCode: '401', code: 'UNAUTHORIZED', message: 'Authentication is required.' },
  { type: ResponseType.ACCESS_DENIED, statusCode: '403', code: 'FORBIDDEN', message: 'You are not allowed to perform this action.' },
  // An unknown path answers 404, not API Gateway's misleading 403 "Missing Authentication Token".
  { type: ResponseType.MISSING_AUTHENTICATION_TOKEN, statusCode: '404', code: 'NOT_FOUND', message: 'The requested resource does not exist.' },
  { type: ResponseType.RESOURCE_NOT_FOUND, statusCode: '404', code: 'NOT_FOUND', message: 'The requested resource does not exist.' },
  { type: ResponseType.INVALID_API_KEY, statusCode: '403', code: 'FORBIDDEN', message: 'You are not allowed to perform this action.' },
  { type: ResponseType.THROTTLED, statusCode: '429', code: 'TOO_MANY_REQUESTS', message: 'Too many requests. Retry later.' },
  { type: ResponseType.QUOTA_EXCEEDED, statusCode: '429', code: 'QUOTA_EXCEEDED', message: 'The usage quota for this API key is exhausted.' },
  { type: ResponseType.WAF_FILTERED, statusCode: '403', code: 'FORBIDDEN', message: 'The request was blocked.' },
  { type: ResponseType.REQUEST_TOO_LARGE, statusCode: '413', code: 'PAYLOAD_TOO_LARGE', message: 'The request is too large.' },
  { type: ResponseType.UNSUPPORTED_MEDIA_TYPE, statusCode: '415', code: 'UNSUPPORTED_MEDIA_TYPE', message: 'The content type is not supported.' },
  { type: ResponseType.AUTHORIZER_FAILURE, statusCode: '500', code: 'INTERNAL_ERROR', message: 'An internal error occurred.' },
  { type: ResponseType.AUTHORIZER_CONFIGURATION_ERROR, statusCode: '500', code: 'INTERNAL_ERROR', message: 'An internal error occurred.' },
  { type: ResponseType.API_CONFIGURATION_ERROR, statusCode: '500', code: 'INTERNAL_ERROR', message: 'An internal error occurred.' },
  { type: ResponseType.INTEGRATION_FAILURE, statusCode: '502', code: 'BAD_GATEWAY', message: 'An internal error occurred.' },
  { type: ResponseType.INTEGRATION_TIMEOUT, statusCode: '504', code: 'GATEWAY_TIMEOUT', message: 'The request timed out.' },
]);
