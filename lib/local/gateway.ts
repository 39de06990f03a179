import { randomBytes, randomUUID } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import type { GatewayResponseConfig, LocalApi, LocalApiKey, LocalAuthorizer, LocalMethod, LocalResource, LocalStage, LocalUsagePlan } from './api-model';
import type { InvokeOutcome } from './functions';
import { evaluatePolicy, type PolicyDocument } from './policy';
import { BucketMap, quotaPeriodStart } from './throttle';
import { ModelValidator } from './validation';
import { headerValue, lookup, renderTemplate, substituteContext, type TemplateScope } from './vtl';

/** API Gateway's payload limit (10 MB): larger requests get REQUEST_TOO_LARGE. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/** Default status of each gateway response type (API Gateway's, when the template does not set one). */
const DEFAULT_STATUS: Readonly<Record<string, number>> = {
  ACCESS_DENIED: 403, API_CONFIGURATION_ERROR: 500, AUTHORIZER_CONFIGURATION_ERROR: 500, AUTHORIZER_FAILURE: 500,
  BAD_REQUEST_PARAMETERS: 400, BAD_REQUEST_BODY: 400, EXPIRED_TOKEN: 403, INTEGRATION_FAILURE: 504,
  INTEGRATION_TIMEOUT: 504, INVALID_API_KEY: 403, INVALID_SIGNATURE: 403, MISSING_AUTHENTICATION_TOKEN: 403,
  QUOTA_EXCEEDED: 429, REQUEST_TOO_LARGE: 413, RESOURCE_NOT_FOUND: 404, THROTTLED: 429, UNAUTHORIZED: 401,
  UNSUPPORTED_MEDIA_TYPE: 415, WAF_FILTERED: 403,
};

/** Invokes a function of the template by logical id (the runner's worker pool). */
export type FunctionInvoker = (functionLogicalId: string, event: unknown, options: { requestId: string; traceId: string }) => Promise<InvokeOutcome>;

/** Options of {@link LocalGateway}. */
export interface LocalGatewayOptions {
  readonly api: LocalApi;
  readonly stage: LocalStage;
  readonly region: string;
  readonly account: string;
  readonly invoke: FunctionInvoker;
  /** Receives one access-log line per request (the stage's own format). */
  readonly accessLog: (line: string) => void;
}

/** A cached authorizer decision (API Gateway caches the whole result, keyed by identity source values). */
interface AuthorizerResult {
  readonly principalId: string;
  readonly policy: PolicyDocument;
  readonly context: Record<string, string | number | boolean>;
  readonly usageIdentifierKey?: string;
}

/** Everything known about one request as it moves through the gateway ($context). */
interface RequestState {
  readonly requestId: string;
  readonly extendedRequestId: string;
  readonly traceId: string;
  readonly started: number;
  readonly startedAt: Date;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly multiValueHeaders: Record<string, string[]>;
  readonly query: Record<string, string>;
  readonly multiValueQuery: Record<string, string[]>;
  readonly sourceIp: string;
  readonly protocol: string;
  readonly domainName: string;
  body: string;
  resourceMethod?: LocalMethod;
  pathParameters: Record<string, string>;
  authorizer?: AuthorizerResult;
  authorizerStatus?: number;
  authorizerLatency?: number;
  authorizerError?: string;
  apiKey?: LocalApiKey;
  integrationStatus?: number;
  integrationLatency?: number;
  integrationError?: string;
  error?: { responseType: string; message: string; validationErrorString?: string };
}

/** A request the gateway answered itself (a gateway response). */
class GatewayError extends Error {
  constructor(readonly responseType: string, message: string, readonly statusOverride?: number, readonly validationErrorString?: string) {
    super(message);
  }
}

/** Counts of what the gateway did, for tests and the bench (e.g. authorizer invocations vs cache hits). */
export interface GatewayStats {
  requests: number;
  authorizerInvocations: number;
  authorizerCacheHits: number;
  integrationInvocations: number;
  /** The handler's own time (ms, measured in the worker) of the latest integration call. */
  lastHandlerMs?: number;
}

