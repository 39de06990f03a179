import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import * as z from 'zod/mini';
import { jsonSchemaDraft4, operationName, stripUnsupportedFormats } from '../../lib/constructs/secure-rest-api';
import { openApiDocument, openApiSchema } from '../../lib/openapi';
import { isPublicRoute, pathParameters, protectionOf, routeKey, type RouteTable } from '../../lib/routes';
import { PAYMENTS_ROUTES, paymentsOpenApi } from '../../lib/stacks/payments-routes';
import { exampleStack, testStack } from '../helpers/app';

type Json = Record<string, unknown>;
const withoutDialect = ({ $schema: _s, ...rest }: Json): Json => rest;

let template: Template;
const doc = paymentsOpenApi() as { paths: Record<string, Record<string, Json>>; components: { schemas: Record<string, Json>; securitySchemes: Json } };

beforeAll(() => {
  template = exampleStack().template;
});

function methodOf(route: (typeof PAYMENTS_ROUTES)[number]): Json {
  const found = template.findResources('AWS::ApiGateway::Method', { Properties: { OperationName: operationName(route) } });
  const values = Object.values(found);
  expect(values).toHaveLength(1);
  return (values[0] as { Properties: Json }).Properties;
}

describe('one schema per route: Zod, the gateway model in the template and the OpenAPI document agree', () => {
  test.each(PAYMENTS_ROUTES.map((r) => [routeKey(r), r] as const))('%s', (_key, route) => {
    const method = methodOf(route);
    const op = doc.paths[route.path]?.[route.method.toLowerCase()] as Json & { parameters?: Json[]; requestBody?: Json; security: Json[] };
    expect(op).toBeDefined();
    expect(op.operationId).toBe(operationName(route));

    // Body: template model schema == Zod draft-4 export == OpenAPI component (same document, minus the dialect).
    if (route.body) {
      const zodDraft4 = jsonSchemaDraft4(route.body, testStack(), 'body');
      const models = Object.values(template.findResources('AWS::ApiGateway::Model', { Properties: { Description: `Request body of ${routeKey(route)}` } }));
      expect(models).toHaveLength(1);
      expect((models[0] as { Properties: { Schema: Json } }).Properties.Schema).toEqual(zodDraft4);
      expect(method.RequestValidatorId).toBeDefined();
      const ref = ((op.requestBody?.content as Json)['application/json'] as { schema: { $ref: string } }).schema.$ref;
      // OpenAPI keeps the informative `format`s the gateway model drops (API Gateway would misjudge them); all else is equal.
      expect(stripUnsupportedFormats(doc.components.schemas[ref.split('/').pop() as string])).toEqual(withoutDialect(zodDraft4));
      expect(zodDraft4.additionalProperties).toBe(false);
    } else {
      expect(method.RequestModels).toBeUndefined();
      expect(op.requestBody).toBeUndefined();
    }

    // Parameters: the same names (and requiredness) in the template and in OpenAPI, schemas from Zod.
    const params = (method.RequestParameters ?? {}) as Record<string, boolean>;
    const openParams = op.parameters ?? [];
    for (const name of pathParameters(route.path)) {
      expect(params[`method.request.path.${name}`]).toBe(true);
      const p = openParams.find((x) => x.in === 'path' && x.name === name);
      expect(p?.schema).toEqual(((openApiSchema(route.params as never).properties ?? {}) as Json)[name]);
    }
    const querySchema = route.query ? openApiSchema(route.query) : { properties: {} };
    const queryNames = Object.keys(querySchema.properties as Json).sort();
    expect(Object.keys(params).filter((k) => k.startsWith('method.request.querystring.')).map((k) => k.split('.').pop()).sort()).toEqual(queryNames);
    expect(openParams.filter((x) => x.in === 'query').map((x) => x.name).sort()).toEqual(queryNames);
    for (const q of openParams.filter((x) => x.in === 'query')) {
      expect(q.schema).toEqual((querySchema.properties as Json)[q.name as string]);
      expect(params[`method.request.querystring.${String(q.name)}`]).toBe(q.required);
    }
    for (const h of route.requiredHeaders ?? []) {
      expect(params[`method.request.header.${h}`]).toBe(true);
      expect(openParams.some((x) => x.in === 'header' && x.name === h && x.required === true)).toBe(true);
    }

    // Security: public routes have no authorizer; protected ones the route's scopes in OpenAPI and the authorizer in the template.
    const protection = protectionOf(route);
    if (protection) {
      expect(method.AuthorizationType).toBe('CUSTOM');
      // Key source AUTHORIZER: the key comes from the caller's identity, so clients are told to send none.
      expect(op.security).toEqual([{ oauth2: [...protection.scopes] }]);
      expect(op['x-usage-metering'] !== undefined).toBe(route.apiKeyRequired === true);
      expect(Object.keys(op.responses as Json)).toEqual(expect.arrayContaining(['401', '403']));
    } else {
      expect(isPublicRoute(route)).toBe(true);
      expect(method.AuthorizationType).toBe('NONE');
    }
    expect(Object.keys(op.responses as Json)).toEqual(expect.arrayContaining(['400', '500']));
    // API key (metering): required at the gateway exactly where the table says, and declared in OpenAPI.
    expect(method.ApiKeyRequired === true).toBe(route.apiKeyRequired === true);
  });
});

