import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger, metrics } from './powertools';
import { SECRET_FETCH_ERROR_METRIC } from './secret-metrics';
// Pure constants shared with lib/ (which sets the variable): one number, no twin.
import { DEFAULT_PREVIOUS_GRACE_MS, PREVIOUS_GRACE_ENV } from './limits';

/** The one call the cache makes; a test passes an in-memory implementation. */
export interface SecretValueReader {
  send(command: GetSecretValueCommand): Promise<{ SecretString?: string; CreatedDate?: Date }>;
}

/** The versions of a secret: during rotation a signature made with the previous value still verifies, for a while. */
export interface SecretVersions {
  /** `AWSCURRENT`: used to sign. */
  readonly current: string;
  /**
   * `CreatedDate` of the AWSCURRENT version (epoch ms): when the value before it became previous —
   * a rotation creates the new version moments before it moves AWSCURRENT to it, and `put-secret-value`
   * does both at once. Undefined if the service returned none (the previous value is then refused).
   */
  readonly currentSince?: number;
  /** `AWSPREVIOUS`, if the secret was ever rotated and not revoked: accepted within the grace window, never used to sign. */
  readonly previous?: string;
}

export { DEFAULT_PREVIOUS_GRACE_MS, PREVIOUS_GRACE_ENV };

/** The grace window from {@link PREVIOUS_GRACE_ENV}, or the default when it is unset or not a whole number of seconds. */
export function previousGraceMsFromEnv(): number {
  const raw = process.env[PREVIOUS_GRACE_ENV];
  const seconds = raw === undefined || raw === '' ? NaN : Number(raw);
  return Number.isInteger(seconds) && seconds >= 0 ? seconds * 1000 : DEFAULT_PREVIOUS_GRACE_MS;
}

/** Default cache lifetime: rotation is picked up within 5 minutes, and a busy function reads the secret ~12 times an hour. */
export const DEFAULT_SECRET_TTL_MS = 5 * 60 * 1000;

/** Shortest secret value accepted as an HMAC key (bytes of UTF-8): 256 bits. */
export const MIN_SECRET_LENGTH = 32;

/** Options of {@link SecretCache}. */
export interface SecretCacheOptions {
  /** @default - a SecretsManagerClient for the function's region */
  readonly client?: SecretValueReader;
  /** @default DEFAULT_SECRET_TTL_MS */
  readonly ttlMs?: number;
  /** Clock (tests). @default Date.now */
  readonly now?: () => number;
  /**
   * How long AWSPREVIOUS is accepted after the rotation that made it previous (ms).
   * @default - `SECRET_PREVIOUS_GRACE_SECONDS`, else DEFAULT_PREVIOUS_GRACE_MS (24 h)
   */
  readonly previousGraceMs?: number;
}

interface Entry {
  readonly expires: number;
  readonly value: Promise<SecretVersions>;
}

/**
 * Reads secret values from Secrets Manager once per TTL and container (not per request), with
 * concurrent callers sharing one in-flight read. A failed read is not cached. Values are only ever
 * returned to the caller: nothing here logs them.
 */
export class SecretCache {
  private readonly entries = new Map<string, Entry>();
  private readonly client: SecretValueReader;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly previousGraceMs: number;

  constructor(options: SecretCacheOptions = {}) {
    // Created with the cache (at module scope in the handlers: the init phase), not on the first read.
    this.client = options.client ?? new SecretsManagerClient({});
    this.ttlMs = options.ttlMs ?? DEFAULT_SECRET_TTL_MS;
    this.now = options.now ?? Date.now;
    this.previousGraceMs = options.previousGraceMs ?? previousGraceMsFromEnv();
  }

  /** `AWSCURRENT` and (when it exists) `AWSPREVIOUS` of a secret. */
  public versions(secretId: string): Promise<SecretVersions> {
    const cached = this.entries.get(secretId);
    if (cached && cached.expires > this.now()) return cached.value;
    const value = this.load(secretId);
    this.entries.set(secretId, { expires: this.now() + this.ttlMs, value });
    value.catch(() => {
      this.entries.delete(secretId);
      // Counted once per failed fetch; the alarm on it pages before every request needing the secret fails.
      metrics.addMetric(SECRET_FETCH_ERROR_METRIC, MetricUnit.Count, 1);
    });
    return value;
  }

  /**
   * Starts reading a secret now (during init) so the first request finds it cached. Fire and
   * forget: a failure is logged by error name only (never a value, never the SDK's message) and the
   * failed read is not cached, so the first request that needs the secret reads it again.
   */
  public prefetch(secretId: string): void {
    this.versions(secretId).catch((err: unknown) => {
      logger.warn('Secret prefetch failed; the first request will read it', { errorName: err instanceof Error ? err.name : typeof err });
    });
  }

  /**
   * Every value accepted now, current first (for verifying signatures): AWSCURRENT, and AWSPREVIOUS
   * only until the grace window after the rotation that made it previous has passed. Judged at each
   * call with the clock, not when the versions were cached. Revoking at once is removing the
   * AWSPREVIOUS stage (docs/handlers.md, runbook): refused from the next read (at most the cache TTL).
   */
  public async acceptedValues(secretId: string): Promise<string[]> {
    const v = await this.versions(secretId);
    return v.previous !== undefined && v.previous !== v.current && this.inGrace(v) ? [v.current, v.previous] : [v.current];
  }

  private inGrace(v: SecretVersions): boolean {
    // No date means no proof of when the rotation happened: fail closed.
    return v.currentSince !== undefined && this.now() < v.currentSince + this.previousGraceMs;
  }

  private async load(secretId: string): Promise<SecretVersions> {
    const current = await this.read(secretId, 'AWSCURRENT');
    if (current === undefined) throw new Error('secret has no AWSCURRENT value');
    let previous: string | undefined;
    try {
      previous = (await this.read(secretId, 'AWSPREVIOUS'))?.value;
    } catch (err) {
      // A secret never rotated (or whose previous value was revoked) has no AWSPREVIOUS: ResourceNotFound.
      if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
    }
    const since = current.created?.getTime();
    return {
      current: current.value,
      ...(since !== undefined && Number.isFinite(since) ? { currentSince: since } : {}),
      ...(previous !== undefined ? { previous } : {}),
    };
  }

  private async read(secretId: string, stage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<{ value: string; created?: Date } | undefined> {
    const out = await this.client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
    const value = out.SecretString;
    if (value === undefined) return undefined;
    if (Buffer.byteLength(value, 'utf8') < MIN_SECRET_LENGTH) throw new Error(`secret ${stage} value is shorter than ${MIN_SECRET_LENGTH} bytes`);
    return { value, ...(out.CreatedDate instanceof Date ? { created: out.CreatedDate } : {}) };
  }
}
