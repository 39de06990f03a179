import { randomBytes } from 'crypto';
import { resourcesOfType, str } from './assembly';
import { IntrinsicResolver, randomString } from './intrinsics';

/** An app client of the local pool, read from an `AWS::Cognito::UserPoolClient`. */
export interface LocalPoolClient {
  readonly logicalId: string;
  readonly clientId: string;
  /** Generated per run for clients with `GenerateSecret: true`. */
  readonly clientSecret?: string;
  readonly public: boolean;
  readonly flows: readonly ('code' | 'client_credentials' | 'refresh_token')[];
  readonly scopes: readonly string[];
  readonly callbackUrls: readonly string[];
  readonly logoutUrls: readonly string[];
  readonly accessTokenTtlSeconds: number;
  readonly idTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly rotateRefreshTokens: boolean;
  readonly refreshTokenRotationGraceSeconds: number;
}

/** A seeded user of the local pool. */
export interface LocalPoolUser {
  readonly username: string;
  readonly password: string;
  readonly groups: readonly string[];
  readonly totpSecret?: string;
  readonly email?: string;
}

/** A user pool of the template with everything the local issuer needs. */
export interface LocalPool {
  readonly logicalId: string;
  readonly userPoolId: string;
  readonly region: string;
  readonly mfa: 'ON' | 'OFF' | 'OPTIONAL';
  readonly clients: readonly LocalPoolClient[];
  readonly groups: readonly string[];
  /** `<identifier>/<scope>` of every resource server of the pool. */
  readonly resourceServerScopes: readonly string[];
  readonly users: readonly LocalPoolUser[];
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { seconds: 1, minutes: 60, hours: 3600, days: 86_400 };

/** Cognito's defaults when a client sets no validity: access and ID one hour, refresh 30 days. */
function validity(props: Record<string, unknown>, key: 'AccessToken' | 'IdToken' | 'RefreshToken'): number {
  const units = (props.TokenValidityUnits ?? {}) as Record<string, string>;
  const value = props[`${key}Validity`];
  const unit = units[key] ?? (key === 'RefreshToken' ? 'days' : 'hours');
  if (value === undefined) return key === 'RefreshToken' ? 30 * 86_400 : 3600;
  return Number(value) * (UNIT_SECONDS[unit] ?? 1);
}

/** A base32 TOTP secret (160 bits, as authenticator apps use). */
function totpSecret(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = randomBytes(20);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31] ?? '';
      bits -= 5;
    }
  }
  return out;
}

/** A password that satisfies the pool's password policy (length and character classes). */
function passwordFor(policy: Record<string, unknown>): string {
  const length = Math.max(Number(policy.MinimumLength ?? 8), 16);
  // One of each class the policy may require, then random alphanumerics; `!` stands for the symbols.
  return `Aa1!${randomString(length - 4)}`;
}

/**
 * Reads the template's user pools (`AWS::Cognito::UserPool`) with their app clients (flows, scopes,
 * callback and logout URLs, token validity, refresh rotation), groups and resource-server scopes, and
 * seeds identities: a regular user, an administrator in every group of the pool, and a secret for
 * each confidential (machine) client. Passwords, TOTP secrets and client secrets are new every run.
 */
export function readPools(resolver: IntrinsicResolver, extraCallbackUrls: readonly string[] = []): LocalPool[] {
  const live = (type: string): [string, Record<string, unknown>][] =>
    resourcesOfType(resolver.template, type).filter(([id]) => resolver.exists(id)).map(([id]) => [id, resolver.properties(id)]);
  const clients = live('AWS::Cognito::UserPoolClient');
  const groups = live('AWS::Cognito::UserPoolGroup');
  const servers = live('AWS::Cognito::UserPoolResourceServer');
  return live('AWS::Cognito::UserPool').map(([logicalId, props]) => {
    const userPoolId = resolver.ref(logicalId);
    const ofPool = (list: [string, Record<string, unknown>][]): [string, Record<string, unknown>][] => list.filter(([, p]) => p.UserPoolId === userPoolId);
    const poolGroups = ofPool(groups).map(([, p]) => String(p.GroupName));
    const mfa = str(props.MfaConfiguration, 'OFF') as LocalPool['mfa'];
    const policy = ((props.Policies ?? {}) as { PasswordPolicy?: Record<string, unknown> }).PasswordPolicy ?? {};
    const usernameIsEmail = Array.isArray(props.UsernameAttributes) && (props.UsernameAttributes as string[]).includes('email');
    const person = (name: string, inGroups: readonly string[]): LocalPoolUser => ({
      username: usernameIsEmail ? `${name}@example.com` : name,
      password: passwordFor(policy),
      groups: inGroups,
      email: `${name}@example.com`,
      ...(mfa === 'OFF' ? {} : { totpSecret: totpSecret() }),
    });
    const poolClients: LocalPoolClient[] = ofPool(clients).map(([clientLogical, p]) => {
      const secret = p.GenerateSecret === true || p.GenerateSecret === 'true';
      const oauthFlows = (p.AllowedOAuthFlows ?? []) as string[];
      const flows: LocalPoolClient['flows'][number][] = [];
      if (oauthFlows.includes('code')) flows.push('code', 'refresh_token');
      if (oauthFlows.includes('client_credentials') && secret) flows.push('client_credentials');
      const rotation = (p.RefreshTokenRotation ?? {}) as { Feature?: string; RetryGracePeriodSeconds?: number };
      return {
        logicalId: clientLogical,
        clientId: resolver.ref(clientLogical),
        ...(secret ? { clientSecret: randomString(51, 'abcdefghijklmnopqrstuvwxyz0123456789') } : {}),
        public: !secret,
        flows,
        scopes: ((p.AllowedOAuthScopes ?? []) as string[]).map(String),
        callbackUrls: [...((p.CallbackURLs ?? []) as string[]), ...(oauthFlows.includes('code') ? extraCallbackUrls : [])],
        logoutUrls: (p.LogoutURLs ?? []) as string[],
        accessTokenTtlSeconds: validity(p, 'AccessToken'),
        idTokenTtlSeconds: validity(p, 'IdToken'),
        refreshTokenTtlSeconds: validity(p, 'RefreshToken'),
        rotateRefreshTokens: rotation.Feature === 'ENABLED',
        refreshTokenRotationGraceSeconds: rotation.RetryGracePeriodSeconds ?? 0,
      };
    }).filter((c) => c.flows.length > 0);
    const resourceServerScopes = ofPool(servers).flatMap(([, p]) =>
      ((p.Scopes ?? []) as { ScopeName: string }[]).map((s) => `${String(p.Identifier)}/${s.ScopeName}`));
    return {
      logicalId,
      userPoolId,
      region: userPoolId.split('_')[0] ?? resolver.env.region,
      mfa,
      clients: poolClients,
      groups: poolGroups,
      resourceServerScopes,
      users: [person('user', []), ...(poolGroups.length > 0 ? [person('admin', poolGroups)] : [])],
    };
  });
}