/**
 * A local API Gateway REST API stage, driven only by the template: resource tree and methods, MOCK
 * integrations (CORS preflight) with their integration responses and templates, required parameters,
 * draft-4 model validation, Lambda REQUEST/TOKEN authorizers with their identity sources, result cache
 * and IAM policy evaluation against the method ARN, API keys (HEADER or AUTHORIZER source) and usage
 * plans (throttles, per-method throttles, quotas), stage and method throttles, Lambda proxy integrations,
 * gateway responses for every error it generates, and one access-log line per request.
 */
export class LocalGateway {
  private readonly validator = new ModelValidator();
  private readonly stageBuckets = new BucketMap();
  private readonly planBuckets = new BucketMap();
  private readonly quotas = new Map<string, { periodStart: number; used: number }>();
  private readonly authorizerCache = new Map<string, { result: AuthorizerResult; expires: number }>();
  private readonly keysByValue: Map<string, LocalApiKey>;
  /** What the gateway did so far. */
  readonly stats: GatewayStats = { requests: 0, authorizerInvocations: 0, authorizerCacheHits: 0, integrationInvocations: 0 };

  constructor(private readonly options: LocalGatewayOptions) {
    this.keysByValue = new Map(options.api.apiKeys.map((k) => [k.value, k]));
  }

  /** Forgets cached authorizer decisions (e.g. after a key rotation). */
  flushAuthorizerCache(): void {
    this.authorizerCache.clear();
  }

  /** Handles one HTTP request whose path starts with `/<stage>`. */
  async handle(req: IncomingMessage, res: ServerResponse, stagePath: string, rawQuery: string): Promise<void> {
    this.stats.requests++;
    const state = this.newState(req, stagePath, rawQuery);
    let status: number;
    let headers: Record<string, string | string[]>;
    let body: Buffer;
    try {
      state.body = await readBody(req);
      ({ status, headers, body } = await this.process(state));
    } catch (err) {
      const e = err instanceof GatewayError ? err : new GatewayError('API_CONFIGURATION_ERROR', 'Internal server error');
      if (!(err instanceof GatewayError)) state.integrationError = err instanceof Error ? err.message : String(err);
      ({ status, headers, body } = this.gatewayResponse(state, e));
    }
    const trace = { 'x-amzn-RequestId': state.requestId, 'x-amz-apigw-id': state.extendedRequestId, 'X-Amzn-Trace-Id': state.traceId };
    res.writeHead(status, { ...trace, ...headers, 'Content-Length': String(body.length) });
    res.end(body);
    this.writeAccessLog(state, status, body.length);
  }

