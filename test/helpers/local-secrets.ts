import { LocalSecretStore, startLocalSecretsManager, type LocalSecretsServer } from '../../lib/local/secrets-manager';

/** One secret's versions by stage. */
export interface LocalSecret {
  readonly current: string;
  readonly previous?: string;
}

export type { LocalSecretsServer };

/**
 * The local runner's Secrets Manager (lib/local/secrets-manager) on loopback, seeded with the given
 * secrets by id (an ARN): the bundled functions from `cdk.out` run unmodified against it — real SDK
 * client, real serialization, real HTTP. Signatures are not checked (no AWS here).
 */
export function startLocalSecrets(secrets: Record<string, LocalSecret>): Promise<LocalSecretsServer> {
  const store = new LocalSecretStore(Object.entries(secrets).map(([arn, s]) => ({
    arn, current: s.current, ...(s.previous !== undefined ? { previous: s.previous } : {}),
  })));
  return startLocalSecretsManager(store);
}