describe('OpenAPI document', () => {
  test('declares OAuth2 authorization code (PKCE) and client credentials with every scope of the route table', () => {
    const oauth = doc.components.securitySchemes.oauth2 as { flows: { authorizationCode: { scopes: Json }; clientCredentials: { scopes: Json } } };
    const scopes = [...new Set(PAYMENTS_ROUTES.flatMap((r) => protectionOf(r)?.scopes ?? []))].sort();
    expect(Object.keys(oauth.flows.authorizationCode.scopes).sort()).toEqual(scopes);
    expect(Object.keys(oauth.flows.clientCredentials.scopes).sort()).toEqual(scopes);
    expect(scopes).toEqual(['payments/admin', 'payments/read', 'payments/write']);
  });

  test('is deterministic and docs/openapi.json is up to date (regenerated by synth)', () => {
    const text = `${JSON.stringify(paymentsOpenApi(), null, 2)}\n`;
    expect(`${JSON.stringify(paymentsOpenApi(), null, 2)}\n`).toBe(text);
    expect(fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'openapi.json'), 'utf8')).toBe(text);
  });

  test('every error response uses the envelope schema', () => {
    const responses = (doc.components as unknown as { responses: Record<string, { content: { 'application/json': { schema: { $ref: string } } } }> }).responses;
    for (const r of Object.values(responses)) expect(r.content['application/json'].schema.$ref).toBe('#/components/schemas/ErrorEnvelope');
  });
});

describe('jsonSchemaDraft4: what API Gateway (draft-4) needs', () => {
  test('exclusive bounds are booleans, literals are enums (no `const`), the dialect is draft-04', () => {
    const s = jsonSchemaDraft4(z.strictObject({ n: z.number().check(z.gt(0)), k: z.literal('x') }), testStack(), 'body');
    expect(s.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(JSON.stringify(s)).not.toContain('"const"');
    expect((s.properties as Record<string, Json>).n).toEqual({ type: 'number', minimum: 0, exclusiveMinimum: true });
    expect((s.properties as Record<string, Json>).k).toEqual({ type: 'string', enum: ['x'] });
  });

  test('an unrepresentable type fails synth naming the prop instead of becoming an accept-anything model', () => {
    expect(() => jsonSchemaDraft4(z.strictObject({ when: z.date() }), testStack(), 'routes[3].body')).toThrow(/routes\[3\]\.body/);
  });
});

describe('usage-plan keys in the document follow the API key source', () => {
  const keyed: RouteTable = [{ method: 'GET', path: '/things', handler: 'h', auth: { scopes: ['things/read'] }, apiKeyRequired: true }];
  test('AUTHORIZER (the default): no x-api-key scheme, a metering note instead', () => {
    const doc = openApiDocument(keyed, { title: 't', version: '1', authBaseUrl: 'https://auth.example.com' }) as Json;
    expect(((doc.components as Json).securitySchemes as Json).apiKey).toBeUndefined();
    expect(((doc.paths as Json)['/things'] as Json).get).toMatchObject({ security: [{ oauth2: ['things/read'] }], 'x-usage-metering': expect.any(String) });
  });
  test('HEADER: the x-api-key scheme ANDed with OAuth', () => {
    const doc = openApiDocument(keyed, { title: 't', version: '1', authBaseUrl: 'https://auth.example.com', apiKeySource: 'HEADER' }) as Json;
    expect(((doc.components as Json).securitySchemes as Json).apiKey).toMatchObject({ in: 'header', name: 'x-api-key' });
    expect(((doc.paths as Json)['/things'] as Json).get).toMatchObject({ security: [{ oauth2: ['things/read'], apiKey: [] }] });
  });
});
