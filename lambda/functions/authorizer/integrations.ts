/**
 * Machine integrations as the authorizer sees them: which app clients belong to which integration
 * (a partner or a service), the principal its tokens get, its usage-plan key and its client
 * certificate binding.
 *
 * The encoder and decoder are pure (no dependency beyond `node:crypto` for the certificate check):
 * `ApiIdentity` (lib/) imports {@link encodeIntegrations} and the authorizer decodes with
 * {@link decodeIntegrations}, so the wire format is written once, like the route policy.
 */
import { X509Certificate } from 'crypto';
import { AUTHORIZER_ENV } from './route-policy';

/**
 * What the principal id of a machine token is.
 * - `integration`: `integration:<id>`, stable across client rotation (a second client of the same
 *   integration owns the same objects).
 * - `client`: the app client id (the deprecated single `machineClient`, kept for existing data).
 */
export type MachinePrincipal = 'integration' | 'client';

/** Prefix of an integration's principal id. A Cognito `sub` is a UUID and never contains `:`. */
export const INTEGRATION_PRINCIPAL_PREFIX = 'integration:';

/**
 * A client certificate an integration's tokens are bound to (sender-constrained tokens at the
 * resource server). Every given condition must hold.
 */
export interface CertificateBinding {
  /**
   * Accepted SHA-256 thumbprints of the certificate's DER encoding, lower-case hex (the value of
   * RFC 8705's `x5t#S256`, hex instead of base64url). Several allow a certificate rollover.
   */
  readonly sha256: readonly string[];
  /**
   * Subject distinguished name in canonical form ({@link canonicalDn}): attributes `TYPE=value`,
   * sorted, one per line. @default - any subject
   */
  readonly subject?: string;
}

/** One machine integration, decoded. */
export interface IntegrationRule {
  /** Stable id, e.g. `acme-payments`. */
  readonly id: string;
  /** App client ids whose client-credentials tokens belong to the integration (several during rotation). */
  readonly clientIds: readonly string[];
  /** @default 'integration' */
  readonly principal: MachinePrincipal;
  /** Environment variable holding the API key value of the integration's usage plan. @default - no key */
  readonly usageKeyEnv?: string;
  /** @default - tokens are not bound to a certificate */
  readonly certificate?: CertificateBinding;
}

/** Wire form (compact JSON). */
interface EncodedIntegration {
  id: string;
  clients: string[];
  principal?: 'client';
  key?: string;
  cert?: { sha256?: string[]; subject?: string };
}

const INTEGRATION_ID = /^[a-z][a-z0-9-]{0,62}$/;
const CLIENT_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const ENV_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;

/** Encodes the integrations for the {@link AUTHORIZER_ENV.machineIntegrations} environment variable. */
export function encodeIntegrations(rules: readonly IntegrationRule[]): string {
  const encoded: EncodedIntegration[] = rules.map((r) => ({
    id: r.id,
    clients: [...r.clientIds],
    ...(r.principal === 'client' ? { principal: 'client' as const } : {}),
    ...(r.usageKeyEnv !== undefined ? { key: r.usageKeyEnv } : {}),
    ...(r.certificate ? {
      cert: {
        ...(r.certificate.sha256.length > 0 ? { sha256: [...r.certificate.sha256] } : {}),
        ...(r.certificate.subject !== undefined ? { subject: r.certificate.subject } : {}),
      },
    } : {}),
  }));
  return JSON.stringify(encoded);
}

/**
 * Parses and validates {@link AUTHORIZER_ENV.machineIntegrations}. Throws on anything unexpected (the
 * authorizer then fails its init: fail closed). A client id in two integrations is refused: which
 * integration would own its objects?
 */
