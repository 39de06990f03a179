import { createHash, randomBytes } from 'node:crypto';
import type { LocalIssuer } from '../../lib/local/issuer';

/** A PKCE pair (RFC 7636): a random verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** A minimal cookie jar: what a browser would send back to the issuer during one sign-in. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = (pair ?? '').indexOf('=');
      if (eq <= 0 || pair === undefined) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** Parameters of an authorization request. */
export interface AuthorizeParams {
  clientId: string;
  redirectUri: string;
  scope: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  state?: string;
}

/** GET with manual redirects and the jar's cookies. */
export async function get(url: string, jar: CookieJar): Promise<Response> {
  const res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
  jar.take(res);
  return res;
}

/** Builds the authorization URL. */
export function authorizeUrl(issuer: LocalIssuer, p: AuthorizeParams): string {
  const q = new URLSearchParams({ response_type: 'code', client_id: p.clientId, redirect_uri: p.redirectUri, scope: p.scope, state: p.state ?? 'st4te' });
  if (p.codeChallenge !== undefined) q.set('code_challenge', p.codeChallenge);
  if (p.codeChallengeMethod !== undefined) q.set('code_challenge_method', p.codeChallengeMethod);
  return `${issuer.authorizeUrl}?${q.toString()}`;
}

/** Follows redirects on the issuer's own origin; returns the first response that leaves it (or a non-redirect). */
export async function follow(issuer: LocalIssuer, start: string, jar: CookieJar): Promise<Response> {
  let url = start;
  for (let i = 0; i < 10; i += 1) {
    const res = await get(url, jar);
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || location === null) return res;
    const next = new URL(location, url).href;
    if (!next.startsWith(issuer.url)) return res;
    url = next;
  }
  throw new Error('too many redirects');
}

/** Result of submitting the sign-in form. */
export interface SignInOutcome {
  /** The final response (a redirect to the client's callback on success, the form again on failure). */
  res: Response;
  /** The callback URL with `code`/`state` (or `error`), when the issuer redirected back. */
  callback?: URL;
}

/** Opens the authorization URL, fills the sign-in form like a person would, and follows to the callback. */
export async function signIn(issuer: LocalIssuer, p: AuthorizeParams, form: Record<string, string>, jar = new CookieJar()): Promise<SignInOutcome> {
  const page = await follow(issuer, authorizeUrl(issuer, p), jar);
  if (page.status !== 200) {
    const location = page.headers.get('location');
    return { res: page, ...(location !== null ? { callback: new URL(location) } : {}) };
  }
  const html = await page.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (action === undefined) throw new Error(`no sign-in form in ${html.slice(0, 200)}`);
  const post = await fetch(new URL(action, issuer.url), {
    method: 'POST', redirect: 'manual',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  jar.take(post);
  const location = post.headers.get('location');
  if (location === null) return { res: post };
  const res = await follow(issuer, new URL(location, issuer.url).href, jar);
  const back = res.headers.get('location');
  return { res, ...(back !== null ? { callback: new URL(back) } : {}) };
}

/** POSTs a form to the token (or revocation) endpoint. */
export async function tokenRequest(url: string, body: Record<string, string>, basic?: { id: string; secret: string }, origin?: string): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`).toString('base64')}`;
  if (origin !== undefined) headers.origin = origin;
  const res = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(body).toString() });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : JSON.parse(text) as Record<string, unknown>, headers: res.headers };
}

/** Decodes a JWT's header and payload without verifying (the tests verify with aws-jwt-verify separately). */
export function decode(jwt: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h ?? '', 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) as Record<string, unknown>,
  };
}
