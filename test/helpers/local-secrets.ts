import { LocalSecretStore, startLocalSecretsManager } from '../../lib/local/secrets-manager';

/** One secret's versions by stage, as a test seeds it. */
export interface LocalSecret {
  readonly current: string;
  readonly previous?: string;
  /** `CreatedDate` of the AWSCURRENT version (when the previous value became previous). @default - the server's clock at start */
  readonly rotatedAt?: Date;
  /** What `DescribeSecret` answers for `RotationEnabled`. @default false */
  readonly rotationEnabled?: boolean;
}

/** Options of {@link startLocalSecrets}. */
export interface LocalSecretsOptions {
  /** The server's clock: `CreatedDate` of versions it creates. @default - the system clock */
  readonly now?: () => Date;
}

/** A running local Secrets Manager endpoint. */
export interface LocalSecretsServer {
  /** `http://127.0.0.1:<port>`: set as `AWS_ENDPOINT_URL_SECRETS_MANAGER` for unmodified SDK clients. */
  readonly endpoint: string;
  /** GetSecretValue calls received (secret id and stage), to prove caching from the outside. */
  readonly calls: { secretId: string; stage: string }[];
  /** Version id -> stages of a secret (what DescribeSecret returns, plus unlabelled versions). */
  stagesOf(secretId: string): Record<string, string[]>;
  /** What `RotateSecret` does before it invokes the rotation function: version `token`, AWSPENDING, no value yet. */
  beginRotation(secretId: string, token: string): void;
  stop(): Promise<void>;
}

/**
 * The local runner's Secrets Manager (lib/local/secrets-manager: versions, staging labels, creation
 * dates, the rotation protocol's operations) on loopback, seeded with the given secrets by id (an
 * ARN): bundled functions run unmodified against it — real SDK client, real serialization, real HTTP.
 */
export async function startLocalSecrets(secrets: Record<string, LocalSecret>, options: LocalSecretsOptions = {}): Promise<LocalSecretsServer> {
  const store = new LocalSecretStore(Object.entries(secrets).map(([arn, s]) => ({
    arn,
    current: s.current,
    ...(s.previous !== undefined ? { previous: s.previous } : {}),
    ...(s.rotatedAt !== undefined ? { currentCreated: s.rotatedAt } : {}),
    rotationEnabled: s.rotationEnabled ?? false,
  })), options.now);
  const server = await startLocalSecretsManager(store);
  return {
    endpoint: server.endpoint,
    calls: server.calls,
    stagesOf: (secretId) => store.stagesOf(secretId),
    beginRotation: (secretId, token) => { store.beginRotation(secretId, token); },
    stop: () => server.stop(),
  };
}
