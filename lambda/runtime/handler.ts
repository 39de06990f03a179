import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { $ZodType } from 'zod/v4/core';
import { principalFrom, type Principal } from './authorizer-context';
import { ApiError, MESSAGE_OF } from './errors';
import { errorResponse, header, type HttpMethodName, jsonResponse } from './http';
import { logger, metrics } from './powertools';
import { knownPathOf, parseJsonText, validate } from './validation';

// Default body limit when `MAX_BODY_BYTES` is unset (the gateway/WAF default, from one place).
import { DEFAULT_MAX_BODY_BYTES } from './limits';
export { DEFAULT_MAX_BODY_BYTES };

/** A client correlation id we are willing to log and echo back (anything else is ignored). */
const CORRELATION_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** JSON media types accepted for request bodies (`charset` may only be UTF-8), compared without spaces, lower case. */
const JSON_CONTENT_TYPES: ReadonlySet<string> = new Set(['application/json', 'application/json;charset=utf-8', 'application/json;charset="utf-8"']);

function isJsonContentType(value: string | undefined): boolean {
  return value !== undefined && value.length <= 64 && JSON_CONTENT_TYPES.has(value.replace(/ /g, '').toLowerCase());
}

/** What a route's handler receives: validated input and who is calling. */
export interface ApiRequest<B, P, Q, A extends boolean> {
  readonly body: B;
  readonly params: P;
  readonly query: Q;
  /** The caller (present on protected routes: the kit answers 401 when it is missing). */
  readonly principal: A extends true ? Principal : undefined;
  /** Validated required headers, by the name given in the spec. */
  readonly headers: Readonly<Record<string, string>>;
  readonly requestId: string;
  readonly correlationId: string;
  /** The raw body text (for signature checks); never log it. */
  readonly rawBody: string;
  readonly event: APIGatewayProxyEvent;
}

