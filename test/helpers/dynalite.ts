import type { AddressInfo } from 'net';
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PAYMENTS_TABLE } from '../../lambda/example/payments/payments-table';

/** A running dynalite server (a real DynamoDB-compatible HTTP server on loopback) and a client for it. */
export interface LocalDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /** Creates a fresh payments table (same keys and index as `PaymentsData`) and returns its name. */
  createPaymentsTable(): Promise<string>;
  /** Number of items in a table (consistent scan). */
  countItems(tableName: string): Promise<number>;
  stop(): Promise<void>;
}

interface DynaliteServer {
  keepAliveTimeout: number;
  listen(port: number, host: string, cb: (err?: Error) => void): void;
  address(): AddressInfo;
  close(cb: () => void): void;
}

let tableSeq = 0;

/**
 * Starts dynalite in memory on 127.0.0.1 with an ephemeral port. In-memory mode (no `path`) uses
 * `memory-level`, so no native LevelDB build is needed: `npm ci` on a fresh machine is enough even
 * when install scripts are skipped.
 */
export async function startDynalite(): Promise<LocalDynamo> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as (opts: Record<string, unknown>) => DynaliteServer;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // Node's default (5 s) lets the server close an idle keep-alive socket just as the client reuses
  // it (ECONNRESET with maxAttempts 1) when a slow, loaded test pauses between calls.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return {
    endpoint,
    client,
    async createPaymentsTable() {
      const name = `payments-test-${process.pid}-${++tableSeq}`;
      await client.send(new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: PAYMENTS_TABLE.partitionKey, AttributeType: 'S' },
          { AttributeName: PAYMENTS_TABLE.ownerIndexPartitionKey, AttributeType: 'S' },
          { AttributeName: PAYMENTS_TABLE.ownerIndexSortKey, AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: PAYMENTS_TABLE.partitionKey, KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [{
          IndexName: PAYMENTS_TABLE.ownerIndex,
          KeySchema: [
            { AttributeName: PAYMENTS_TABLE.ownerIndexPartitionKey, KeyType: 'HASH' },
            { AttributeName: PAYMENTS_TABLE.ownerIndexSortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        }],
      }));
      return name;
    },
    async countItems(tableName) {
      let count = 0;
      let start: Record<string, never> | undefined;
      do {
        const out = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start, Select: 'COUNT' }));
        count += out.Count ?? 0;
        start = out.LastEvaluatedKey as Record<string, never> | undefined;
      } while (start);
      return count;
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
