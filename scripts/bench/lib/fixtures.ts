/* eslint-disable security/detect-non-literal-fs-filename -- a dev-time script: paths are its own temp dirs, the repo and the synth output */
import * as fs from 'fs';
import * as path from 'path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { RouteDefinition } from '../../../lib/routes';

/** Bench identity: a user pool id and app clients that only exist here. */
export const BENCH_POOL_ID = 'eu-west-1_BenchPool1';
export const BENCH_USER_CLIENT = 'benchuserclient0000000000a';
export const BENCH_MACHINE_CLIENT = 'benchmachineclient000000b';
export const BENCH_ISSUER = `https://cognito-idp.eu-west-1.amazonaws.com/${BENCH_POOL_ID}`;
export const BENCH_JWKS_URL = `${BENCH_ISSUER}/.well-known/jwks.json`;
const KID = 'bench-rs256-1';

/** A public JWKS and a signer for Cognito-shaped RS256 access tokens. */
export interface TokenKit {
  readonly jwks: { keys: Record<string, unknown>[] };
  /** Signs an access token for a human user with these scopes/groups (valid for one hour). */
  accessToken(scopes: readonly string[], groups?: readonly string[], overrides?: Record<string, unknown>): Promise<string>;
}

/** Generates a fresh RS256 key (2048 bit, as Cognito uses) and a token signer. */
export async function tokenKit(): Promise<TokenKit> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const jwk = { ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  return {
    jwks: { keys: [jwk] },
    async accessToken(scopes, groups = [], overrides = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        sub: '8b1f7c3e-2a4d-4e5f-9a6b-7c8d9e0f1a2b',
        'cognito:groups': groups.length > 0 ? [...groups] : undefined,
        iss: BENCH_ISSUER,
        version: 2,
        client_id: BENCH_USER_CLIENT,
        origin_jti: '1f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
        token_use: 'access',
        scope: scopes.join(' '),
        auth_time: now,
        exp: now + 3600,
        iat: now,
        jti: '2a3b4c5d-6e7f-4809-9a1b-2c3d4e5f6a7b',
        username: 'bench-user',
        ...overrides,
      }).setProtectedHeader({ alg: 'RS256', kid: KID }).sign(privateKey);
    },
  };
}

function fixture(root: string, name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(root, 'test', 'fixtures', 'events', name), 'utf8')) as Record<string, unknown>;
}

/** A REQUEST-authorizer event for `method path` carrying `Authorization: <authorization>`. */
export function authorizerEvent(root: string, method: string, routePath: string, authorization: string): Record<string, unknown> {
  const e = structuredClone(fixture(root, 'apigw-rest-authorizer-request.json'));
  const concrete = routePath.replace(/\{[^}]+\}/g, '3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d');
  return {
    ...e,
    methodArn: `arn:aws:execute-api:eu-west-1:123456789012:abcdef123/v1/${method}${concrete}`,
    resource: routePath,
    path: concrete,
    httpMethod: method,
    headers: { ...(e.headers as object), Authorization: authorization },
    multiValueHeaders: { ...(e.multiValueHeaders as object), Authorization: [authorization] },
    requestContext: { ...(e.requestContext as object), httpMethod: method, resourcePath: routePath, stage: 'v1' },
  };
}

/** A `POST /payments` body that passes the schema, and one that fails it in several fields. */
export const VALID_PAYMENT = {
  amount: 12550,
  currency: 'EUR',
  creditor: { name: 'ACME Handels GmbH', iban: 'DE89370400440532013000' },
  reference: 'Invoice 2026-0042',
  requestedExecutionDate: '2026-12-01',
};
export const INVALID_PAYMENT = {
  amount: -5,
  currency: 'EURO',
  creditor: { name: '', iban: 'DE00123' },
  note: 'unknown field',
};

/**
 * A proxy event for `route` that the handler rejects in validation (4xx) with no network call:
 * with a body schema, a schema-invalid JSON body (everything else valid, so the body schema runs);
 * otherwise an invalid path parameter, or an unknown query parameter.
 */
export function validationFailureEvent(root: string, route: RouteDefinition): Record<string, unknown> {
  const e = structuredClone(fixture(root, 'apigw-rest-proxy.json'));
  const params = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
  const hasBody = route.body !== undefined;
  const paramValue = hasBody ? '3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d' : 'not a valid id!';
  const pathParameters = params.length > 0 ? Object.fromEntries(params.map((p) => [p, paramValue])) : null;
  const concrete = route.path.replace(/\{([^}]+)\}/g, (_, p: string) => encodeURIComponent(pathParameters?.[p] ?? ''));
  const headers: Record<string, string> = { Origin: 'https://app.example.com', Accept: 'application/json' };
  for (const h of route.requiredHeaders ?? []) headers[h] = 'bench-idempotency-key-0001';
  if (hasBody) headers['Content-Type'] = 'application/json';
  const query = !hasBody && params.length === 0 ? { benchUnknown: '1' } : null;
  const groups = 'public' in route.auth ? [] : route.auth.groups ?? [];
  const scopes = 'public' in route.auth ? [] : route.auth.scopes;
  return {
    ...e,
    resource: route.path,
    path: concrete,
    httpMethod: route.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: query,
    multiValueQueryStringParameters: query ? { benchUnknown: ['1'] } : null,
    pathParameters,
    body: hasBody ? JSON.stringify(INVALID_PAYMENT) : null,
    requestContext: {
      ...(e.requestContext as object),
      httpMethod: route.method,
      resourcePath: route.path,
      stage: 'v1',
      authorizer: 'public' in route.auth ? null : {
        principalId: '8b1f7c3e-2a4d-4e5f-9a6b-7c8d9e0f1a2b',
        sub: '8b1f7c3e-2a4d-4e5f-9a6b-7c8d9e0f1a2b',
        clientId: BENCH_USER_CLIENT,
        scopes: scopes.join(' '),
        groups: groups.join(' '),
        principalType: 'user',
      },
    },
  };
}
