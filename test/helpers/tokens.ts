import * as path from 'path';
import { Worker } from 'worker_threads';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { Jwks } from 'aws-jwt-verify/jwk';
import fixture from '../fixtures/events/apigw-rest-authorizer-request.json';

/**
 * Real keys and real tokens for authorizer tests: RSA keys generated locally with `jose`, a JWKS
 * served in-process (no network), Cognito-shaped access/ID tokens, and a small IAM policy evaluator
 * for execute-api ARNs. Reusable by any test that needs a signed caller.
 */

/** Test user pool (region `eu-west-1`). */
export const TEST_USER_POOL_ID = 'eu-west-1_TestPool1';
/** Issuer of {@link TEST_USER_POOL_ID}, as Cognito writes it in `iss`. */
export const TEST_ISSUER = `https://cognito-idp.eu-west-1.amazonaws.com/${TEST_USER_POOL_ID}`;
/** App client ids of the test pool. */
export const TEST_CLIENTS = {
  web: 'webclient1234567890abcdefgh',
  machine: 'machineclient1234567890abcd',
  /** Integration `acme-payments`: its current client and the one replacing it (rotation). */
  acme: 'acmeclient1234567890abcdefg',
  acmeNext: 'acmenextclient1234567890abc',
  /** Integration `globex-treasury`. */
  globex: 'globexclient1234567890abcde',
} as const;
/** `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>` of the test API. */
export const TEST_STAGE_PREFIX = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/v1';

type WorkerReply = { id: number; result?: unknown; error?: string };

/** A signing service backed by `jose` in a worker thread (Jest's CJS runtime cannot load ESM-only jose). */
export class TestKeys {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  constructor() {
    this.worker = new Worker(path.join(__dirname, 'jose-worker.mjs'));
    this.worker.unref();
    this.worker.on('message', ({ id, result, error }: WorkerReply) => {
      const waiter = this.pending.get(id);
      this.pending.delete(id);
      if (error !== undefined) waiter?.reject(new Error(error));
      else waiter?.resolve(result);
    });
  }

