import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Jwks } from 'aws-jwt-verify/jwk';
import { validateOptions, type LocalIssuerOptions } from './options';
import { subjectFor, type LocalIssuer } from './server';
import type { IssuerWorkerMessage } from './worker';

export type { LocalIssuerClient, LocalIssuerFlow, LocalIssuerMfa, LocalIssuerOptions, LocalIssuerUser } from './options';
export type { LocalIssuer } from './server';
export { isLoopback } from './options';

/** How long the worker may take to generate its key and listen. */
const START_TIMEOUT_MS = 30_000;

/**
 * Starts a local OAuth 2.0 / OpenID Connect issuer that stands in for a Cognito user pool and its
 * domain, built on `oidc-provider` (a certified OpenID Provider implementation) with Cognito's
 * endpoint paths and token claims, so tokens it signs pass `CognitoJwtVerifier` unchanged once the
 * verifier holds {@link LocalIssuer.jwks}:
 *
 * - `GET /oauth2/authorize`: authorization code with PKCE (S256 only; required for public clients),
 *   redirect URIs matched exactly against `callbackUrls`; a sign-in page with `username`, `password`
 *   and a TOTP `code` field when MFA applies.
 * - `POST /oauth2/token`: `authorization_code`, `refresh_token` (rotation with Cognito's retry grace
 *   period) and `client_credentials` (confidential clients with HTTP Basic, only their allowed
 *   scopes, else `invalid_scope`).
 * - `POST /oauth2/revoke` (refresh tokens: ends the grant), `GET /logout` (`client_id` +
 *   `logout_uri`), `GET /oauth2/userInfo`, `/<userPoolId>/.well-known/jwks.json` and
 *   `/.well-known/openid-configuration` (also under `/<userPoolId>/`).
 *
 * Access tokens: `iss` of the pool, `token_use: 'access'`, `client_id`, `scope`, `username`,
 * `cognito:groups`, `auth_time`, `jti`, `origin_jti`, `event_id`, `version: 2`, `sub`, `iat`/`exp`
 * from the client's lifetimes, header `kid` + `alg: RS256`, no `aud`. Machine tokens have `sub` =
 * client id and no user claims. ID tokens: `aud` = client id, `token_use: 'id'`, `cognito:username`,
 * `cognito:groups`, `email`, `auth_time`. The RSA key is generated at start and never leaves the
 * issuer except as its public JWK.
 *
 * The issuer runs in a worker thread of the calling process: oidc-provider ships as ES modules only,
 * which Node's `require` loads (Node >= 20.19) but jest's module registry does not; in a worker the
 * same code runs unchanged under jest, tsx and compiled JavaScript, and signing stays off the
 * caller's event loop.
 *
 * @example
 * const issuer = await startLocalIssuer({
 *   region: 'eu-west-1', userPoolId: 'eu-west-1_Local', mfa: 'ON',
 *   clients: [{ clientId: 'web', public: true, flows: ['code', 'refresh_token'], scopes: ['openid', 'payments/read'],
 *     callbackUrls: ['http://localhost:5173/'] }],
 *   users: [{ username: 'alice', password: 'correct horse', totpSecret: 'JBSWY3DPEHPK3PXP' }],
 * });
 * verifier.cacheJwks(issuer.jwks());
 * // ...
 * await issuer.close();
 */
export async function startLocalIssuer(options: LocalIssuerOptions): Promise<LocalIssuer> {
  // Checked here too, so a misconfiguration throws in the caller's stack, not from a thread.
  validateOptions(options);
  const source = extname(__filename) === '.ts';
  const entry = join(__dirname, `worker${source ? '.ts' : '.js'}`);
  // From TypeScript sources (tests, tsx) the worker registers tsx's CommonJS loader first, resolved
  // from here: an eval'd worker resolves bare names from the process's working directory.
  const worker = source
    ? new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(entry)});`, { eval: true, workerData: options })
    : new Worker(entry, { workerData: options });
  const ready = await new Promise<Extract<IssuerWorkerMessage, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(() => { void worker.terminate(); reject(new Error('local issuer: did not start in time')); }, START_TIMEOUT_MS);
    const settle = (fn: () => void): void => { clearTimeout(timer); worker.removeAllListeners(); fn(); };
    worker.once('message', (m: IssuerWorkerMessage) => {
      if (m.type === 'ready') settle(() => { resolve(m); });
      else settle(() => { void worker.terminate(); reject(new Error(m.type === 'failed' ? m.message : 'local issuer: stopped while starting')); });
    });
    worker.once('error', (err) => { settle(() => { reject(err); }); });
    worker.once('exit', (code) => { settle(() => { reject(new Error(`local issuer: worker exited with ${code} while starting`)); }); });
  });
  const urls = ready.urls;
  const jwks = ready.jwks as Jwks;
  const need = (k: string): string => {
    const v = urls[k];
    if (v === undefined) throw new Error(`local issuer: worker did not report ${k}`);
    return v;
  };
  let exited = false;
  worker.once('exit', () => { exited = true; });
  worker.on('error', (err) => {
    // The issuer thread died (a bug, not a bad request): say so instead of leaving its port refusing connections.
    process.stderr.write(`local issuer: stopped by an error: ${err.stack ?? err.message}\n`);
  });
  let closing: Promise<void> | undefined;
  return {
    url: need('url'),
    issuer: need('issuer'),
    authorizeUrl: need('authorizeUrl'),
    tokenUrl: need('tokenUrl'),
    revokeUrl: need('revokeUrl'),
    logoutUrl: need('logoutUrl'),
    userInfoUrl: need('userInfoUrl'),
    jwksUrl: need('jwksUrl'),
    discoveryUrl: need('discoveryUrl'),
    jwks: () => structuredClone(jwks),
    subjectOf: (username) => subjectFor(options.userPoolId, username),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        if (exited) {
          resolve();
          return;
        }
        worker.once('exit', () => { resolve(); });
        worker.postMessage('close');
        // A worker that does not answer within a second is stopped outright.
        setTimeout(() => { void worker.terminate(); }, 1000).unref();
      });
      return closing;
    },
  };
}
