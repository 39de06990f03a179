import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PaymentsStore, type DynamoSender } from './payments-store';
import { PAYMENTS_TABLE } from './payments-table';
import { SecretCache, type SecretValueReader } from './secrets';

/** What the payments handlers depend on; tests pass a dynalite client and an in-memory secret reader. */
export interface PaymentsDeps {
  readonly store: PaymentsStore;
  readonly secrets: SecretCache;
  /** ARN of the cursor-signing secret. */
  readonly cursorSecretId: string;
  /** ARN of the processor-webhook secret. */
  readonly webhookSecretId: string;
  /** Clock. */
  readonly now: () => Date;
}

/** Overrides for {@link paymentsDeps}. */
export interface PaymentsDepsOptions {
  readonly dynamo?: DynamoSender;
  readonly secretsClient?: SecretValueReader;
  readonly tableName?: string;
  readonly cursorSecretId?: string;
  readonly webhookSecretId?: string;
  readonly now?: () => Date;
}

/**
 * Builds the dependencies from the environment `lib/` sets, with optional overrides. A missing
 * variable is only an error for the handler that needs it (at its first use), so each function is
 * given only the names of the resources it may touch.
 */
export function paymentsDeps(options: PaymentsDepsOptions = {}): PaymentsDeps {
  const now = options.now ?? (() => new Date());
  return {
    store: new PaymentsStore(options.dynamo ?? new DynamoDBClient({}), options.tableName ?? requireEnv(PAYMENTS_TABLE.tableNameEnv)),
    secrets: new SecretCache({ client: options.secretsClient, now: () => now().getTime() }),
    get cursorSecretId() { return options.cursorSecretId ?? requireEnv(PAYMENTS_TABLE.cursorSecretEnv); },
    get webhookSecretId() { return options.webhookSecretId ?? requireEnv(PAYMENTS_TABLE.webhookSecretEnv); },
    now,
  };
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** Memoises the default dependencies per container: clients and the secret cache outlive invocations. */
export function lazyDeps(make: () => PaymentsDeps): () => PaymentsDeps {
  let deps: PaymentsDeps | undefined;
  return () => (deps ??= make());
}
