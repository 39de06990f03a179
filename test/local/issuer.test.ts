import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { Secret, TOTP } from 'otpauth';
import { startLocalIssuer, type LocalIssuer, type LocalIssuerOptions } from '../../lib/local/issuer';
import { CookieJar, decode, follow, get, pkcePair, signIn, tokenRequest, type AuthorizeParams } from './issuer-helpers';

// Conformance of the local issuer over real HTTP (Node's fetch against the listening server), with
// tokens checked by the project's real verifier (aws-jwt-verify CognitoJwtVerifier, the one the
// authorizer runs) holding the issuer's JWKS. Nothing is mocked.

const REGION = 'eu-west-1';
const POOL = 'eu-west-1_LocalPool1';
const WEB = 'web-client';
const CALLBACK = 'http://localhost:5173/callback';
const LOGOUT = 'http://localhost:5173/';
const MACHINE = { id: 'machine-client', secret: 'machine-secret-0123456789abcdef' };
const ALICE = { username: 'alice', password: 'alice-password-1', totpSecret: 'JBSWY3DPEHPK3PXPJBSWY3DP' };
const totp = (secret: string, timestamp = Date.now()): string =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp });

function options(overrides: Partial<LocalIssuerOptions> = {}): LocalIssuerOptions {
  return {
    region: REGION,
    userPoolId: POOL,
    mfa: 'OFF',
    clients: [
      {
        clientId: WEB, public: true, flows: ['code', 'refresh_token'],
        scopes: ['openid', 'email', 'payments/read', 'payments/write', 'payments/admin'],
        callbackUrls: [CALLBACK], logoutUrls: [LOGOUT],
        accessTokenTtlSeconds: 900, idTokenTtlSeconds: 1200, refreshTokenTtlSeconds: 86400, rotateRefreshTokens: true,
      },
      {
        clientId: 'web-grace', public: true, flows: ['code', 'refresh_token'], scopes: ['openid', 'payments/read'],
        callbackUrls: [CALLBACK], rotateRefreshTokens: true, refreshTokenRotationGraceSeconds: 1,
      },
      { clientId: MACHINE.id, clientSecret: MACHINE.secret, public: false, flows: ['client_credentials'], scopes: ['payments/read', 'payments/write'], accessTokenTtlSeconds: 600 },
    ],
    users: [
      { username: ALICE.username, password: ALICE.password, groups: ['admins'], email: 'alice@example.com', totpSecret: ALICE.totpSecret },
      { username: 'bob', password: 'bob-password-22' },
    ],
    ...overrides,
  };
}

const accessVerifier = (clientIds: string[]) => CognitoJwtVerifier.create({ userPoolId: POOL, tokenUse: 'access', clientId: clientIds });

