/**
 * The payments table's layout: pure data shared by the handlers (`lambda/`) and the table
 * definition (`lib/`), so both always agree on key and index names.
 *
 * | item | `pk` | other keys |
 * |---|---|---|
 * | payment | `PAYMENT#<paymentId>` | `ownerId` + `createdAt` (index {@link OWNER_INDEX}) |
 */
export const PAYMENTS_TABLE = Object.freeze({
  /** Partition key (string); the table has no sort key. */
  partitionKey: 'pk',
  /** Global secondary index listing one owner's payments, newest first. */
  ownerIndex: 'byOwner',
  ownerIndexPartitionKey: 'ownerId',
  ownerIndexSortKey: 'createdAt',
  /** Environment variable holding the table name. */
  tableNameEnv: 'PAYMENTS_TABLE_NAME',
  /** Environment variable holding the ARN of the cursor-signing secret. */
  cursorSecretEnv: 'CURSOR_SECRET_ARN',
  /** Environment variable holding the ARN of the processor-webhook secret. */
  webhookSecretEnv: 'WEBHOOK_SECRET_ARN',
} as const);