/** What a route's handler returns on success. */
export interface ApiResponse {
  readonly statusCode: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The contract a handler declares: methods, schemas, auth and headers. */
export interface RouteSpec<B, P, Q, A extends boolean> {
  /** Methods this function answers; any other gets 405 with `Allow`. */
  readonly methods: readonly HttpMethodName[];
  /** Whether a principal from the authorizer is required (401 without one). */
  readonly authenticated: A;
  /** Groups of which the caller must hold one (defence in depth behind the authorizer: 403). @default - none */
  readonly groups?: readonly string[];
  /** JSON body schema. @default - the route takes no body (a body is rejected) */
  readonly body?: $ZodType<B>;
  /** Path parameter schema. @default - no path parameters */
  readonly params?: $ZodType<P>;
  /** Query string schema. @default - no query parameters accepted */
  readonly query?: $ZodType<Q>;
  /** Required headers and their schemas, e.g. `{ 'Idempotency-Key': IdempotencyKey }`. @default - none */
  readonly headers?: Readonly<Record<string, $ZodType<string>>>;
  /**
   * Authenticates the raw body before it is parsed (e.g. a webhook HMAC). Throw {@link ApiError} to reject.
   * @default - none
   */
  readonly verifyRawBody?: (rawBody: string, event: APIGatewayProxyEvent) => Promise<void>;
}

/** The Lambda entry point the kit builds. */
export type ProxyHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

function maxBodyBytes(): number {
  const configured = Number(process.env.MAX_BODY_BYTES);
  return Number.isInteger(configured) && configured > 0 ? configured : DEFAULT_MAX_BODY_BYTES;
}

/** The fields of a proxy event the kit reads, each checked: a hostile or malformed event must not crash it. */
interface SafeEvent {
  readonly httpMethod: string;
  readonly resource: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly pathParameters: Readonly<Record<string, string | undefined>>;
  readonly queryStringParameters: Readonly<Record<string, string | undefined>>;
  readonly multiValueQueryStringParameters: Readonly<Record<string, readonly string[] | undefined>>;
  readonly body: unknown;
  readonly isBase64Encoded: boolean;
  readonly requestContext: { readonly requestId: string; readonly authorizer: Record<string, unknown> | undefined };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function recordOf<T>(v: unknown): Readonly<Record<string, T | undefined>> {
  return isRecord(v) ? (v as Record<string, T | undefined>) : {};
}

function safeEvent(event: unknown): SafeEvent {
  const e = isRecord(event) ? event : {};
  const ctx = isRecord(e.requestContext) ? e.requestContext : {};
  return {
    httpMethod: typeof e.httpMethod === 'string' ? e.httpMethod : '',
    resource: typeof e.resource === 'string' ? e.resource : '',
    headers: recordOf<string>(e.headers),
    pathParameters: recordOf<string>(e.pathParameters),
    queryStringParameters: recordOf<string>(e.queryStringParameters),
    multiValueQueryStringParameters: recordOf<string[]>(e.multiValueQueryStringParameters),
    body: e.body,
    isBase64Encoded: e.isBase64Encoded === true,
    requestContext: {
      requestId: typeof ctx.requestId === 'string' && ctx.requestId.length > 0 ? ctx.requestId : 'unknown',
      authorizer: isRecord(ctx.authorizer) ? ctx.authorizer : undefined,
    },
  };
}

/**
 * Builds a Lambda proxy handler from a route spec and a pure function. In order: correlation id,
 * method (405), principal (401/403), required headers, path and query (400), content type (415),
 * body size (413), raw-body authentication, JSON (400), schema (400); then the function. Every
 * answer — success, client error or unexpected failure (500, request id only) — carries the
 * security headers, the CORS allow-list headers and `X-Correlation-Id`; metrics are flushed per
 * invocation; the log never contains bodies, headers or tokens.
 */
export function apiHandler<B = undefined, P = undefined, Q = undefined, A extends boolean = boolean>(
  spec: RouteSpec<B, P, Q, A>,
  fn: (request: ApiRequest<B, P, Q, A>) => Promise<ApiResponse>,
): ProxyHandler {
  return async (rawEvent, context) => {
    const event = safeEvent(rawEvent);
    const requestId = event.requestContext.requestId;
    const clientCorrelation = header(event, 'x-correlation-id');
    const correlationId = clientCorrelation !== undefined && CORRELATION_ID.test(clientCorrelation) ? clientCorrelation : requestId;
    const replyHeaders = { 'X-Correlation-Id': correlationId };
    if (context) logger.addContext(context);
    logger.appendKeys({ requestId, correlationId, httpMethod: event.httpMethod.slice(0, 10), resource: event.resource.slice(0, 200) });
    let statusCode = 500;
    try {
      const result = await run(spec, fn, event, rawEvent, correlationId);
      statusCode = result.statusCode;
      return jsonResponse(event, result.statusCode, result.body, { ...result.headers, ...replyHeaders });
    } catch (err) {
      if (err instanceof ApiError) {
        statusCode = err.statusCode;
        logger.info('Request rejected', { statusCode, code: err.code });
        return errorResponse(event, err.statusCode, err.code, err.message, err.details, { ...err.headers, ...replyHeaders });
      }
      statusCode = 500;
      // Name and stack frames only: an exception's message can quote request data.
      const e = err instanceof Error ? err : new Error('non-error thrown');
      logger.error('Unhandled error', { errorName: e.name, stack: e.stack?.split('\n').slice(1, 8).join('\n') });
      return errorResponse(event, 500, 'INTERNAL_ERROR', MESSAGE_OF.INTERNAL_ERROR, undefined, replyHeaders);
    } finally {
      metrics.addMetric(statusCode >= 500 ? 'ServerErrors' : statusCode >= 400 ? 'ClientErrors' : 'Successes', MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
}

function rawBodyOf(event: SafeEvent, limit: number): string {
  const body = event.body;
  if (body === null || body === undefined || body === '') return '';
  if (typeof body !== 'string') throw new ApiError('VALIDATION_FAILED', undefined, [{ path: 'body', message: 'Must be a JSON text.' }]);
  // Cheap pre-check on the encoded length so a huge body is never decoded or scanned in full.
  if (body.length > limit * 4) throw new ApiError('PAYLOAD_TOO_LARGE');
  const bytes = event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (bytes.length > limit) throw new ApiError('PAYLOAD_TOO_LARGE');
  return event.isBase64Encoded ? bytes.toString('utf8') : body;
}

function singleValued(event: SafeEvent): Record<string, string> {
  // Null prototype: a `__proto__` parameter name stays an own key, which the strict schema rejects.
  const out = Object.create(null) as Record<string, string>;
  for (const [key, value] of Object.entries(event.queryStringParameters)) {
    // HTTP parameter pollution: `?limit=1&limit=100` must not let two layers read different values.
    if ((event.multiValueQueryStringParameters[key]?.length ?? 1) > 1) {
      throw new ApiError('VALIDATION_FAILED', undefined, [{ path: 'query', message: 'A parameter is repeated.' }]);
    }
    if (typeof value === 'string') out[key] = value;
  }
  return { ...out };
}

async function run<B, P, Q, A extends boolean>(
  spec: RouteSpec<B, P, Q, A>,
  fn: (request: ApiRequest<B, P, Q, A>) => Promise<ApiResponse>,
  event: SafeEvent,
  rawEvent: APIGatewayProxyEvent,
  correlationId: string,
): Promise<ApiResponse> {
  if (!spec.methods.includes(event.httpMethod as HttpMethodName)) {
    throw new ApiError('METHOD_NOT_ALLOWED', undefined, undefined, { Allow: spec.methods.join(', ') });
  }
  let principal: Principal | undefined;
  if (spec.authenticated) {
    principal = principalFrom(event.requestContext.authorizer);
    if (!principal) throw new ApiError('UNAUTHORIZED');
    const held = principal.groups;
    if (spec.groups && !spec.groups.some((g) => held.includes(g))) throw new ApiError('FORBIDDEN');
  }
  const headers: Record<string, string> = {};
  for (const [name, schema] of Object.entries(spec.headers ?? {})) {
    headers[name] = validate(schema, header(event, name), `header.${name}`);
  }
  const params = spec.params ? validate(spec.params, { ...event.pathParameters }, 'path') : (undefined as P);
  let query = undefined as Q;
  if (spec.query) {
    query = validate(spec.query, singleValued(event), 'query');
  } else if (Object.keys(event.queryStringParameters).length > 0) {
    throw new ApiError('VALIDATION_FAILED', undefined, [{ path: 'query', message: 'This route takes no query parameters.' }]);
  }

  const rawBody = rawBodyOf(event, maxBodyBytes());
  let body = undefined as B;
  if (spec.body) {
    const contentType = header(event, 'content-type');
    if (!isJsonContentType(contentType)) throw new ApiError('UNSUPPORTED_MEDIA_TYPE');
    if (rawBody === '') throw new ApiError('VALIDATION_FAILED', undefined, [{ path: 'body', message: 'Required.' }]);
    if (spec.verifyRawBody) await spec.verifyRawBody(rawBody, rawEvent);
    body = validate(spec.body, parseJsonText(rawBody, { knownPath: knownPathOf(spec.body) }), 'body');
  } else if (rawBody !== '') {
    throw new ApiError('VALIDATION_FAILED', undefined, [{ path: 'body', message: 'This route takes no body.' }]);
  }
  return fn({
    body, params, query, headers, correlationId, rawBody, event: rawEvent,
    requestId: event.requestContext.requestId,
    principal: principal as A extends true ? Principal : undefined,
  });
}