describe('local issuer (oidc-provider, Cognito paths and claims)', () => {
  let issuer: LocalIssuer;
  beforeAll(async () => { issuer = await startLocalIssuer(options()); });
  afterAll(async () => { await issuer.close(); });

  const params = (over: Partial<AuthorizeParams> = {}): AuthorizeParams & { verifier: string } => {
    const { verifier, challenge } = pkcePair();
    return { clientId: WEB, redirectUri: CALLBACK, scope: 'openid email payments/read', codeChallenge: challenge, codeChallengeMethod: 'S256', verifier, ...over };
  };
  const codeFor = async (p: AuthorizeParams, user = { username: ALICE.username, password: ALICE.password }): Promise<string> => {
    const out = await signIn(issuer, p, user);
    const code = out.callback?.searchParams.get('code');
    if (!code) throw new Error(`no code: ${out.res.status} ${out.callback?.href ?? await out.res.text()}`);
    return code;
  };
  const exchange = (code: string, verifier: string, clientId = WEB) =>
    tokenRequest(issuer.tokenUrl, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, client_id: clientId, code_verifier: verifier });

  test('discovery names the pool issuer, Cognito paths and S256 only; the JWKS has public keys only', async () => {
    for (const path of ['/.well-known/openid-configuration', `/${POOL}/.well-known/openid-configuration`]) {
      const doc = await (await fetch(`${issuer.url}${path}`)).json() as Record<string, unknown>;
      expect(doc).toMatchObject({
        issuer: `https://cognito-idp.${REGION}.amazonaws.com/${POOL}`,
        authorization_endpoint: issuer.authorizeUrl,
        token_endpoint: issuer.tokenUrl,
        revocation_endpoint: issuer.revokeUrl,
        end_session_endpoint: issuer.logoutUrl,
        jwks_uri: issuer.jwksUrl,
        code_challenge_methods_supported: ['S256'],
        response_types_supported: ['code'],
      });
    }
    expect(issuer.jwksUrl).toBe(`${issuer.url}/${POOL}/.well-known/jwks.json`);
    const served = await (await fetch(issuer.jwksUrl)).json() as { keys: Record<string, unknown>[] };
    expect(served.keys).toHaveLength(1);
    expect(served.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: issuer.jwks().keys[0]?.kid });
    for (const key of [...served.keys, ...issuer.jwks().keys]) {
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(secret);
    }
  });

  test('authorization code + PKCE: tokens with Cognito claims pass CognitoJwtVerifier (access and id)', async () => {
    const p = params();
    const before = Math.floor(Date.now() / 1000);
    const t = await exchange(await codeFor(p), p.verifier);
    expect(t.status).toBe(200);
    expect(t.json).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'openid email payments/read' });
    expect(typeof t.json.refresh_token).toBe('string');

    const access = String(t.json.access_token);
    const verifier = accessVerifier([WEB]);
    verifier.cacheJwks(issuer.jwks());
    const claims = await verifier.verify(access);
    expect(claims).toMatchObject({
      iss: issuer.issuer, token_use: 'access', client_id: WEB, scope: 'openid email payments/read',
      'cognito:groups': ['admins'], username: 'alice', sub: issuer.subjectOf('alice'), version: 2,
    });
    expect(claims.exp - claims.iat).toBe(900);
    expect(claims.auth_time).toBeGreaterThanOrEqual(before);
    expect(typeof claims.jti).toBe('string');
    expect(claims.origin_jti).toMatch(/^[0-9a-f-]{36}$/);
    const { header, payload } = decode(access);
    expect(header).toEqual({ alg: 'RS256', kid: issuer.jwks().keys[0]?.kid });
    expect(payload).not.toHaveProperty('aud'); // Cognito access tokens carry client_id, never aud

    const idVerifier = CognitoJwtVerifier.create({ userPoolId: POOL, tokenUse: 'id', clientId: WEB });
    idVerifier.cacheJwks(issuer.jwks());
    const id = await idVerifier.verify(String(t.json.id_token));
    expect(id).toMatchObject({
      aud: WEB, token_use: 'id', 'cognito:username': 'alice', 'cognito:groups': ['admins'],
      email: 'alice@example.com', sub: issuer.subjectOf('alice'), origin_jti: claims.origin_jti,
    });
    expect(id.exp - id.iat).toBe(1200);
    expect(id.auth_time).toBe(claims.auth_time);

    // A verifier for another pool or another client refuses the same token.
    const otherPool = CognitoJwtVerifier.create({ userPoolId: 'eu-west-1_OtherPool', tokenUse: 'access', clientId: WEB });
    otherPool.cacheJwks(issuer.jwks());
    await expect(otherPool.verify(access)).rejects.toThrow(/[Ii]ssuer/);
    const otherClient = accessVerifier(['someone-else']);
    otherClient.cacheJwks(issuer.jwks());
    await expect(otherClient.verify(access)).rejects.toThrow(/client/i);
  });

  test('the authorization code is single-use', async () => {
    const p = params();
    const code = await codeFor(p);
    expect((await exchange(code, p.verifier)).status).toBe(200);
    const again = await exchange(code, p.verifier);
    expect(again.status).toBe(400);
    expect(again.json.error).toBe('invalid_grant');
  });

  test('PKCE: a wrong code_verifier is refused with invalid_grant', async () => {
    const p = params();
    const t = await exchange(await codeFor(p), pkcePair().verifier);
    expect(t.status).toBe(400);
    expect(t.json.error).toBe('invalid_grant');
    expect(t.json).not.toHaveProperty('access_token');
  });

  test('PKCE: the plain method is refused, and a public client without PKCE is refused', async () => {
    const plain = await signIn(issuer, params({ codeChallengeMethod: 'plain', codeChallenge: 'a'.repeat(43) }), {});
    expect(plain.callback?.origin + plain.callback!.pathname).toBe(CALLBACK);
    expect(plain.callback?.searchParams.get('error')).toBe('invalid_request');
    expect(plain.callback?.searchParams.get('code')).toBeNull();

    const p = params();
    delete p.codeChallenge;
    delete p.codeChallengeMethod;
    const none = await signIn(issuer, p, {});
    expect(none.callback?.searchParams.get('error')).toBe('invalid_request');
    expect(none.callback?.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  test('a redirect_uri that is not registered is refused without redirecting to it', async () => {
    const jar = new CookieJar();
    for (const redirectUri of ['http://localhost:5173/evil', 'http://attacker.example/callback', `${CALLBACK}?x=1`]) {
      const res = await follow(issuer, `${issuer.authorizeUrl}?${new URLSearchParams({
        response_type: 'code', client_id: WEB, redirect_uri: redirectUri, scope: 'openid', code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
      }).toString()}`, jar);
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect((await res.json() as Record<string, unknown>).error).toBe('invalid_redirect_uri');
    }
  });

  test('a scope the app client may not request is refused with invalid_scope at authorization', async () => {
    const out = await signIn(issuer, params({ clientId: 'web-grace', scope: 'openid payments/write' }), {});
    expect(out.callback?.searchParams.get('error')).toBe('invalid_scope');
  });

  test('wrong password, unknown user: the sign-in page answers 401 with Cognito\'s message and no code', async () => {
    for (const form of [{ username: 'alice', password: 'wrong' }, { username: 'mallory', password: ALICE.password }]) {
      const out = await signIn(issuer, params(), form);
      expect(out.res.status).toBe(401);
      expect(out.callback).toBeUndefined();
      expect(await out.res.text()).toContain('Incorrect username or password.');
    }
  });

  test('five failed passwords lock the user out, even with the right password, until the lockout passes', async () => {
    for (let i = 0; i < 5; i += 1) {
      const out = await signIn(issuer, params(), { username: 'bob', password: `wrong-${i}` });
      expect(await out.res.text()).toContain('Incorrect username or password.');
    }
    const locked = await signIn(issuer, params(), { username: 'bob', password: 'bob-password-22' });
    expect(locked.res.status).toBe(401);
    expect(await locked.res.text()).toContain('Password attempts exceeded');
    await new Promise((r) => setTimeout(r, 1100)); // the first lockout lasts one second
    const after = await signIn(issuer, params(), { username: 'bob', password: 'bob-password-22' });
    expect(after.callback?.searchParams.get('code')).toBeTruthy();
  });

  test('client_credentials: allowed scopes only (invalid_scope otherwise), secret checked, machine claims', async () => {
    const ok = await tokenRequest(issuer.tokenUrl, { grant_type: 'client_credentials', scope: 'payments/read' }, MACHINE);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'payments/read' });
    expect(ok.json).not.toHaveProperty('refresh_token');
    const verifier = accessVerifier([MACHINE.id]);
    verifier.cacheJwks(issuer.jwks());
    const claims = await verifier.verify(String(ok.json.access_token));
    expect(claims).toMatchObject({ sub: MACHINE.id, client_id: MACHINE.id, token_use: 'access', scope: 'payments/read', iss: issuer.issuer });
    expect(claims).not.toHaveProperty('username');
    expect(claims).not.toHaveProperty('cognito:groups');
    expect(claims.exp - claims.iat).toBe(600);

    const all = await tokenRequest(issuer.tokenUrl, { grant_type: 'client_credentials' }, MACHINE);
    expect(all.status).toBe(200);
    expect(all.json.scope).toBe('payments/read payments/write'); // Cognito: no scope asked → every allowed scope

    for (const scope of ['payments/admin', 'payments/read payments/admin', 'payments/delete', 'openid']) {
      const refused = await tokenRequest(issuer.tokenUrl, { grant_type: 'client_credentials', scope }, MACHINE);
      expect(refused.status).toBe(400);
      expect(refused.json.error).toBe('invalid_scope');
    }
    const wrong = await tokenRequest(issuer.tokenUrl, { grant_type: 'client_credentials', scope: 'payments/read' }, { id: MACHINE.id, secret: 'not-the-secret-0123456789' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error).toBe('invalid_client');
    const noSecret = await tokenRequest(issuer.tokenUrl, { grant_type: 'client_credentials', client_id: MACHINE.id, scope: 'payments/read' });
    expect(noSecret.status).toBe(401);
    expect(noSecret.json.error).toBe('invalid_client');
    const publicClient = await tokenRequest(issuer.tokenUrl, { grant_type: 'client_credentials', client_id: WEB, scope: 'payments/read' });
    expect(publicClient.status).toBe(400);
    expect(publicClient.json).not.toHaveProperty('access_token');
    expect(['unauthorized_client', 'invalid_request']).toContain(publicClient.json.error);
  });

  test('refresh rotation: a new refresh token each time, the old one refused, the new one still good', async () => {
    const p = params();
    const first = await exchange(await codeFor(p), p.verifier);
    const rt1 = String(first.json.refresh_token);
    const second = await tokenRequest(issuer.tokenUrl, { grant_type: 'refresh_token', refresh_token: rt1, client_id: WEB });
    expect(second.status).toBe(200);
    const rt2 = String(second.json.refresh_token);
    expect(rt2).not.toBe(rt1);
    const verifier = accessVerifier([WEB]);
    verifier.cacheJwks(issuer.jwks());
    const a1 = await verifier.verify(String(first.json.access_token));
    const a2 = await verifier.verify(String(second.json.access_token));
    expect(a2.origin_jti).toBe(a1.origin_jti); // same authentication
    expect(a2.jti).not.toBe(a1.jti);
    expect(a2.auth_time).toBe(a1.auth_time);

    const reuse = await tokenRequest(issuer.tokenUrl, { grant_type: 'refresh_token', refresh_token: rt1, client_id: WEB });
    expect(reuse.status).toBe(400);
    expect(reuse.json.error).toBe('invalid_grant');
    const third = await tokenRequest(issuer.tokenUrl, { grant_type: 'refresh_token', refresh_token: rt2, client_id: WEB });
    expect(third.status).toBe(200);

    const otherClient = await tokenRequest(issuer.tokenUrl, { grant_type: 'refresh_token', refresh_token: String(third.json.refresh_token), client_id: 'web-grace' });
    expect(otherClient.json.error).toBe('invalid_grant');
  });

  test('refresh rotation grace period (RetryGracePeriodSeconds): the old token works inside it, not after', async () => {
    const p = params({ clientId: 'web-grace', scope: 'openid payments/read' });
    const out = await signIn(issuer, p, { username: ALICE.username, password: ALICE.password });
    const t = await exchange(out.callback?.searchParams.get('code') ?? '', p.verifier, 'web-grace');
    const rt1 = String(t.json.refresh_token);
    const body = { grant_type: 'refresh_token', refresh_token: rt1, client_id: 'web-grace' };
    const first = await tokenRequest(issuer.tokenUrl, body);
    expect(first.status).toBe(200);
    const retry = await tokenRequest(issuer.tokenUrl, body);
    expect(retry.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    const late = await tokenRequest(issuer.tokenUrl, body);
    expect(late.status).toBe(400);
    expect(late.json.error).toBe('invalid_grant');
    // The tokens rotated in are not collateral damage (Cognito does not revoke the family on reuse).
    expect((await tokenRequest(issuer.tokenUrl, { ...body, refresh_token: String(first.json.refresh_token) })).status).toBe(200);
  });

  test('revocation: a revoked refresh token no longer refreshes', async () => {
    const p = params();
    const t = await exchange(await codeFor(p), p.verifier);
    const rt = String(t.json.refresh_token);
    const revoked = await tokenRequest(issuer.revokeUrl, { token: rt, token_type_hint: 'refresh_token', client_id: WEB });
    expect(revoked.status).toBe(200);
    const after = await tokenRequest(issuer.tokenUrl, { grant_type: 'refresh_token', refresh_token: rt, client_id: WEB });
    expect(after.status).toBe(400);
    expect(after.json.error).toBe('invalid_grant');
  });

  test('userInfo answers a valid access token with the user, and 401 without one', async () => {
    const p = params();
    const t = await exchange(await codeFor(p), p.verifier);
    const ok = await fetch(issuer.userInfoUrl, { headers: { authorization: `Bearer ${String(t.json.access_token)}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ sub: issuer.subjectOf('alice'), username: 'alice', email: 'alice@example.com', email_verified: 'true' });
    expect((await fetch(issuer.userInfoUrl)).status).toBe(401);
    const tampered = `${String(t.json.access_token).slice(0, -4)}AAAA`;
    expect((await fetch(issuer.userInfoUrl, { headers: { authorization: `Bearer ${tampered}` } })).status).toBe(401);
  });

  test('CORS on the token endpoint: the public client\'s callback origin only', async () => {
    const p = params();
    const code = await codeFor(p);
    const body = { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, client_id: WEB, code_verifier: p.verifier };
    const foreign = await tokenRequest(issuer.tokenUrl, body, undefined, 'http://127.0.0.1:5173');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const own = await tokenRequest(issuer.tokenUrl, { ...body, code: await codeFor(params({ codeChallenge: pkcePair().challenge })) }, undefined, 'http://localhost:5173');
    expect(own.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  test('logout ends the session (the next authorize asks for the password again) and redirects to logout_uri', async () => {
    const jar = new CookieJar();
    await signIn(issuer, params(), { username: ALICE.username, password: ALICE.password }, jar);
    const silent = await follow(issuer, (await import('./issuer-helpers')).authorizeUrl(issuer, params()), jar);
    expect(silent.status).toBe(303);
    expect(silent.headers.get('location')).toMatch(/^http:\/\/localhost:5173\/callback\?code=/);

    const page = await get(`${issuer.logoutUrl}?${new URLSearchParams({ client_id: WEB, logout_uri: LOGOUT }).toString()}`, jar);
    expect(page.status).toBe(200);
    const html = await page.text();
    const action = /action="([^"]+)"/.exec(html)?.[1] ?? '';
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const confirm = await fetch(new URL(action, issuer.url), {
      method: 'POST', redirect: 'manual',
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
    });
    jar.take(confirm);
    expect(confirm.status).toBe(303);
    expect(confirm.headers.get('location')).toBe(LOGOUT);
    const again = await follow(issuer, (await import('./issuer-helpers')).authorizeUrl(issuer, params()), jar);
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('name="password"');

    const unregistered = await get(`${issuer.logoutUrl}?${new URLSearchParams({ client_id: WEB, logout_uri: 'http://attacker.example/' }).toString()}`, new CookieJar());
    expect(unregistered.status).toBe(400);
  });
});

describe('local issuer with MFA ON (TOTP, RFC 6238)', () => {
  let issuer: LocalIssuer;
  beforeAll(async () => { issuer = await startLocalIssuer(options({ mfa: 'ON' })); });
  afterAll(async () => { await issuer.close(); });
  const p = (): AuthorizeParams => ({ clientId: WEB, redirectUri: CALLBACK, scope: 'openid', codeChallenge: pkcePair().challenge, codeChallengeMethod: 'S256' });

  test('the sign-in page asks for the code; a missing or wrong code is refused; the right one signs in once', async () => {
    const jar = new CookieJar();
    const page = await follow(issuer, (await import('./issuer-helpers')).authorizeUrl(issuer, p()), jar);
    const html = await page.text();
    for (const field of ['username', 'password', 'code']) expect(html).toContain(`name="${field}"`);

    const missing = await signIn(issuer, p(), { username: ALICE.username, password: ALICE.password });
    expect(missing.res.status).toBe(401);
    expect(missing.callback).toBeUndefined();
    const current = totp(ALICE.totpSecret);
    const wrongCode = String((Number(current) + 1) % 1_000_000).padStart(6, '0');
    const wrong = await signIn(issuer, p(), { username: ALICE.username, password: ALICE.password, code: wrongCode });
    expect(wrong.res.status).toBe(401);
    expect(await wrong.res.text()).toContain('Invalid code');
    const old = await signIn(issuer, p(), { username: ALICE.username, password: ALICE.password, code: totp(ALICE.totpSecret, Date.now() - 5 * 60_000) });
    expect(old.res.status).toBe(401);

    const ok = await signIn(issuer, p(), { username: ALICE.username, password: ALICE.password, code: current });
    expect(ok.callback?.searchParams.get('code')).toBeTruthy();
    const replay = await signIn(issuer, p(), { username: ALICE.username, password: ALICE.password, code: current });
    expect(replay.res.status).toBe(401); // a TOTP code is accepted once
  });

  test('a user without a TOTP device cannot sign in when MFA is ON', async () => {
    const out = await signIn(issuer, p(), { username: 'bob', password: 'bob-password-22', code: '123456' });
    expect(out.res.status).toBe(401);
    expect(await out.res.text()).toContain('no authenticator');
  });
});

describe('local issuer lifecycle', () => {
  test('close() stops the worker: the port refuses connections, and a second close() resolves too', async () => {
    const issuer = await startLocalIssuer(options());
    expect((await fetch(issuer.discoveryUrl)).status).toBe(200);
    await issuer.close();
    await expect(fetch(issuer.discoveryUrl)).rejects.toThrow();
    await expect(issuer.close()).resolves.toBeUndefined();
  });
});

describe('local issuer options', () => {
  test.each([
    [{ host: '0.0.0.0' }, /host .*loopback/],
    [{ userPoolId: 'not-a-pool' }, /userPoolId/],
    [{ region: 'us-east-1' }, /region/],
    [{ mfa: 'MAYBE' as never }, /mfa/],
    [{ clients: [{ clientId: 'c', public: true, clientSecret: 'x'.repeat(20), flows: ['code'], scopes: [], callbackUrls: [CALLBACK] }] }, /clientSecret.*public/],
    [{ clients: [{ clientId: 'c', public: false, flows: ['client_credentials'], scopes: ['a/b'] }] }, /clientSecret.*required/],
    [{ clients: [{ clientId: 'c', public: true, flows: ['client_credentials'], scopes: ['a/b'] }] }, /confidential/],
    [{ clients: [{ clientId: 'c', public: true, flows: ['code'], scopes: ['openid'] }] }, /callbackUrls/],
    [{ users: [{ username: 'u', password: 'p', totpSecret: 'not base32!' }] }, /totpSecret/],
  ])('refuses %p', async (over, message) => {
    await expect(startLocalIssuer(options(over as Partial<LocalIssuerOptions>))).rejects.toThrow(message);
  });
});