export function decodeIntegrations(raw: string | undefined): IntegrationRule[] {
  if (raw === undefined || raw.length === 0) return [];
  const name = AUTHORIZER_ENV.machineIntegrations;
  const parsed: unknown = JSON.parse(raw);
  if (!Array.isArray(parsed)) throw new Error(`${name} must be a JSON array`);
  const ids = new Set<string>();
  const clients = new Set<string>();
  return parsed.map((entry: unknown, i): IntegrationRule => {
    const bad = (why: string): Error => new Error(`${name}[${i}]: ${why}`);
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw bad('must be an object');
    const { id, clients: clientIds, principal, key, cert } = entry as Record<string, unknown>;
    if (typeof id !== 'string' || !INTEGRATION_ID.test(id)) throw bad('id must be lower-case letters, digits and hyphens');
    if (ids.has(id)) throw bad(`duplicate integration ${id}`);
    ids.add(id);
    if (!Array.isArray(clientIds) || clientIds.length === 0 || !clientIds.every((c) => typeof c === 'string' && CLIENT_ID.test(c))) {
      throw bad('clients must be a non-empty list of app client ids');
    }
    for (const c of clientIds as string[]) {
      if (clients.has(c)) throw bad(`client ${c} belongs to two integrations`);
      clients.add(c);
    }
    if (principal !== undefined && principal !== 'client') throw bad('principal must be absent or "client"');
    if (key !== undefined && (typeof key !== 'string' || !ENV_NAME.test(key))) throw bad('key must be an environment variable name');
    let certificate: CertificateBinding | undefined;
    if (cert !== undefined) {
      if (cert === null || typeof cert !== 'object' || Array.isArray(cert)) throw bad('cert must be an object');
      const { sha256 = [], subject } = cert as Record<string, unknown>;
      if (!Array.isArray(sha256) || !sha256.every((t) => typeof t === 'string' && SHA256_HEX.test(t))) throw bad('cert.sha256 must be lower-case hex SHA-256 thumbprints');
      if (subject !== undefined && (typeof subject !== 'string' || subject.length === 0)) throw bad('cert.subject must be a distinguished name');
      if (sha256.length === 0 && subject === undefined) throw bad('cert needs sha256 or subject');
      certificate = subject === undefined ? { sha256: sha256 as string[] } : { sha256: sha256 as string[], subject };
    }
    return {
      id,
      clientIds: clientIds as string[],
      principal: principal === 'client' ? 'client' : 'integration',
      ...(key !== undefined ? { usageKeyEnv: key } : {}),
      ...(certificate ? { certificate } : {}),
    };
  });
}

/**
 * A DN in canonical form: `TYPE=value` attributes trimmed, types upper-cased, sorted, joined by a
 * newline. Accepts the RFC 4514 form (`CN=acme,O=Acme GmbH,C=DE`, any order) and Node's
 * `X509Certificate.subject` form (one attribute per line), so configuration and certificate compare
 * equal whatever order either lists the attributes in. Returns `undefined` for a value it cannot
 * read unambiguously (escaped `,` `+` `"` `\`, multi-valued RDNs, an attribute without `=`).
 */
export function canonicalDn(dn: string, separator: ',' | '\n'): string | undefined {
  if (/[\\"+]/.test(dn)) return undefined;
  const parts = dn.split(separator).map((p) => p.trim()).filter((p) => p.length > 0);
  if (parts.length === 0) return undefined;
  const attributes: string[] = [];
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0 || eq === part.length - 1) return undefined;
    attributes.push(`${part.slice(0, eq).trim().toUpperCase()}=${part.slice(eq + 1).trim()}`);
  }
  return attributes.sort().join('\n');
}

/**
 * A SHA-256 thumbprint in the form the authorizer compares: lower-case hex. Accepts hex (with or
 * without `:` separators, any case, as `openssl x509 -fingerprint -sha256` prints it) or the
 * base64url `x5t#S256` form of RFC 8705. `undefined` for anything else.
 */
export function normalizeThumbprint(value: string): string | undefined {
  const hex = value.replace(/:/g, '').toLowerCase();
  if (SHA256_HEX.test(hex)) return hex;
  if (/^[A-Za-z0-9_-]{43}$/.test(value)) {
    const bytes = Buffer.from(value, 'base64url');
    if (bytes.length === 32) return bytes.toString('hex');
  }
  return undefined;
}

/** What a presented certificate is, as far as a binding cares. */
export interface PresentedCertificate {
  /** SHA-256 of the DER encoding, lower-case hex. */
  readonly sha256: string;
  /** Subject in {@link canonicalDn} form (`undefined` if it cannot be read unambiguously). */
  readonly subject?: string;
}

/**
 * Reads the PEM certificate API Gateway passes after it verified the mTLS handshake against the
 * truststore. `undefined` if it is not a parsable X.509 certificate.
 */
export function presentedCertificate(pem: string): PresentedCertificate | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return undefined;
  }
  const subject = canonicalDn(cert.subject, '\n');
  return { sha256: cert.fingerprint256.replace(/:/g, '').toLowerCase(), ...(subject !== undefined ? { subject } : {}) };
}

/** Does a presented certificate satisfy a binding? Every condition given must hold. */
export function certificateMatches(binding: CertificateBinding, cert: PresentedCertificate): boolean {
  if (binding.sha256.length > 0 && !binding.sha256.includes(cert.sha256)) return false;
  if (binding.subject !== undefined && cert.subject !== binding.subject) return false;
  return true;
}
