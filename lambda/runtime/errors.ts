import type { ErrorCode, ErrorDetail } from './http';

/** Status of each stable error code. */
export const STATUS_OF: Readonly<Record<ErrorCode, number>> = Object.freeze({
  VALIDATION_FAILED: 400,
  INVALID_CURSOR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE: 422,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_ERROR: 500,
});

/** Fixed message of each code: clients get these, never an exception's own text. */
export const MESSAGE_OF: Readonly<Record<ErrorCode, string>> = Object.freeze({
  VALIDATION_FAILED: 'The request is invalid.',
  INVALID_CURSOR: 'The pagination cursor is invalid or expired.',
  UNAUTHORIZED: 'Authentication is required.',
  FORBIDDEN: 'You are not allowed to perform this action.',
  NOT_FOUND: 'The requested resource does not exist.',
  METHOD_NOT_ALLOWED: 'The method is not allowed on this resource.',
  CONFLICT: 'The request conflicts with the current state of the resource.',
  PAYLOAD_TOO_LARGE: 'The request body is too large.',
  UNSUPPORTED_MEDIA_TYPE: 'The content type is not supported: send application/json.',
  UNPROCESSABLE: 'The request is well-formed but cannot be processed.',
  TOO_MANY_REQUESTS: 'Too many requests. Retry later.',
  INTERNAL_ERROR: 'An internal error occurred.',
});

/**
 * An error a handler throws to answer with the envelope. The message is a fixed, client-safe
 * string (defaults to {@link MESSAGE_OF}); details name fields, never their values.
 */
export class ApiError extends Error {
  /** HTTP status derived from the code. */
  public readonly statusCode: number;

  constructor(
    public readonly code: ErrorCode,
    message: string = MESSAGE_OF[code],
    public readonly details?: readonly ErrorDetail[],
    public readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = STATUS_OF[code];
  }
}
