import { isIP } from 'node:net';

/** An OAuth 2.0 grant a local app client may use (Cognito's `AllowedOAuthFlows` plus refresh). */
export type LocalIssuerFlow = 'code' | 'client_credentials' | 'refresh_token';

/** Cognito's user-pool MFA setting: `ON` requires a TOTP code from every user at sign-in. */
export type LocalIssuerMfa = 'ON' | 'OFF' | 'OPTIONAL';

/** One app client of the local user pool, as `AWS::Cognito::UserPoolClient` describes it. */
export interface LocalIssuerClient {
  /** The app client id (`client_id` claim of its access tokens, `aud` of its ID tokens). */
  readonly clientId: string;
  /**
   * The client secret. Required for a confidential client, refused for a public one.
   * @default - none (public client)
   */
  readonly clientSecret?: string;
  /** A public client (browser or native app) authenticates with PKCE only, never a secret. */
  readonly public: boolean;
  /** Grants the client may use. `client_credentials` is for confidential machine clients only. */
  readonly flows: readonly LocalIssuerFlow[];
  /** Scopes the client may request (Cognito's `AllowedOAuthScopes`), e.g. `openid`, `payments/read`. */
  readonly scopes: readonly string[];
  /**
   * Registered redirect URIs (`CallbackURLs`); required for the `code` flow.
   * @default []
   */
  readonly callbackUrls?: readonly string[];
  /**
   * Registered sign-out URIs (`LogoutURLs`) for `/logout?logout_uri=`.
   * @default []
   */
  readonly logoutUrls?: readonly string[];
  /**
   * Access token lifetime (`AccessTokenValidity`).
   * @default 3600
   */
  readonly accessTokenTtlSeconds?: number;
  /**
   * ID token lifetime (`IdTokenValidity`).
   * @default 3600
   */
  readonly idTokenTtlSeconds?: number;
  /**
   * Refresh token lifetime (`RefreshTokenValidity`).
   * @default 2592000 (30 days)
   */
  readonly refreshTokenTtlSeconds?: number;
  /**
   * Refresh token rotation (`RefreshTokenRotation.Feature: ENABLED`): every refresh returns a new
   * refresh token and the one presented stops working once the grace period has passed.
   * @default true
   */
  readonly rotateRefreshTokens?: boolean;
  /**
   * How long a rotated refresh token still works (`RefreshTokenRotation.RetryGracePeriodSeconds`, 0..60).
   * @default 0
   */
  readonly refreshTokenRotationGraceSeconds?: number;
}

/** A user of the local pool. */
export interface LocalIssuerUser {
  /** Sign-in name (`username` claim of access tokens, `cognito:username` of ID tokens). */
  readonly username: string;
  /** The password the sign-in page accepts. */
  readonly password: string;
  /**
   * Cognito groups (`cognito:groups` claim).
   * @default []
   */
  readonly groups?: readonly string[];
  /**
   * Base32 TOTP secret (RFC 6238, SHA-1, 6 digits, 30 s), as an authenticator app would hold it.
   * @default - no TOTP device (sign-in refused when `mfa` is `ON`)
   */
  readonly totpSecret?: string;
  /**
   * E-mail address (`email` claim of ID tokens and userInfo, marked verified).
   * @default - no email claim
   */
  readonly email?: string;
}

/** Options of {@link startLocalIssuer}. */
export interface LocalIssuerOptions {
  /**
   * Interface to listen on. Anything but loopback is refused unless `allowNonLoopback` is set.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * TCP port.
   * @default 0 (any free port)
   */
  readonly port?: number;
  /** AWS region of the emulated pool (part of the `iss` claim). */
  readonly region: string;
  /** Emulated user pool id, `<region>_<id>` (part of the `iss` claim and the JWKS path). */
  readonly userPoolId: string;
  /** App clients. */
  readonly clients: readonly LocalIssuerClient[];
  /** Users who can sign in. */
  readonly users: readonly LocalIssuerUser[];
  /**
   * MFA setting of the pool.
   * @default 'OFF'
   */
  readonly mfa?: LocalIssuerMfa;
  /**
   * Listen on a non-loopback interface. The issuer holds test passwords and signs tokens the local
   * API accepts: exposing it to a network is a deliberate choice.
   * @default false
   */
  readonly allowNonLoopback?: boolean;
}

const FLOWS: ReadonlySet<string> = new Set(['code', 'client_credentials', 'refresh_token']);
const SAFE_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]{1,256}$/;
const POOL_ID = /^([a-z]{2}-[a-z-]{1,20}-\d)_[A-Za-z0-9]{1,55}$/;
const BASE32 = /^[A-Z2-7]{16,}=*$/i;
const MAX_LIFETIME = 10 * 365 * 24 * 3600;

