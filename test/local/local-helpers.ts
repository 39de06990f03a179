import { Secret, TOTP } from 'otpauth';
import type { App, Stack } from 'aws-cdk-lib';
import { FinancialApiStack } from '../../lib/stacks/financial-api-stack';
import type { LocalEndpoints } from '../../lib/local/runner';
import { EXAMPLE_PROPS, testApp } from '../helpers/app';
import { signWebhook } from '../../lambda/runtime/webhook-signature';
import { pkcePair, signIn, tokenRequest } from './issuer-helpers';

/**
 * Synthesizes an app WITH esbuild bundling and asset metadata (as `cdk synth` does) into a temp dir
 * and returns the assembly directory: the runner then reads the same artefacts a deploy uploads.
 */
export function synthAssembly(build: (app: App) => Stack, context: Record<string, unknown> = {}): string {
  const app = testApp({ bundle: true, context: { 'aws:cdk:enable-asset-metadata': true, ...context } });
  build(app);
  return app.synth().directory;
}

/** The example payments app, synthesized for a local run. */
export function synthExample(): string {
  return synthAssembly((app) => new FinancialApiStack(app, 'FinancialApiStack', EXAMPLE_PROPS));
}

/** A response with its parsed JSON body (when there is one). */
export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: Record<string, unknown> | undefined;
}

/** One HTTP request to the local API. */
export async function call(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const res = await fetch(url, { method: init.method ?? 'GET', headers: init.headers ?? {}, ...(init.body !== undefined ? { body: init.body } : {}) });
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** The error envelope's code (`{ error: { code } }`), or undefined. */
export function errorCode(reply: Reply): string | undefined {
  return (reply.json?.error as { code?: string } | undefined)?.code;
}

/** A client-credentials access token from the local issuer's token endpoint (HTTP Basic, as Cognito). */
export async function machineToken(endpoints: LocalEndpoints, scopes: readonly string[], client = endpoints.machineClient): Promise<string> {
  if (!client || !endpoints.tokenUrl) throw new Error('no machine client');
  const { status, json } = await tokenRequest(endpoints.tokenUrl, { grant_type: 'client_credentials', scope: scopes.join(' ') }, { id: client.clientId, secret: client.clientSecret });
  if (status !== 200) throw new Error(`token endpoint answered ${status}: ${JSON.stringify(json)}`);
  return String(json.access_token);
}

/** The current TOTP code of a base32 secret (RFC 6238, as an authenticator app computes it). */
export function totpCode(secret: string): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate();
}

/**
 * Signs a seeded user in through the local issuer's sign-in page like a browser would (authorization
 * code + PKCE S256, username/password and TOTP form), then redeems the code: the user's tokens.
 */
export async function userTokens(endpoints: LocalEndpoints, username: string, scopes: readonly string[]): Promise<{ accessToken: string; refreshToken: string; idToken: string }> {
  const user = endpoints.users.find((u) => u.username === username);
  const client = endpoints.publicClient;
  if (!user || !client || !endpoints.authorizeUrl || !endpoints.tokenUrl) throw new Error(`no user ${username} or no public client`);
  const issuer = { url: new URL(endpoints.authorizeUrl).origin, authorizeUrl: endpoints.authorizeUrl } as Parameters<typeof signIn>[0];
  const pkce = pkcePair();
  const form: Record<string, string> = { username: user.username, password: user.password };
  if (user.totpSecret) form.code = totpCode(user.totpSecret);
  const { callback } = await signIn(issuer, {
    clientId: client.clientId, redirectUri: client.redirectUri, scope: ['openid', ...scopes].join(' '),
    codeChallenge: pkce.challenge, codeChallengeMethod: 'S256',
  }, form);
  const code = callback?.searchParams.get('code');
  if (!code) throw new Error(`sign-in of ${username} did not return a code (${callback?.toString() ?? 'no redirect'})`);
  const { status, json } = await tokenRequest(endpoints.tokenUrl, {
    grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, client_id: client.clientId, code_verifier: pkce.verifier,
  });
  if (status !== 200) throw new Error(`code redemption answered ${status}: ${JSON.stringify(json)}`);
  return { accessToken: String(json.access_token), refreshToken: String(json.refresh_token), idToken: String(json.id_token) };
}

/** The processor's signature header over a raw body, now (the runtime kit's own signer). */
export function webhookSignature(rawBody: string, secret: string): string {
  return signWebhook(rawBody, secret, Math.floor(Date.now() / 1000));
}

/** Parses captured access-log lines (each must be one JSON object). */
export function accessLogEntries(lines: readonly string[]): Record<string, unknown>[] {
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}
