import type { AddressInfo } from 'net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

interface DynaliteServer {
  keepAliveTimeout: number;
  listen(port: number, host: string, cb: (err?: Error) => void): void;
  address(): AddressInfo;
  close(cb: () => void): void;
}

/** A running dynalite server (a real DynamoDB-compatible HTTP server on loopback) and a client for it. */
export interface DynaliteHandle {
  /** `http://127.0.0.1:<port>`: set as `AWS_ENDPOINT_URL_DYNAMODB` for unmodified SDK clients. */
  readonly endpoint: string;
  /** A client for the server (fake credentials, one attempt). */
  readonly client: DynamoDBClient;
  stop(): Promise<void>;
}

/**
 * Starts dynalite in memory on 127.0.0.1 (ephemeral port unless given). In-memory mode (no `path`)
 * uses `memory-level`, so no native LevelDB build is needed: `npm ci` on a fresh machine is enough
 * even when install scripts are skipped.
 */
export async function startDynalite(options: { port?: number; region?: string } = {}): Promise<DynaliteHandle> {
  // dynalite has no types and is loaded only when a local run or a test needs it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as (opts: Record<string, unknown>) => DynaliteServer;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // Node's default (5 s) lets the server close an idle keep-alive socket just as a client reuses it
  // (ECONNRESET with maxAttempts 1) when a slow, loaded caller pauses between calls.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve, reject) => { server.listen(options.port ?? 0, '127.0.0.1', (err) => { if (err) reject(err); else resolve(); }); });
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: options.region ?? 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return {
    endpoint,
    client,
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => { server.close(() => { resolve(); }); });
    },
  };
}

/**
 * The CreateTable input for an `AWS::DynamoDB::Table`'s resolved properties: keys, attribute
 * definitions, indexes and billing — what shapes the data. Encryption, PITR, deletion protection
 * and streams are not emulated (dynalite stores in memory) and are left out.
 */
export function createTableInput(tableName: string, props: Record<string, unknown>): CreateTableCommandInput {
  const provisioned = props.BillingMode !== 'PAY_PER_REQUEST';
  const throughput = (p: unknown): { ReadCapacityUnits: number; WriteCapacityUnits: number } => {
    const t = (p ?? {}) as { ReadCapacityUnits?: unknown; WriteCapacityUnits?: unknown };
    return { ReadCapacityUnits: Number(t.ReadCapacityUnits ?? 5), WriteCapacityUnits: Number(t.WriteCapacityUnits ?? 5) };
  };
  type Index = { IndexName: string; KeySchema: unknown; Projection: unknown; ProvisionedThroughput?: unknown };
  const gsis = (props.GlobalSecondaryIndexes as Index[] | undefined)?.map((i) => ({
    IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection,
    ...(provisioned ? { ProvisionedThroughput: throughput(i.ProvisionedThroughput) } : {}),
  }));
  const lsis = (props.LocalSecondaryIndexes as Index[] | undefined)?.map((i) => ({ IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection }));
  return {
    TableName: tableName,
    AttributeDefinitions: props.AttributeDefinitions,
    KeySchema: props.KeySchema,
    BillingMode: provisioned ? 'PROVISIONED' : 'PAY_PER_REQUEST',
    ...(provisioned ? { ProvisionedThroughput: throughput(props.ProvisionedThroughput) } : {}),
    ...(gsis?.length ? { GlobalSecondaryIndexes: gsis } : {}),
    ...(lsis?.length ? { LocalSecondaryIndexes: lsis } : {}),
  } as CreateTableCommandInput;
}

/** Creates a table in dynalite. */
export async function createTable(client: DynamoDBClient, input: CreateTableCommandInput): Promise<void> {
  await client.send(new CreateTableCommand(input));
}