/** Throws a clear error naming the option when the configuration cannot describe a Cognito pool. */
export function validateOptions(options: LocalIssuerOptions): void {
  const fail = (path: string, why: string): never => {
    throw new Error(`local issuer: ${path} ${why}`);
  };
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && options.allowNonLoopback !== true) {
    fail('host', `is ${host}: only loopback addresses are allowed unless allowNonLoopback is set`);
  }
  const pool = POOL_ID.exec(options.userPoolId);
  if (!pool) fail('userPoolId', `must look like <region>_<id> (got ${JSON.stringify(options.userPoolId)})`);
  if (pool && pool[1] !== options.region) fail('region', `must match the region prefix of userPoolId (${pool[1]})`);
  if (!['ON', 'OFF', 'OPTIONAL'].includes(options.mfa ?? 'OFF')) fail('mfa', "must be 'ON', 'OFF' or 'OPTIONAL'");
  if (options.clients.length === 0) fail('clients', 'must list at least one app client');
  const ids = new Set<string>();
  options.clients.forEach((c, i) => {
    const at = `clients[${i}]`;
    if (!SAFE_ID.test(c.clientId)) fail(`${at}.clientId`, 'must be 1..128 characters from A-Z a-z 0-9 _ . : @ -');
    if (ids.has(c.clientId)) fail(`${at}.clientId`, `duplicates ${c.clientId}`);
    ids.add(c.clientId);
    if (c.public && c.clientSecret !== undefined) fail(`${at}.clientSecret`, 'must be absent for a public client');
    if (!c.public && (c.clientSecret === undefined || c.clientSecret.length < 16)) {
      fail(`${at}.clientSecret`, 'is required (16 characters or more) for a confidential client');
    }
    if (c.flows.length === 0) fail(`${at}.flows`, 'must list at least one flow');
    for (const f of c.flows) if (!FLOWS.has(f)) fail(`${at}.flows`, `has unknown flow ${JSON.stringify(f)}`);
    if (c.public && c.flows.includes('client_credentials')) fail(`${at}.flows`, 'client_credentials needs a confidential client');
    if (c.flows.includes('refresh_token') && !c.flows.includes('code')) fail(`${at}.flows`, 'refresh_token needs the code flow');
    if (c.flows.includes('code') && (c.callbackUrls ?? []).length === 0) fail(`${at}.callbackUrls`, 'are required for the code flow');
    for (const s of c.scopes) if (!SCOPE.test(s)) fail(`${at}.scopes`, `has an invalid scope ${JSON.stringify(s)}`);
    if (c.flows.includes('client_credentials') && c.scopes.some((s) => !s.includes('/'))) {
      fail(`${at}.scopes`, 'of a client_credentials client must all be resource-server scopes (<server>/<scope>), as Cognito requires');
    }
    [...(c.callbackUrls ?? []), ...(c.logoutUrls ?? [])].forEach((u) => {
      if (!URL.canParse(u)) fail(`${at}.callbackUrls`, `has an invalid URL ${JSON.stringify(u)}`);
    });
    const ttls: [string, number | undefined][] = [
      ['accessTokenTtlSeconds', c.accessTokenTtlSeconds], ['idTokenTtlSeconds', c.idTokenTtlSeconds],
      ['refreshTokenTtlSeconds', c.refreshTokenTtlSeconds],
    ];
    for (const [name, v] of ttls) {
      if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > MAX_LIFETIME)) fail(`${at}.${name}`, 'must be a positive whole number of seconds');
    }
    const grace = c.refreshTokenRotationGraceSeconds;
    if (grace !== undefined && (!Number.isInteger(grace) || grace < 0 || grace > 60)) {
      fail(`${at}.refreshTokenRotationGraceSeconds`, 'must be 0..60 (Cognito RetryGracePeriodSeconds)');
    }
  });
  const names = new Set<string>();
  options.users.forEach((u, i) => {
    const at = `users[${i}]`;
    if (!SAFE_ID.test(u.username)) fail(`${at}.username`, 'must be 1..128 characters from A-Z a-z 0-9 _ . : @ -');
    if (names.has(u.username)) fail(`${at}.username`, `duplicates ${u.username}`);
    names.add(u.username);
    if (u.password.length === 0) fail(`${at}.password`, 'must not be empty');
    if (u.totpSecret !== undefined && !BASE32.test(u.totpSecret)) fail(`${at}.totpSecret`, 'must be base32 (16 characters or more)');
    for (const g of u.groups ?? []) if (!/^\S{1,128}$/.test(g)) fail(`${at}.groups`, `has an invalid group ${JSON.stringify(g)}`);
  });
}

/** True for addresses (and the name `localhost`) that only this machine can reach. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const family = isIP(host);
  if (family === 4) return host.startsWith('127.');
  if (family === 6) return host === '::1';
  return false;
}
