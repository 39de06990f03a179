import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import type { Jwks } from 'aws-jwt-verify/jwk';
import type { ClientMetadata, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { loadOidcProvider } from './load-oidc-provider';
import { MemoryStore } from './memory-adapter';
import { validateOptions, type LocalIssuerClient, type LocalIssuerOptions, type LocalIssuerUser } from './options';
import { renderSignInPage, SignInChecker } from './sign-in';

/** A running local issuer: its URLs (Cognito's paths), its public keys, and how to stop it. */
export interface LocalIssuer {
  /** Base URL the issuer listens on, e.g. `http://127.0.0.1:4000` (the emulated Cognito domain). */
  readonly url: string;
  /** The `iss` claim: `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`, as Cognito's. */
  readonly issuer: string;
  /** `<url>/oauth2/authorize` */
  readonly authorizeUrl: string;
  /** `<url>/oauth2/token` */
  readonly tokenUrl: string;
  /** `<url>/oauth2/revoke` */
  readonly revokeUrl: string;
  /** `<url>/logout` (Cognito's `client_id` + `logout_uri` parameters) */
  readonly logoutUrl: string;
  /** `<url>/oauth2/userInfo` */
  readonly userInfoUrl: string;
  /** `<url>/<userPoolId>/.well-known/jwks.json` (the pool's JWKS path) */
  readonly jwksUrl: string;
  /** `<url>/.well-known/openid-configuration` (also served under `/<userPoolId>/`) */
  readonly discoveryUrl: string;
  /** The public signing keys (RS256, generated at start), for `CognitoJwtVerifier.cacheJwks()`. */
  jwks(): Jwks;
  /** The `sub` of a configured user: a UUID derived from the pool id and username, stable across restarts. */
  subjectOf(username: string): string;
  /** Stops listening and drops every code, session and token. */
  close(): Promise<void>;
}

/** Resource indicator of the emulated pool's access tokens (never visible in a token: Cognito's have no `aud`). */
const RESOURCE = 'urn:secure-api:local-issuer:api';
/** Scopes Cognito answers at the userInfo endpoint and in ID tokens; the rest are resource-server scopes. */
const OIDC_SCOPES = ['openid', 'email', 'profile', 'phone', 'aws.cognito.signin.user.admin'];
/** Cognito's authorization codes live five minutes; its managed-login session (`AuthSessionValidity`) three. */
const AUTHORIZATION_CODE_TTL = 300;
const INTERACTION_TTL = 180;
const SESSION_TTL = 3600;
const MAX_FORM_BYTES = 4096;

/** A UUID (version 8 layout: custom, hash-derived) so a user's `sub` survives restarts and data keyed by it stays theirs. */
export function subjectFor(userPoolId: string, username: string): string {
  const h = createHash('sha256').update(`${userPoolId}\0${username}`).digest().subarray(0, 16);
  h.writeUInt8((h.readUInt8(6) & 0x0f) | 0x80, 6);
  h.writeUInt8((h.readUInt8(8) & 0x3f) | 0x80, 8);
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** Cognito's `origin_jti`/`event_id` are UUIDs tied to one authentication; derived from the grant they stay stable across refreshes. */
function uuidFrom(label: string, grantId: string): string {
  return subjectFor(label, grantId);
}

function clientMetadata(c: LocalIssuerClient): ClientMetadata {
  const grantTypes = c.flows.map((f) => (f === 'code' ? 'authorization_code' : f));
  return {
    client_id: c.clientId,
    ...(c.clientSecret !== undefined ? { client_secret: c.clientSecret } : {}),
    // Cognito app clients send the secret with HTTP Basic (client_secret_post is not emulated).
    token_endpoint_auth_method: c.public ? 'none' : 'client_secret_basic',
    grant_types: grantTypes,
    response_types: c.flows.includes('code') ? ['code'] : [],
    redirect_uris: [...(c.callbackUrls ?? [])],
    post_logout_redirect_uris: [...(c.logoutUrls ?? [])],
    scope: c.scopes.join(' '),
    // Cognito's ID tokens always carry auth_time.
    require_auth_time: true,
  };
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        reject(new Error('form too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => { resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))); });
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * The issuer itself, in the calling thread. Use {@link startLocalIssuer} (index.ts), which runs this
 * in a worker thread: oidc-provider is ES-modules-only and jest's module registry cannot load it.
 */
export async function startIssuerServer(options: LocalIssuerOptions): Promise<LocalIssuer> {
  validateOptions(options);
  const host = options.host ?? '127.0.0.1';
  const issuer = `https://cognito-idp.${options.region}.amazonaws.com/${options.userPoolId}`;
  const clients = new Map(options.clients.map((c) => [c.clientId, c]));
  const usersBySub = new Map<string, LocalIssuerUser>(options.users.map((u) => [subjectFor(options.userPoolId, u.username), u]));
  const signIn = new SignInChecker(options.users, options.mfa ?? 'OFF');
  const store = new MemoryStore((clientId) => clients.get(clientId)?.refreshTokenRotationGraceSeconds ?? 0);

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const privateJwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const jwks = { keys: [publicJwk] } as unknown as Jwks;

  const allScopes = new Set([...OIDC_SCOPES, ...options.clients.flatMap((c) => c.scopes)]);
  const clientOf = (ctx: KoaContextWithOIDC): LocalIssuerClient | undefined => {
    const id = ctx.oidc.client?.clientId;
    return id === undefined ? undefined : clients.get(id);
  };
  const { default: Provider, errors } = loadOidcProvider();
  const grantIdOf = (ctx: KoaContextWithOIDC, token?: { grantId?: string }): string | undefined =>
    token?.grantId ?? ctx.oidc.entities.Grant?.jti;

  const configuration: Configuration = {
    adapter: (name: string) => store.adapterFor(name),
    clients: options.clients.map(clientMetadata),
    jwks: { keys: [privateJwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    routes: {
      authorization: '/oauth2/authorize',
      token: '/oauth2/token',
      revocation: '/oauth2/revoke',
      end_session: '/logout',
      jwks: `/${options.userPoolId}/.well-known/jwks.json`,
    },
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'none'],
    scopes: [...allScopes],
    claims: {
      openid: ['sub', 'cognito:username', 'cognito:groups', 'token_use', 'origin_jti', 'event_id'],
      email: ['email', 'email_verified'],
    },
    // Cognito's ID tokens carry the user's claims even when an access token is issued alongside.
    conformIdTokenClaims: false,
    allowOmittingSingleRegisteredRedirectUri: false,
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: false },
      // userInfo is answered below from the JWT access token itself, as Cognito does.
      userinfo: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          // Cognito signs out without a confirmation page: the form posts itself.
          ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signing out</title></head><body>
${form}<noscript><button form="op.logoutForm" name="logout" value="yes">Sign out</button></noscript>
<script>var f=document.getElementById('op.logoutForm');var i=document.createElement('input');i.type='hidden';i.name='logout';i.value='yes';f.appendChild(i);f.submit();</script>
</body></html>`;
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.body = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head><body><p>Signed out.</p></body></html>';
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource, client) => {
          if (resource !== RESOURCE) throw new errors.InvalidTarget();
          const cfg = clients.get(client.clientId);
          const allowed = cfg?.scopes ?? [];
          const requested = typeof ctx.oidc.params?.scope === 'string' ? ctx.oidc.params.scope.split(' ').filter((s) => s.length > 0) : [];
          // Cognito answers invalid_scope for any scope the app client may not request, known or not.
          const outside = requested.find((s) => !allowed.includes(s));
          if (outside !== undefined) throw new errors.InvalidScope('requested scope is not allowed', outside);
          if (ctx.oidc.route === 'token' && requested.length === 0 && ctx.oidc.params?.grant_type === 'client_credentials') {
            // Cognito issues every allowed scope when a machine client asks for none.
            (ctx.oidc.params as Record<string, unknown>).scope = allowed.join(' ');
          }
          return {
            scope: allowed.join(' '),
            accessTokenFormat: 'jwt',
            accessTokenTTL: cfg?.accessTokenTtlSeconds ?? 3600,
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    findAccount: (ctx, sub, token) => {
      const user = usersBySub.get(sub);
      if (!user) return undefined;
      const grantId = grantIdOf(ctx, token);
      return {
        accountId: sub,
        claims: (use) => ({
          sub,
          ...(user.email !== undefined ? { email: user.email, email_verified: true } : {}),
          ...(use === 'id_token'
            ? {
              'cognito:username': user.username,
              ...((user.groups ?? []).length > 0 ? { 'cognito:groups': [...(user.groups ?? [])] } : {}),
              token_use: 'id',
              ...(grantId !== undefined ? { origin_jti: uuidFrom('origin', grantId), event_id: uuidFrom('event', grantId) } : {}),
            }
            : { username: user.username }),
        }),
      };
    },
    extraTokenClaims: (ctx, token) => {
      const { AuthorizationCode: code, RefreshToken: refresh } = ctx.oidc.entities;
      const authTime = code?.authTime ?? refresh?.authTime ?? Math.floor(Date.now() / 1000);
      const base = { token_use: 'access', auth_time: authTime, version: 2 };
      const accountId = 'accountId' in token ? token.accountId : undefined;
      const user = accountId !== undefined ? usersBySub.get(accountId) : undefined;
      if (!user) return base; // client credentials: no user claims, `sub` is the client id
      const grantId = grantIdOf(ctx, token as { grantId?: string });
      return {
        ...base,
        username: user.username,
        ...((user.groups ?? []).length > 0 ? { 'cognito:groups': [...(user.groups ?? [])] } : {}),
        ...(grantId !== undefined ? { origin_jti: uuidFrom('origin', grantId), event_id: uuidFrom('event', grantId) } : {}),
      };
    },
    formats: {
      customizers: {
        jwt: (_ctx, _token, jwt) => {
          // RFC 9068 makes oidc-provider insist on `aud` and `typ: at+jwt`; Cognito's access tokens
          // have neither. A non-enumerable `aud` passes the library's check and is not serialized.
          Object.defineProperty(jwt.payload, 'aud', { value: RESOURCE, enumerable: false, writable: true, configurable: true });
          jwt.header = { typ: undefined };
        },
      },
    },
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: (ctx) => clientOf(ctx)?.rotateRefreshTokens ?? true,
    clientBasedCORS: (_ctx, origin, client) => {
      const cfg = clients.get(client.clientId);
      return [...(cfg?.callbackUrls ?? []), ...(cfg?.logoutUrls ?? [])].some((u) => new URL(u).origin === origin);
    },
    ttl: {
      // oidc-provider calls these with (ctx, token, client); ctx is absent outside a request (e.g. Grant.save).
      AccessToken: (_ctx, _token, client) => clients.get(client.clientId)?.accessTokenTtlSeconds ?? 3600,
      ClientCredentials: (_ctx, _token, client) => clients.get(client.clientId)?.accessTokenTtlSeconds ?? 3600,
      IdToken: (_ctx, _token, client) => clients.get(client.clientId)?.idTokenTtlSeconds ?? 3600,
      RefreshToken: (_ctx, _token, client) => clients.get(client.clientId)?.refreshTokenTtlSeconds ?? 30 * 24 * 3600,
      AuthorizationCode: AUTHORIZATION_CODE_TTL,
      Interaction: INTERACTION_TTL,
      Session: SESSION_TTL,
      Grant: (_ctx, grant) => (grant.clientId !== undefined ? clients.get(grant.clientId)?.refreshTokenTtlSeconds : undefined) ?? 30 * 24 * 3600,
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  };

  const provider = new Provider(issuer, configuration);
  const providerCallback = provider.callback();

  const userInfoVerifier = CognitoJwtVerifier.create({
    userPoolId: options.userPoolId, tokenUse: 'access', clientId: options.clients.map((c) => c.clientId),
  });
  userInfoVerifier.cacheJwks(jwks);

  const callbackOrigins = [...new Set(options.clients.flatMap((c) => (c.callbackUrls ?? []).map((u) => new URL(u).origin)))];
  const pageHeaders = {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    // form-action also governs the redirects after the POST, which end at the client's callback.
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${callbackOrigins.join(' ')}; frame-ancestors 'none'; base-uri 'none'`,
  };

  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new errors.SessionNotFound('interaction mismatch');
    const clientId = String(details.params.client_id);
    const client = clients.get(clientId);
    if (!client) throw new errors.InvalidClient('unknown client');
    const finish = async (accountId: string, login: boolean): Promise<void> => {
      const grant = details.grantId !== undefined
        ? (await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId, clientId })
        : new provider.Grant({ accountId, clientId });
      const requested = (typeof details.params.scope === 'string' ? details.params.scope : '').split(' ').filter((s) => client.scopes.includes(s));
      // Every scope is a "static" for oidc-provider (so it can refuse ones a client may not ask for), so
      // the grant holds all of them on both sides; the resource side decides what access tokens carry.
      grant.addOIDCScope(requested.join(' '));
      grant.addResourceScope(RESOURCE, requested.join(' '));
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, {
        ...(login ? { login: { accountId, amr: signIn.asksForCode ? ['pwd', 'otp'] : ['pwd'] } } : {}),
        consent: { grantId },
      }, { mergeWithLastSubmission: false });
    };
    if (details.prompt.name !== 'login') {
      // The pool's own app clients are first-party: Cognito asks no consent, so neither does this.
      const accountId = details.session?.accountId;
      if (accountId === undefined) throw new errors.SessionNotFound('no session');
      await finish(accountId, false);
      return;
    }
    const action = `/interaction/${uid}`;
    if (req.method === 'GET') {
      res.writeHead(200, pageHeaders);
      res.end(renderSignInPage({ action, clientId, askCode: signIn.asksForCode }));
      return;
    }
    const form = await readForm(req);
    const username = form.get('username') ?? '';
    const result = signIn.check(username, form.get('password') ?? '', form.get('code') ?? undefined);
    if (!result.ok) {
      res.writeHead(401, pageHeaders);
      res.end(renderSignInPage({ action, clientId, askCode: signIn.asksForCode, username, failure: result.failure }));
      return;
    }
    await finish(subjectFor(options.userPoolId, result.user.username), true);
  }

  async function userInfo(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origin = req.headers.origin;
    const cors: Record<string, string> = origin !== undefined && callbackOrigins.includes(origin)
      ? { 'access-control-allow-origin': origin, 'access-control-allow-headers': 'authorization', vary: 'Origin' }
      : {};
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors);
      res.end();
      return;
    }
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const challenge = { 'www-authenticate': 'Bearer error="invalid_token"', ...cors };
    if (!match?.[1]) {
      sendJson(res, 401, { error: 'invalid_token', error_description: 'Access token is missing' }, challenge);
      return;
    }
    let claims: Record<string, unknown>;
    try {
      claims = await userInfoVerifier.verify(match[1]);
    } catch {
      sendJson(res, 401, { error: 'invalid_token', error_description: 'Access token is not valid' }, challenge);
      return;
    }
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    const user = usersBySub.get(String(claims.sub));
    if (!user || !scopes.includes('openid')) {
      sendJson(res, 403, { error: 'insufficient_scope', error_description: 'Access token does not have the openid scope' }, cors);
      return;
    }
    sendJson(res, 200, {
      sub: claims.sub,
      username: user.username,
      ...(user.email !== undefined && scopes.includes('email') ? { email: user.email, email_verified: 'true' } : {}),
    }, cors);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://issuer.invalid');
    const uid = /^\/interaction\/([A-Za-z0-9_-]{1,64})$/.exec(url.pathname)?.[1];
    const fail = (err: unknown): void => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status = (err as { statusCode?: unknown }).statusCode;
      const code = (err as { error?: unknown }).error;
      sendJson(res, typeof status === 'number' ? status : 400, {
        error: typeof code === 'string' ? code : 'invalid_request',
        error_description: typeof code === 'string' ? (err as Error).message : 'The sign-in request could not be processed; start again from the application.',
      });
    };
    if (uid !== undefined && (req.method === 'GET' || req.method === 'POST')) {
      interaction(req, res, uid).catch(fail);
      return;
    }
    if (url.pathname === '/oauth2/userInfo') {
      userInfo(req, res).catch(fail);
      return;
    }
    if (url.pathname === `/${options.userPoolId}/.well-known/openid-configuration`) {
      req.url = '/.well-known/openid-configuration';
    } else if (url.pathname === '/logout' && req.method === 'GET' && url.searchParams.has('logout_uri')) {
      // Cognito's sign-out takes `logout_uri`; OpenID Connect RP-initiated logout calls it `post_logout_redirect_uri`.
      const params = new URLSearchParams(url.searchParams);
      params.set('post_logout_redirect_uri', params.get('logout_uri') ?? '');
      params.delete('logout_uri');
      req.url = `/logout?${params.toString()}`;
    }
    void providerCallback(req, res);
  });
  const port = options.port ?? 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: boundPort } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${boundPort}`;
  return {
    url,
    issuer,
    authorizeUrl: `${url}/oauth2/authorize`,
    tokenUrl: `${url}/oauth2/token`,
    revokeUrl: `${url}/oauth2/revoke`,
    logoutUrl: `${url}/logout`,
    userInfoUrl: `${url}/oauth2/userInfo`,
    jwksUrl: `${url}/${options.userPoolId}/.well-known/jwks.json`,
    discoveryUrl: `${url}/.well-known/openid-configuration`,
    jwks: () => structuredClone(jwks),
    subjectOf: (username) => subjectFor(options.userPoolId, username),
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => { if (err) reject(err); else resolve(); });
    }),
  };
}