  private call<T>(op: string, args: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  /** Generates an RSA key pair named `name` with key id `kid`. */
  generate(name: string, kid: string): Promise<string> {
    return this.call('generate', { name, kid });
  }

  /** The public JWKS of the named keys (with `alg: RS256`, `use: sig`, like Cognito's). */
  jwks(names: string[]): Promise<Jwks> {
    return this.call('jwks', { names });
  }

  /** An RS256 JWT signed with key `name` (header `kid` = that key's kid unless overridden). */
  sign(name: string, payload: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
    return this.call('sign', { name, payload, header });
  }

  /** Key-confusion attack token: HS256 whose HMAC secret is key `name`'s public key PEM. */
  signHmacWithPublicKey(name: string, payload: Record<string, unknown>): Promise<string> {
    return this.call('signHmacWithPublicKey', { name, payload });
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/**
 * An unsigned `alg: none` token with the given header and payload; the signature segment is empty
 * unless `signature` is given (attackers also send `none` with a junk signature to pass parsers).
 */
export function unsignedToken(payload: Record<string, unknown>, header: Record<string, unknown> = { alg: 'none', typ: 'JWT' }, signature = ''): string {
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${signature}`;
}

/** Replaces a signed token's payload, keeping its header and signature (tampering). */
export function tamperPayload(token: string, change: (payload: Record<string, unknown>) => Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  return `${header}.${b64url(JSON.stringify(change(decoded)))}.${signature}`;
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

/** Seconds since the epoch. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Claims of a Cognito access token of a signed-in user (authorization code + PKCE client). */
export function userAccessClaims(options: {
  scopes: string[];
  groups?: string[];
  clientId?: string;
  sub?: string;
  lifetimeSeconds?: number;
  /** How long ago the user signed in (`auth_time`; refreshes keep it). @default 5 (the token's own iat) */
  signedInSecondsAgo?: number;
} ): Record<string, unknown> {
  const iat = nowSeconds() - 5;
  const authTime = nowSeconds() - (options.signedInSecondsAgo ?? 5);
  return {
    sub: options.sub ?? '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
    ...(options.groups ? { 'cognito:groups': options.groups } : {}),
    iss: TEST_ISSUER,
    version: 2,
    client_id: options.clientId ?? TEST_CLIENTS.web,
    origin_jti: 'b1b7c5d2-0000-4000-8000-000000000001',
    event_id: 'e1b7c5d2-0000-4000-8000-000000000002',
    token_use: 'access',
    scope: ['openid', 'email', ...options.scopes].join(' '),
    auth_time: Math.min(authTime, iat),
    iat,
    exp: iat + (options.lifetimeSeconds ?? 900),
    jti: 'a1b7c5d2-0000-4000-8000-000000000003',
    username: 'alice',
  };
}

/** Claims of a Cognito client-credentials access token (machine client: `sub` = client id, no user). */
export function machineAccessClaims(options: { scopes: string[]; clientId?: string }): Record<string, unknown> {
  const iat = nowSeconds() - 5;
  const clientId = options.clientId ?? TEST_CLIENTS.machine;
  return {
    sub: clientId,
    token_use: 'access',
    scope: options.scopes.join(' '),
    auth_time: iat,
    iss: TEST_ISSUER,
    exp: iat + 900,
    iat,
    version: 2,
    jti: 'c1b7c5d2-0000-4000-8000-000000000004',
    client_id: clientId,
  };
}

/** Claims of a Cognito ID token of the same user (wrong token type for an API). */
export function idTokenClaims(options: { clientId?: string } = {}): Record<string, unknown> {
  const iat = nowSeconds() - 5;
  return {
    sub: '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
    email_verified: true,
    iss: TEST_ISSUER,
    'cognito:username': 'alice',
    aud: options.clientId ?? TEST_CLIENTS.web,
    token_use: 'id',
    auth_time: iat,
    exp: iat + 900,
    iat,
    email: 'alice@example.com',
  };
}

/**
 * A JWKS cache whose fetcher answers from memory: the JWKS "download" aws-jwt-verify does for an
 * unknown `kid` runs offline, and `fetches` counts how often it happened.
 */
export function localJwksCache(jwks: Jwks): { cache: SimpleJwksCache; fetches: string[] } {
  const fetches: string[] = [];
  const body = new TextEncoder().encode(JSON.stringify(jwks));
  const cache = new SimpleJwksCache({
    fetcher: {
      fetch: async (uri: string): Promise<ArrayBuffer> => {
        fetches.push(uri);
        return body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
      },
    },
  });
  return { cache, fetches };
}

/**
 * A REQUEST authorizer event from the real fixture (structuredClone'd), for `method resource`
 * with the concrete `path`, and the `Authorization` header when given.
 */
export function authorizerEvent(options: {
  method: string;
  resource: string;
  path?: string;
  authorization?: string;
  stagePrefix?: string;
  /**
   * PEM of the client certificate API Gateway verified (mutual TLS); `null`: no certificate (no
   * `clientCert` at all). @default - the fixture's placeholder (`CERT_CONTENT`, not a certificate)
   */
  clientCertPem?: string | null;
}): APIGatewayRequestAuthorizerEvent {
  const event = structuredClone(fixture) as unknown as APIGatewayRequestAuthorizerEvent & Record<string, unknown>;
  const concrete = options.path ?? options.resource;
  event.methodArn = `${options.stagePrefix ?? TEST_STAGE_PREFIX}/${options.method}${concrete}`;
  event.httpMethod = options.method;
  event.resource = options.resource;
  event.path = concrete;
  event.headers = { ...event.headers };
  event.multiValueHeaders = { ...event.multiValueHeaders };
  if (options.authorization !== undefined) {
    event.headers.Authorization = options.authorization;
    event.multiValueHeaders.Authorization = [options.authorization];
  }
  event.requestContext = { ...event.requestContext, httpMethod: options.method, resourcePath: options.resource, path: `/v1${concrete}`, stage: 'v1' };
  if (options.clientCertPem !== undefined) {
    const identity = { ...(event.requestContext.identity as unknown as Record<string, unknown>) };
    const cert = identity.clientCert as Record<string, unknown>;
    identity.clientCert = options.clientCertPem === null ? null : { ...cert, clientCertPem: options.clientCertPem };
    (event.requestContext as unknown as Record<string, unknown>).identity = identity;
  }
  return event;
}

// The IAM evaluator is the local gateway's own (lib/local/policy), written independently of the
// authorizer's policy builder so it can catch its bugs.
export { evaluatePolicy, globMatch, type IamStatement } from '../../lib/local/policy';

/**
 * Captures everything written to stdout and stderr (Powertools logs: info to stdout, warn/error
 * to stderr; EMF metrics to stdout) while `fn` runs.
 */
export async function captureOutput<T>(fn: () => Promise<T>): Promise<{ result?: T; error?: unknown; output: string }> {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((s) => s.write);
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array): boolean => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }) as typeof stream.write;
  }
  try {
    const result = await fn();
    return { result, output: chunks.join('') };
  } catch (error) {
    return { error, output: chunks.join('') };
  } finally {
    streams.forEach((stream, i) => { stream.write = originals[i] as typeof stream.write; });
  }
}

/** Parses captured output into its JSON lines (non-JSON lines are dropped). */
export function jsonLines(output: string): Record<string, unknown>[] {
  return output.split('\n').flatMap((line) => {
    try {
      const parsed: unknown = JSON.parse(line);
      return parsed !== null && typeof parsed === 'object' ? [parsed as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}
