import * as fs from 'fs';
import * as path from 'path';
import { toJSONSchema, type $ZodType } from 'zod/v4/core';
import { operationName } from './constructs/secure-rest-api';
import {
  isPublicRoute, pathParameters, protectionOf, routeKey, RouteDefinition, RouteTable, sensitivityOf,
} from './routes';

/** A documented success response of a route. */
export interface OpenApiResponse {
  /** HTTP status, e.g. 201. */
  readonly status: number;
  readonly description: string;
  /** Body schema. @default - no body */
  readonly schema?: $ZodType;
  /** Name of the schema under `components.schemas`. @default - inlined */
  readonly schemaName?: string;
  /** Response headers, name -> description. @default - none */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Options of {@link openApiDocument}. */
export interface OpenApiOptions {
  readonly title: string;
  readonly version: string;
  /** @default - none */
  readonly description?: string;
  /** Base URL of the OAuth 2.0 authorization server (Cognito domain), e.g. `https://auth.example.com`. */
  readonly authBaseUrl: string;
  /** Server URL. @default - none (relative) */
  readonly serverUrl?: string;
  /** Success responses by route key (`POST /payments`). @default - a generic 200 */
  readonly responses?: Readonly<Record<string, OpenApiResponse>>;
  /** Description of each scope. @default - the scope name */
  readonly scopeDescriptions?: Readonly<Record<string, string>>;
  /**
   * Security scheme of public routes that authenticate in the handler (e.g. a webhook signature header).
   * @default - public routes have no security requirement
   */
  readonly signedRoutes?: Readonly<Record<string, { readonly header: string; readonly description: string }>>;
  /**
   * Where API Gateway takes the usage-plan key of keyed routes from (`SecureRestApi`'s `apiKeySource`). With
   * `AUTHORIZER` the authorizer supplies it from the caller's identity and clients send no key, so the document
   * declares no key scheme (only an `x-usage-metering` note); `HEADER` declares the `x-api-key` header.
   * @default 'AUTHORIZER'
   */
  readonly apiKeySource?: 'AUTHORIZER' | 'HEADER';
}

/** The error envelope every failure carries (handlers and gateway responses). */
const ERROR_ENVELOPE = {
  type: 'object',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'requestId'],
      additionalProperties: false,
      properties: {
        code: {
          type: 'string',
          enum: ['VALIDATION_FAILED', 'INVALID_CURSOR', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'METHOD_NOT_ALLOWED', 'CONFLICT',
            'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'UNPROCESSABLE', 'TOO_MANY_REQUESTS', 'QUOTA_EXCEEDED', 'BAD_REQUEST',
            'INTERNAL_ERROR', 'BAD_GATEWAY', 'GATEWAY_TIMEOUT'],
        },
        message: { type: 'string', maxLength: 200 },
        requestId: { type: 'string', maxLength: 128 },
        details: {
          type: 'array',
          maxItems: 20,
          items: {
            type: 'object',
            required: ['path', 'message'],
            additionalProperties: false,
            properties: { path: { type: 'string', maxLength: 200 }, message: { type: 'string', maxLength: 200 } },
          },
        },
      },
    },
  },
} as const;

const ERROR_DESCRIPTIONS: Readonly<Record<string, string>> = {
  400: 'Invalid request: schema, JSON, parameter or cursor (VALIDATION_FAILED, INVALID_CURSOR)',
  401: 'Missing, invalid or expired credentials (UNAUTHORIZED)',
  403: 'Authenticated but not allowed: scope, group or WAF (FORBIDDEN)',
  404: 'No such resource, or not yours (NOT_FOUND)',
  405: 'Method not allowed (METHOD_NOT_ALLOWED)',
  409: 'Conflict with the current state, e.g. Idempotency-Key reused with another body (CONFLICT)',
  413: 'Body larger than the limit (PAYLOAD_TOO_LARGE)',
  415: 'Body is not application/json (UNSUPPORTED_MEDIA_TYPE)',
  422: 'Well-formed but violates a business rule (UNPROCESSABLE)',
  429: 'Throttled or quota exhausted (TOO_MANY_REQUESTS, QUOTA_EXCEEDED)',
  500: 'Internal error: only the request id is returned (INTERNAL_ERROR)',
};

/** Schema of a Zod type in an OpenAPI 3.0 document (the draft-4 dialect OpenAPI 3.0 uses). */
export function openApiSchema(schema: $ZodType): Record<string, unknown> {
  return toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'throw' });
}

function errorCodesOf(route: RouteDefinition): number[] {
  const codes = new Set<number>([400, 405, 429, 500]);
  if (!isPublicRoute(route) || route.apiKeyRequired === true) { codes.add(401); codes.add(403); }
  if (route.body) { codes.add(413); codes.add(415); }
  if (route.path.includes('{')) codes.add(404);
  if (route.requiredHeaders?.some((h) => h.toLowerCase() === 'idempotency-key')) { codes.add(409); codes.add(422); }
  return [...codes].sort((a, b) => a - b);
}

/**
 * The OpenAPI 3.0 document of a route table. Pure and deterministic (same routes -> byte-identical
 * JSON): schemas come from the routes' Zod schemas with Zod's own converter, security from each
 * route's auth (OAuth 2.0 authorization code with PKCE for people, client credentials for machines).
 */
