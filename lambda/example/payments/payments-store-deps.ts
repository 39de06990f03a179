import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PaymentsStore, type DynamoSender } from './payments-store';
import { PAYMENTS_TABLE } from './payments-table';

/**
 * What a payments handler that only touches the table depends on. Kept apart from
 * `payments-deps.ts` (which adds the secret cache) so that such a handler's bundle never contains the
 * Secrets Manager client: esbuild bundles what a module imports, not what a handler happens to call.
 */
export interface StoreDeps {
  readonly store: PaymentsStore;
  /** Clock. */
  readonly now: () => Date;
}

/** Overrides for {@link storeDeps}; tests pass a dynalite client. */
export interface StoreDepsOptions {
  /** @default - a DynamoDBClient for the function's region */
  readonly dynamo?: DynamoSender;
  /** @default - the `PAYMENTS_TABLE_NAME` variable */
  readonly tableName?: string;
  /** @default - the system clock */
  readonly now?: () => Date;
}

/** Builds the table dependencies from the environment `lib/` sets, with optional overrides. */
export function storeDeps(options: StoreDepsOptions = {}): StoreDeps {
  return {
    store: new PaymentsStore(options.dynamo ?? new DynamoDBClient({}), options.tableName ?? requireEnv(PAYMENTS_TABLE.tableNameEnv)),
    now: options.now ?? (() => new Date()),
  };
}

/** The value of a variable `lib/` sets; its absence is a wiring bug, reported by name. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/**
 * The dependencies of one container, created by `make` **during init** (module scope) when the
 * function's table variable is set, so client construction runs in the init phase rather than in the
 * first request. Without the variable (tests, tooling importing the module) nothing is created until
 * the first call, which then fails with the variable's name.
 */
export function containerDeps<T>(make: () => T): () => T {
  let deps: T | undefined = process.env[PAYMENTS_TABLE.tableNameEnv] ? make() : undefined;
  return () => (deps ??= make());
}
