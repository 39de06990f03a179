import { execFileSync } from 'child_process';
import { createHash, X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** A client certificate as a partner would present it over mutual TLS. */
export interface TestCertificate {
  /** PEM, as API Gateway passes it in `requestContext.identity.clientCert.clientCertPem`. */
  readonly pem: string;
  /** SHA-256 of the DER encoding, lower-case hex (computed here independently of the code under test). */
  readonly sha256: string;
  /** The same thumbprint in RFC 8705's `x5t#S256` form (base64url). */
  readonly x5tS256: string;
  /** Subject as `openssl` was told to write it, RFC 4514 order reversed (`/C=DE/O=.../CN=...`). */
  readonly subject: string;
}

/**
 * Real X.509 certificates made with `openssl` in a temp dir: a private CA (the mTLS truststore) and
 * client certificates it signs. Nothing is mocked; the authorizer reads them with node:crypto.
 */
export class TestCertificateAuthority {
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtls-ca-'));
  private serial = 1;

  constructor() {
    this.openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', this.file('ca.key'), '-out', this.file('ca.pem'),
      '-days', '2', '-subj', '/C=DE/O=Test Truststore CA/CN=test-ca']);
  }

  /** A client certificate with the given subject (`/C=DE/O=Acme GmbH/CN=acme-payments`), signed by this CA. */
  issue(name: string, subject: string): TestCertificate {
    const key = this.file(`${name}.key`);
    const csr = this.file(`${name}.csr`);
    const out = this.file(`${name}.pem`);
    this.openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', subject]);
    this.openssl(['x509', '-req', '-in', csr, '-CA', this.file('ca.pem'), '-CAkey', this.file('ca.key'),
      '-set_serial', String(this.serial++), '-days', '2', '-out', out]);
    const pem = fs.readFileSync(out, 'utf8');
    const der = new X509Certificate(pem).raw;
    const digest = createHash('sha256').update(der).digest();
    return { pem, sha256: digest.toString('hex'), x5tS256: digest.toString('base64url'), subject };
  }

  /** The CA certificate (a truststore bundle would hold it). */
  get caPem(): string {
    return fs.readFileSync(this.file('ca.pem'), 'utf8');
  }

  /** Deletes the temp dir (keys included). */
  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private file(name: string): string {
    return path.join(this.dir, name);
  }

  private openssl(args: string[]): void {
    execFileSync('openssl', args, { stdio: 'ignore' });
  }
}
