import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { startDynalite as startDynaliteServer } from '../../lib/local/dynamo';
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

let tableSeq = 0;

/**
 * Starts dynalite in memory on 127.0.0.1 (the local runner's own server, lib/local/dynamo) with
 * helpers for the payments table.
 */
export async function startDynalite(): Promise<LocalDynamo> {
  const server = await startDynaliteServer();
  const { endpoint, client } = server;
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
    stop: () => server.stop(),
  };
}