  private newState(req: IncomingMessage, path: string, rawQuery: string): RequestState {
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i] ?? '';
      const value = req.rawHeaders[i + 1] ?? '';
      headers[name] = value;
      (multiValueHeaders[name] ??= []).push(value);
    }
    const query: Record<string, string> = {};
    const multiValueQuery: Record<string, string[]> = {};
    for (const [k, v] of new URLSearchParams(rawQuery)) {
      query[k] = v;
      (multiValueQuery[k] ??= []).push(v);
    }
    const epoch = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0');
    const traceId = `Root=1-${epoch}-${randomBytes(12).toString('hex')}`;
    // API Gateway adds these before the integration sees the request.
    headers['X-Amzn-Trace-Id'] = traceId;
    multiValueHeaders['X-Amzn-Trace-Id'] = [traceId];
    const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    if (headerValue(headers, 'X-Forwarded-For') === undefined) {
      headers['X-Forwarded-For'] = sourceIp;
      multiValueHeaders['X-Forwarded-For'] = [sourceIp];
    }
    return {
      requestId: randomUUID(),
      extendedRequestId: randomBytes(8).toString('base64url').slice(0, 11) + '=',
      traceId,
      started: performance.now(),
      startedAt: new Date(),
      method: (req.method ?? 'GET').toUpperCase(),
      path,
      headers,
      multiValueHeaders,
      query,
      multiValueQuery,
      sourceIp,
      protocol: `HTTP/${req.httpVersion}`,
      domainName: headerValue(headers, 'Host') ?? `${this.options.api.id}.execute-api.${this.options.region}.amazonaws.com`,
      body: '',
      pathParameters: {},
    };
  }

  private async process(state: RequestState): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    if (Buffer.byteLength(state.body) > MAX_PAYLOAD_BYTES) throw new GatewayError('REQUEST_TOO_LARGE', 'Request Too Long');
    const method = this.match(state);
    state.resourceMethod = method;
    this.throttleStage(method);
    if (method.authorizationType === 'CUSTOM') await this.authorize(state, method);
    else if (method.authorizationType !== 'NONE') {
      throw new GatewayError('API_CONFIGURATION_ERROR', `authorization type ${method.authorizationType} is not emulated locally`);
    }
    if (method.apiKeyRequired) this.meter(state, method);
    if (method.validateParameters) this.validateParameters(state, method);
    if (method.validateBody) this.validateBody(state, method);
    if (method.integration.type === 'MOCK') return this.mock(state, method);
    if (method.integration.type === 'AWS_PROXY' && method.integration.functionLogicalId) return this.lambdaProxy(state, method, method.integration.functionLogicalId);
    throw new GatewayError('API_CONFIGURATION_ERROR', `integration type ${method.integration.type} is not emulated locally`);
  }

  /** Finds the method: literal path parts before `{param}`, `{proxy+}` greedy, `ANY` after the exact verb. */
  private match(state: RequestState): LocalMethod {
    const segments = state.path.split('/').filter((s) => s.length > 0).map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
    const find = (node: LocalResource, i: number, params: Record<string, string>): { node: LocalResource; params: Record<string, string> } | undefined => {
      if (i === segments.length) return { node, params };
      const seg = segments[i] ?? '';
      const literal = node.children.find((c) => c.pathPart === seg);
      const found = literal ? find(literal, i + 1, params) : undefined;
      if (found) return found;
      for (const child of node.children) {
        const m = /^\{(.+?)(\+?)\}$/.exec(child.pathPart);
        if (!m) continue;
        if (m[2] === '+') return { node: child, params: { ...params, [m[1] ?? '']: segments.slice(i).join('/') } };
        const deeper = find(child, i + 1, { ...params, [m[1] ?? '']: seg });
        if (deeper) return deeper;
      }
      return undefined;
    };
    const found = find(this.options.api.root, 0, {});
    const method = found?.node.methods.get(state.method) ?? found?.node.methods.get('ANY');
    // A REST API answers an unknown path or verb with MISSING_AUTHENTICATION_TOKEN (403), not 404.
    if (!found || !method) throw new GatewayError('MISSING_AUTHENTICATION_TOKEN', 'Missing Authentication Token');
    state.pathParameters = found.params;
    return method;
  }

  private throttleStage(method: LocalMethod): void {
    const escaped = method.resourcePath.replace(/~/g, '~0').replace(/\//g, '~1');
    const settings = this.options.stage.methodSettings;
    const specific = settings.find((s) => s.resourcePath === `/${escaped}` && (s.httpMethod === method.httpMethod || s.httpMethod === '*'));
    const stageDefault = settings.find((s) => s.resourcePath === '/*' && s.httpMethod === '*');
    const rate = specific?.rateLimit ?? stageDefault?.rateLimit;
    const burst = specific?.burstLimit ?? stageDefault?.burstLimit;
    // The stage default applies to each method on its own (its own bucket), as API Gateway's does.
    if (!this.stageBuckets.take(`${method.httpMethod} ${method.resourcePath}`, rate, burst)) throw new GatewayError('THROTTLED', 'Too Many Requests');
  }

  private methodArn(state: RequestState, method: LocalMethod): string {
    const { region, account, api, stage } = this.options;
    return `arn:aws:execute-api:${region}:${account}:${api.id}/${stage.name}/${method.httpMethod}${state.path === '' ? '/' : state.path}`;
  }

  private identityValues(state: RequestState, authorizer: LocalAuthorizer): string[] | undefined {
    const values: string[] = [];
    for (const source of authorizer.identitySource) {
      const value = this.parameterValue(state, source.replace(/^method\.request\./, ''));
      if (value === undefined || value === '') return undefined;
      values.push(value);
    }
    return values;
  }

  /** A `header.X`, `querystring.X`, `path.X`, `stageVariables.X` or `context.X` value of the request. */
  private parameterValue(state: RequestState, ref: string): string | undefined {
    const dot = ref.indexOf('.');
    const kind = ref.slice(0, dot);
    const name = ref.slice(dot + 1);
    switch (kind) {
      case 'header': return headerValue(state.headers, name);
      case 'multivalueheader': return headerValue(Object.fromEntries(Object.entries(state.multiValueHeaders).map(([k, v]) => [k, v.join(',')])), name);
      case 'querystring': return state.query[name];
      case 'multivaluequerystring': return state.multiValueQuery[name]?.join(',');
      case 'path': return state.pathParameters[name];
      case 'stageVariables': return this.options.stage.variables[name];
      case 'context': {
        const v = lookup(this.contextOf(state, 0, 0), name);
        return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
      }
      default: return undefined;
    }
  }

  private async authorize(state: RequestState, method: LocalMethod): Promise<void> {
    const authorizer = method.authorizer;
    if (!authorizer?.functionLogicalId || authorizer.type === 'COGNITO_USER_POOLS') {
      throw new GatewayError('AUTHORIZER_CONFIGURATION_ERROR', `authorizer ${authorizer?.name ?? '?'} is not a Lambda authorizer the local gateway can run`);
    }
    const values = this.identityValues(state, authorizer);
    // A missing identity source is a 401 without invoking the authorizer (and nothing is cached).
    if (values === undefined && (authorizer.identitySource.length > 0 || authorizer.type === 'TOKEN')) {
      state.authorizerStatus = 401;
      throw new GatewayError('UNAUTHORIZED', 'Unauthorized');
    }
    if (authorizer.type === 'TOKEN' && authorizer.identityValidationExpression !== undefined) {
      // eslint-disable-next-line security/detect-non-literal-regexp -- the pattern is the template's own IdentityValidationExpression
      if (!new RegExp(`^(?:${authorizer.identityValidationExpression})$`).test(values?.[0] ?? '')) {
        state.authorizerStatus = 401;
        throw new GatewayError('UNAUTHORIZED', 'Unauthorized');
      }
    }
    const cacheKey = `${authorizer.id}\u0000${(values ?? []).join('\u0000')}`;
    const cached = authorizer.ttlSeconds > 0 ? this.authorizerCache.get(cacheKey) : undefined;
    let result: AuthorizerResult;
    if (cached && cached.expires > Date.now()) {
      this.stats.authorizerCacheHits++;
      result = cached.result;
      state.authorizerLatency = 0;
      state.authorizerStatus = 200;
    } else {
      this.stats.authorizerInvocations++;
      result = await this.invokeAuthorizer(state, method, authorizer, values?.[0] ?? '');
      if (authorizer.ttlSeconds > 0) this.authorizerCache.set(cacheKey, { result, expires: Date.now() + authorizer.ttlSeconds * 1000 });
    }
    state.authorizer = result;
    const decision = evaluatePolicy(result.policy, this.methodArn(state, method));
    if (decision !== 'Allow') {
      state.authorizerStatus = 403;
      throw new GatewayError('ACCESS_DENIED', decision === 'Deny'
        ? 'User is not authorized to access this resource with an explicit deny'
        : 'User is not authorized to access this resource');
    }
  }

  private async invokeAuthorizer(state: RequestState, method: LocalMethod, authorizer: LocalAuthorizer, token: string): Promise<AuthorizerResult> {
    const methodArn = this.methodArn(state, method);
    const event = authorizer.type === 'TOKEN'
      ? { type: 'TOKEN', authorizationToken: token, methodArn }
      : {
        type: 'REQUEST', methodArn, resource: method.resourcePath, path: state.path || '/', httpMethod: state.method,
        headers: state.headers, multiValueHeaders: state.multiValueHeaders,
        queryStringParameters: nullIfEmpty(state.query), multiValueQueryStringParameters: nullIfEmpty(state.multiValueQuery),
        pathParameters: nullIfEmpty(state.pathParameters), stageVariables: nullIfEmpty(this.options.stage.variables),
        requestContext: this.requestContext(state, method),
      };
    const started = performance.now();
    const outcome = await this.options.invoke(authorizer.functionLogicalId ?? '', event, { requestId: randomUUID(), traceId: state.traceId });
    state.authorizerLatency = Math.round(performance.now() - started);
    if (outcome.kind === 'error' && outcome.error.errorMessage === 'Unauthorized') {
      state.authorizerStatus = 401;
      throw new GatewayError('UNAUTHORIZED', 'Unauthorized');
    }
    if (outcome.kind !== 'result') {
      state.authorizerStatus = 500;
      state.authorizerError = outcome.kind === 'error' ? `${outcome.error.errorType}: ${outcome.error.errorMessage}` : outcome.kind;
      throw new GatewayError('AUTHORIZER_FAILURE', 'null');
    }
    const out = outcome.payload as { principalId?: unknown; policyDocument?: unknown; context?: unknown; usageIdentifierKey?: unknown } | null;
    const context = (out?.context ?? {}) as Record<string, unknown>;
    const primitive = Object.values(context).every((v) => ['string', 'number', 'boolean'].includes(typeof v));
    const policy = out?.policyDocument as PolicyDocument | undefined;
    if (!out || typeof out.principalId !== 'string' || !policy || (policy.Statement as unknown) === undefined || !primitive) {
      // API Gateway refuses a result without principal or policy, or with a non-primitive context value.
      state.authorizerStatus = 500;
      state.authorizerError = 'invalid authorizer response';
      throw new GatewayError('AUTHORIZER_CONFIGURATION_ERROR', 'null');
    }
    state.authorizerStatus = 200;
    return {
      principalId: out.principalId,
      policy,
      context: context as Record<string, string | number | boolean>,
      ...(typeof out.usageIdentifierKey === 'string' ? { usageIdentifierKey: out.usageIdentifierKey } : {}),
    };
  }

  /** API key, usage-plan throttles and quota (only for methods that require a key, as in API Gateway). */
  private meter(state: RequestState, method: LocalMethod): void {
    const { api, stage } = this.options;
    const value = api.apiKeySource === 'AUTHORIZER' ? state.authorizer?.usageIdentifierKey : headerValue(state.headers, 'x-api-key');
    const key = value === undefined ? undefined : this.keysByValue.get(value);
    const plan: LocalUsagePlan | undefined = key?.enabled
      ? api.usagePlans.find((p) => key.planIds.includes(p.id) && p.stages.some((s) => s.stage === stage.name))
      : undefined;
    if (!key || !plan) throw new GatewayError('INVALID_API_KEY', 'Forbidden');
    state.apiKey = key;
    const methodKey = `${method.resourcePath}/${method.httpMethod}`;
    const methodThrottle = plan.stages.find((s) => s.stage === stage.name)?.methodThrottles[methodKey];
    if (methodThrottle && !this.planBuckets.take(`${key.id}|${plan.id}|${methodKey}`, methodThrottle.rateLimit, methodThrottle.burstLimit)) {
      throw new GatewayError('THROTTLED', 'Too Many Requests');
    }
    if (plan.throttle && !this.planBuckets.take(`${key.id}|${plan.id}`, plan.throttle.rateLimit, plan.throttle.burstLimit)) {
      throw new GatewayError('THROTTLED', 'Too Many Requests');
    }
    if (plan.quota) {
      const periodStart = quotaPeriodStart(plan.quota.period, plan.quota.offset, state.startedAt);
      const counter = this.quotas.get(`${key.id}|${plan.id}`);
      const current = counter && counter.periodStart === periodStart ? counter : { periodStart, used: 0 };
      if (current.used >= plan.quota.limit) throw new GatewayError('QUOTA_EXCEEDED', 'Limit Exceeded');
      current.used++;
      this.quotas.set(`${key.id}|${plan.id}`, current);
    }
  }

  private validateParameters(state: RequestState, method: LocalMethod): void {
    const missing = method.parameters.filter((p) => p.required).filter((p) => {
      const v = this.parameterValue(state, `${p.location}.${p.name}`);
      return v === undefined || v === '';
    }).map((p) => p.name);
    if (missing.length > 0) throw new GatewayError('BAD_REQUEST_PARAMETERS', `Missing required request parameters: [${missing.join(', ')}]`);
  }

  private validateBody(state: RequestState, method: LocalMethod): void {
    // No Content-Type means application/json to API Gateway; a type with no model (and no $default) is not validated.
    const contentType = (headerValue(state.headers, 'Content-Type') ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? '';
    const schema = method.requestModels[contentType] ?? method.requestModels.$default;
    if (!schema) return;
    let data: unknown;
    try {
      data = JSON.parse(state.body);
    } catch {
      throw new GatewayError('BAD_REQUEST_BODY', 'Invalid request body', undefined, '[Invalid JSON in the request body]');
    }
    const outcome = this.validator.validate(schema, data);
    if (!outcome.valid) throw new GatewayError('BAD_REQUEST_BODY', 'Invalid request body', undefined, outcome.message);
  }

  private scope(state: RequestState, context: Record<string, unknown>): TemplateScope {
    return { context, headers: state.headers, query: state.query, path: state.pathParameters, body: state.body, stageVariables: this.options.stage.variables };
  }

  /** A MOCK integration: request template picks the status, the integration response maps headers and body. */
  private mock(state: RequestState, method: LocalMethod): { status: number; headers: Record<string, string>; body: Buffer } {
    const { integration } = method;
    const context = this.contextOf(state, 0, 0);
    const requestTemplate = integration.requestTemplates['application/json'] ?? Object.values(integration.requestTemplates)[0] ?? '{"statusCode": 200}';
    const rendered = renderTemplate(requestTemplate, this.scope(state, context)).output;
    const statusCode = /["']?statusCode["']?\s*:\s*(\d{3})/.exec(rendered)?.[1] ?? '200';
    const response = integration.integrationResponses.find((r) => r.selectionPattern !== undefined && r.selectionPattern !== ''
      // eslint-disable-next-line security/detect-non-literal-regexp -- the template's own SelectionPattern
      && new RegExp(`^(?:${r.selectionPattern})$`).test(statusCode))
      ?? integration.integrationResponses.find((r) => r.selectionPattern === undefined || r.selectionPattern === '');
    if (!response) throw new GatewayError('API_CONFIGURATION_ERROR', 'Internal server error');
    const headers: Record<string, string> = {};
    for (const [target, source] of Object.entries(response.responseParameters)) {
      const name = /^method\.response\.header\.(.+)$/.exec(target)?.[1];
      const value = this.mappedValue(state, source);
      if (name && value !== undefined) headers[name] = value;
    }
    const template = response.responseTemplates['application/json'] ?? Object.values(response.responseTemplates)[0];
    let body = '';
    let status = Number(response.statusCode);
    if (template !== undefined) {
      const out = renderTemplate(template, this.scope(state, context));
      body = out.output.trim() === '' ? '' : out.output;
      Object.assign(headers, out.override.headers);
      if (out.override.status !== undefined) status = out.override.status;
    }
    state.integrationStatus = Number(statusCode);
    if (body !== '' && headerValue(headers, 'Content-Type') === undefined) headers['Content-Type'] = 'application/json';
    return { status, headers, body: Buffer.from(body, 'utf8') };
  }

  /** A mapping source: `'literal'`, `method.request.header.X` (querystring, path), `stageVariables.X`, `context.X`. */
  private mappedValue(state: RequestState, source: string): string | undefined {
    const literal = /^'(.*)'$/s.exec(source);
    if (literal) return literal[1];
    if (source.startsWith('method.request.')) return this.parameterValue(state, source.slice('method.request.'.length));
    if (source.startsWith('stageVariables.') || source.startsWith('context.')) return this.parameterValue(state, source);
    return undefined;
  }

  private requestContext(state: RequestState, method: LocalMethod): Record<string, unknown> {
    const { api, stage, account } = this.options;
    return {
      resourceId: method.resourceId,
      resourcePath: method.resourcePath,
      httpMethod: state.method,
      extendedRequestId: state.extendedRequestId,
      requestTime: clfTime(state.startedAt),
      path: `/${stage.name}${state.path}`,
      accountId: account,
      protocol: state.protocol,
      stage: stage.name,
      domainPrefix: state.domainName.split('.')[0],
      requestTimeEpoch: state.startedAt.getTime(),
      requestId: state.requestId,
      identity: {
        cognitoIdentityPoolId: null, accountId: null, cognitoIdentityId: null, caller: null, principalOrgId: null,
        accessKey: null, cognitoAuthenticationType: null, cognitoAuthenticationProvider: null, userArn: null, user: null,
        sourceIp: state.sourceIp,
        userAgent: headerValue(state.headers, 'User-Agent') ?? null,
        ...(state.apiKey ? { apiKey: state.apiKey.value, apiKeyId: state.apiKey.id } : {}),
      },
      domainName: state.domainName,
      apiId: api.id,
    };
  }

  private async lambdaProxy(state: RequestState, method: LocalMethod, functionLogicalId: string): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    const requestContext = this.requestContext(state, method);
    if (state.authorizer) {
      requestContext.authorizer = { ...state.authorizer.context, principalId: state.authorizer.principalId, integrationLatency: state.authorizerLatency ?? 0 };
    }
    const event = {
      resource: method.resourcePath,
      path: state.path || '/',
      httpMethod: state.method,
      headers: nullIfEmpty(state.headers),
      multiValueHeaders: nullIfEmpty(state.multiValueHeaders),
      queryStringParameters: nullIfEmpty(state.query),
      multiValueQueryStringParameters: nullIfEmpty(state.multiValueQuery),
      pathParameters: nullIfEmpty(state.pathParameters),
      stageVariables: nullIfEmpty(this.options.stage.variables),
      requestContext,
      body: state.body === '' ? null : state.body,
      isBase64Encoded: false,
    };
    this.stats.integrationInvocations++;
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    // The integration timeout races the function: API Gateway stops waiting, the function runs on.
    const timeout = new Promise<'integration-timeout'>((resolve) => { timer = setTimeout(() => { resolve('integration-timeout'); }, method.integration.timeoutMs); });
    const outcome = await Promise.race([this.options.invoke(functionLogicalId, event, { requestId: randomUUID(), traceId: state.traceId }), timeout]);
    clearTimeout(timer);
    state.integrationLatency = Math.round(performance.now() - started);
    if (outcome === 'integration-timeout') {
      state.integrationError = 'Execution failed due to a timeout error';
      throw new GatewayError('INTEGRATION_TIMEOUT', 'Endpoint request timed out');
    }
    // A function error, a crash, a Lambda timeout or a malformed result is a 502 (INTEGRATION_FAILURE).
    const failure = (detail: string): GatewayError => {
      state.integrationStatus = 200;
      state.integrationError = detail;
      return new GatewayError('INTEGRATION_FAILURE', 'Internal server error', this.options.api.gatewayResponses.get('INTEGRATION_FAILURE')?.statusCode ?? 502);
    };
    if (outcome.kind === 'error') throw failure(`${outcome.error.errorType}: ${outcome.error.errorMessage}`);
    if (outcome.kind === 'crash') throw failure(`Lambda execution failed: ${outcome.detail}`);
    if (outcome.kind === 'timeout') throw failure('Lambda function timed out');
    const result = outcome.payload as { statusCode?: unknown; headers?: unknown; multiValueHeaders?: unknown; body?: unknown; isBase64Encoded?: unknown } | null;
    const statusCode = typeof result?.statusCode === 'string' ? Number(result.statusCode) : result?.statusCode;
    if (!result || typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599
      || (result.body !== undefined && result.body !== null && typeof result.body !== 'string')) {
      throw failure('Malformed Lambda proxy response');
    }
    state.integrationStatus = 200;
    if (outcome.handlerMs !== undefined) this.stats.lastHandlerMs = outcome.handlerMs;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries((result.multiValueHeaders ?? {}) as Record<string, unknown>)) {
      if (Array.isArray(v)) headers[k] = v.map(String);
    }
    for (const [k, v] of Object.entries((result.headers ?? {}) as Record<string, unknown>)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') headers[k] = String(v);
    }
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
    const text = typeof result.body === 'string' ? result.body : '';
    const body = result.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
    return { status: statusCode, headers, body };
  }

  /** The gateway response for an error the gateway generated: the template's customization, else API Gateway's default. */
  private gatewayResponse(state: RequestState, error: GatewayError): { status: number; headers: Record<string, string>; body: Buffer } {
    const { gatewayResponses } = this.options.api;
    const status = error.statusOverride ?? gatewayResponses.get(error.responseType)?.statusCode ?? DEFAULT_STATUS[error.responseType] ?? 500;
    const fallback = gatewayResponses.get(status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX');
    const specific: GatewayResponseConfig | undefined = gatewayResponses.get(error.responseType);
    state.error = { responseType: error.responseType, message: error.message, ...(error.validationErrorString ? { validationErrorString: error.validationErrorString } : {}) };
    const context = this.contextOf(state, status, 0);
    const headers: Record<string, string> = {};
    for (const [target, source] of Object.entries({ ...(fallback?.headers ?? {}), ...(specific?.headers ?? {}) })) {
      const name = /^gatewayresponse\.header\.(.+)$/.exec(target)?.[1];
      const value = this.mappedValue(state, source);
      if (name && value !== undefined) headers[name] = value;
    }
    const templates = specific && Object.keys(specific.templates).length > 0 ? specific.templates : (fallback?.templates ?? {});
    const template = templates['application/json'] ?? Object.values(templates)[0] ?? '{"message":$context.error.messageString}';
    const out = renderTemplate(template, this.scope(state, context));
    if (headerValue(headers, 'Content-Type') === undefined) headers['Content-Type'] = 'application/json';
    Object.assign(headers, out.override.headers);
    if (error.responseType === 'UNAUTHORIZED' || error.responseType === 'ACCESS_DENIED' || error.responseType === 'MISSING_AUTHENTICATION_TOKEN') {
      headers['x-amzn-ErrorType'] = error.responseType === 'UNAUTHORIZED' ? 'UnauthorizedException' : error.responseType === 'ACCESS_DENIED' ? 'AccessDeniedException' : 'MissingAuthenticationTokenException';
    }
    return { status: out.override.status ?? status, headers, body: Buffer.from(out.output, 'utf8') };
  }

  /** `$context` as API Gateway fills it (template variables and the access log). */
  private contextOf(state: RequestState, status: number, responseLength: number): Record<string, unknown> {
    const { api, stage, account } = this.options;
    const method = state.resourceMethod;
    const latency = Math.round(performance.now() - state.started);
    return {
      accountId: account,
      apiId: api.id,
      requestId: state.requestId,
      extendedRequestId: state.extendedRequestId,
      awsEndpointRequestId: state.requestId,
      requestTime: clfTime(state.startedAt),
      requestTimeEpoch: state.startedAt.getTime(),
      httpMethod: state.method,
      resourcePath: method?.resourcePath ?? state.path,
      resourceId: method?.resourceId ?? '',
      path: `/${stage.name}${state.path}`,
      protocol: state.protocol,
      domainName: state.domainName,
      domainPrefix: state.domainName.split('.')[0],
      stage: stage.name,
      status,
      responseLength,
      responseLatency: latency,
      integrationLatency: state.integrationLatency,
      identity: {
        sourceIp: state.sourceIp,
        userAgent: headerValue(state.headers, 'User-Agent'),
        apiKey: state.apiKey?.value,
        apiKeyId: state.apiKey?.id,
      },
      authorizer: {
        ...(state.authorizer?.context ?? {}),
        principalId: state.authorizer?.principalId,
        status: state.authorizerStatus,
        latency: state.authorizerLatency,
        error: state.authorizerError,
        integrationLatency: state.authorizerLatency,
      },
      integration: {
        status: state.integrationStatus,
        integrationStatus: state.integrationStatus,
        latency: state.integrationLatency,
        error: state.integrationError,
      },
      error: {
        message: state.error?.message ?? '',
        messageString: JSON.stringify(state.error?.message ?? ''),
        responseType: state.error?.responseType ?? '',
        validationErrorString: state.error?.validationErrorString ?? '',
      },
    };
  }

  private writeAccessLog(state: RequestState, status: number, responseLength: number): void {
    const format = this.options.stage.accessLogFormat;
    if (!format) return;
    const context = this.contextOf(state, status, responseLength);
    this.options.accessLog(substituteContext(format, escapeStrings(context)));
  }
}

/** JSON-escapes every string in the context so a quote in a header cannot break a JSON log line. */
function escapeStrings(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') out[k] = JSON.stringify(v).slice(1, -1);
    else if (v !== null && typeof v === 'object') out[k] = escapeStrings(v as Record<string, unknown>);
    else out[k] = v;
  }
  return out;
}

function nullIfEmpty<T extends object>(o: T): T | null {
  return Object.keys(o).length === 0 ? null : o;
}

/** `$context.requestTime` format: `01/Dec/2026:08:00:00 +0000`. */
function clfTime(d: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()] ?? ''}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Past the limit the rest is drained, not stored: the gateway answers 413 from the size alone.
      if (size <= MAX_PAYLOAD_BYTES + 1) chunks.push(c);
    });
    req.on('end', () => { resolve(Buffer.concat(chunks).toString('utf8')); });
    req.on('error', reject);
  });
}