export function openApiDocument(routes: RouteTable, options: OpenApiOptions): Record<string, unknown> {
  const schemas: Record<string, unknown> = { ErrorEnvelope: ERROR_ENVELOPE };
  const paths: Record<string, Record<string, unknown>> = {};
  const scopes = [...new Set(routes.flatMap((r) => protectionOf(r)?.scopes ?? []))].sort();
  const scopeMap = Object.fromEntries(scopes.map((s) => [s, options.scopeDescriptions?.[s] ?? s]));
  const securitySchemes: Record<string, unknown> = {
    oauth2: {
      type: 'oauth2',
      description: 'Cognito access tokens. People use the authorization code flow with PKCE (S256); services use client credentials.',
      flows: {
        authorizationCode: {
          authorizationUrl: `${options.authBaseUrl}/oauth2/authorize`,
          tokenUrl: `${options.authBaseUrl}/oauth2/token`,
          scopes: scopeMap,
        },
        clientCredentials: { tokenUrl: `${options.authBaseUrl}/oauth2/token`, scopes: scopeMap },
      },
    },
  };
  const headerKeys = (options.apiKeySource ?? 'AUTHORIZER') === 'HEADER';
  if (headerKeys && routes.some((r) => r.apiKeyRequired === true)) {
    securitySchemes.apiKey = {
      type: 'apiKey', in: 'header', name: 'x-api-key',
      description: 'Usage-plan key of the calling application: metering and throttling only, never authorization (the OAuth token is still required).',
    };
  }
  for (const [key, signed] of Object.entries(options.signedRoutes ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    securitySchemes[`signature${operationNameOfKey(key)}`] = { type: 'apiKey', in: 'header', name: signed.header, description: signed.description };
  }

  for (const route of [...routes].sort((a, b) => routeKey(a).localeCompare(routeKey(b)))) {
    const op = operationName(route);
    const key = routeKey(route);
    const parameters: Record<string, unknown>[] = [];
    const pathSchema = route.params ? openApiSchema(route.params) : undefined;
    for (const name of pathParameters(route.path)) {
      const props = (pathSchema?.properties ?? {}) as Record<string, unknown>;
      parameters.push({ name, in: 'path', required: true, schema: props[name] ?? { type: 'string' } });
    }
    if (route.query) {
      const q = openApiSchema(route.query);
      const required = new Set((q.required ?? []) as string[]);
      for (const [name, schema] of Object.entries((q.properties ?? {}) as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) {
        parameters.push({ name, in: 'query', required: required.has(name), schema });
      }
    }
    for (const name of route.requiredHeaders ?? []) {
      parameters.push({ name, in: 'header', required: true, schema: { type: 'string' } });
    }
    const protection = protectionOf(route);
    const signed = options.signedRoutes?.[key];
    const success = options.responses?.[key] ?? { status: 200, description: 'OK' };
    let successContent: Record<string, unknown> | undefined;
    if (success.schema) {
      const s = openApiSchema(success.schema);
      if (success.schemaName) schemas[success.schemaName] = s;
      successContent = { 'application/json': { schema: success.schemaName ? { $ref: `#/components/schemas/${success.schemaName}` } : s } };
    }
    const responses: Record<string, unknown> = {
      [String(success.status)]: {
        description: success.description,
        ...(success.headers ? { headers: Object.fromEntries(Object.entries(success.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }])) } : {}),
        ...(successContent ? { content: successContent } : {}),
      },
    };
    for (const code of errorCodesOf(route)) {
      responses[String(code)] = { $ref: `#/components/responses/Error${code}` };
    }
    let requestBody: Record<string, unknown> | undefined;
    if (route.body) {
      const name = `${op.charAt(0).toUpperCase()}${op.slice(1)}Body`;
      schemas[name] = openApiSchema(route.body);
      requestBody = { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } } };
    }
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method.toLowerCase()] = {
      operationId: op,
      ...(route.summary ? { summary: route.summary } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses,
      // Requirements in one object are ANDed: a keyed route needs the token and the key.
      security: protection
        ? [{ oauth2: [...protection.scopes], ...(headerKeys && route.apiKeyRequired === true ? { apiKey: [] } : {}) }]
        : signed ? [{ [`signature${operationNameOfKey(key)}`]: [] }] : [],
      'x-sensitivity': sensitivityOf(route),
      ...(!headerKeys && route.apiKeyRequired === true
        ? { 'x-usage-metering': 'Metered per caller by its usage plan; the key comes from the caller\'s identity (API key source AUTHORIZER): send no x-api-key.' }
        : {}),
      ...(protection?.groups ? { 'x-required-groups': [...protection.groups] } : {}),
      ...(isPublicRoute(route) ? { 'x-public-reason': route.auth.reason } : {}),
    };
  }
  const errorResponses = Object.fromEntries(Object.entries(ERROR_DESCRIPTIONS).map(([code, description]) => [
    `Error${code}`,
    { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } } },
  ]));
  return {
    openapi: '3.0.3',
    info: { title: options.title, version: options.version, ...(options.description ? { description: options.description } : {}) },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))),
      responses: errorResponses,
      securitySchemes,
    },
  };
}

function operationNameOfKey(key: string): string {
  const [method, p] = key.split(' ');
  const op = operationName({ method: method as RouteDefinition['method'], path: p ?? '/' });
  return op.charAt(0).toUpperCase() + op.slice(1);
}

/** Writes the document as pretty JSON with a trailing newline, only when its content changed. */
export function writeOpenApiDocument(file: string, document: Record<string, unknown>): void {
  const text = `${JSON.stringify(document, null, 2)}\n`;
  // The path comes from the app's own code (bin / example-app), never from input.
  /* eslint-disable security/detect-non-literal-fs-filename */
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  /* eslint-enable security/detect-non-literal-fs-filename */
}
