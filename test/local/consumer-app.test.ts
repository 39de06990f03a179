import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { startLocalRun, type LocalEndpoints, type LocalRun } from '../../lib/local/runner';
import { buildConsumerApp } from '../fixtures/consumer-app/app';
import { call, errorCode, machineToken, synthAssembly } from './local-helpers';

// The runner is not only for the example: a second app of another domain (a book catalogue with its
// own route table, scopes, handler, table and a raw method), built from the library's public entry,
// synthesized here, runs locally with routes, functions, pool, clients and tables learned from its
// template. Its handler crashes, throws and times out on request, to check the 502/504 paths.

jest.setTimeout(120_000);

let run: LocalRun;
let e: LocalEndpoints;
let token: string;

beforeAll(async () => {
  run = await startLocalRun({
    assemblyDir: synthAssembly(buildConsumerApp), port: 0, endpointsFile: false,
    accessLog: () => undefined, functionOutput: () => undefined,
  });
  e = run.endpoints;
  token = await machineToken(e, ['books/read']);
});

afterAll(async () => {
  await run.close();
});

test('everything is learned from the consumer\'s template: stage, region, pool, clients, scopes, table, users', () => {
  expect(e.apiUrl).toMatch(/\/live$/);
  expect(e.region).toBe('eu-central-1');
  expect(e.issuer).toMatch(/^https:\/\/cognito-idp\.eu-central-1\.amazonaws\.com\/eu-central-1_/);
  expect(e.machineClient?.scopes).toEqual(['books/read']);
  expect(e.publicClient?.redirectUri).toBe('https://books.example.org/callback');
  expect(e.allowedOrigins).toEqual(['https://books.example.org']);
  expect(e.tables.map((t) => t.logicalId)).toEqual([expect.stringMatching(/^Books/)]);
  expect(e.users.length).toBeGreaterThanOrEqual(1);
});

test('GET /books/{bookId}: 401 without a token; with one, the handler reads dynalite and sees the authorizer context', async () => {
  const dynamo = new DynamoDBClient({ endpoint: e.dynamodbEndpoint, region: e.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await dynamo.send(new PutItemCommand({ TableName: e.tables[0]?.tableName, Item: { isbn: { S: '9780131103627' }, title: { S: 'The C Programming Language' } } }));
  dynamo.destroy();

  expect((await call(`${e.apiUrl}/books/9780131103627`)).status).toBe(401);
  const found = await call(`${e.apiUrl}/books/9780131103627`, { headers: { Authorization: `Bearer ${token}` } });
  expect(found.status).toBe(200);
  expect(found.json).toEqual({ isbn: '9780131103627', title: 'The C Programming Language', readBy: e.machineClient?.clientId, scopes: 'books/read' });
  const missing = await call(`${e.apiUrl}/books/0000000000`, { headers: { Authorization: `Bearer ${token}` } });
  expect(missing.status).toBe(404);
});

test('a crashing function is a 502 from the gateway response; the worker is replaced and the next request succeeds', async () => {
  const first = await call(`${e.apiUrl}/ping`);
  expect(first.status).toBe(200);
  const worker = [...run.workers.values()].find((w) => /Books/i.test(w.spec.logicalId));
  const starts = worker?.starts ?? 0;

  const crashed = await call(`${e.apiUrl}/ping?fault=crash`);
  expect(crashed.status).toBe(502);
  expect(errorCode(crashed)).toBe('BAD_GATEWAY');
  const after = await call(`${e.apiUrl}/ping`);
  expect(after.status).toBe(200);
  expect(after.json?.pid).not.toBe(first.json?.pid);
  expect(worker?.starts).toBe(starts + 1);
});

test('a function that throws is a 502 (INTEGRATION_FAILURE), the same worker keeps serving', async () => {
  const thrown = await call(`${e.apiUrl}/ping?fault=throw`);
  expect(thrown.status).toBe(502);
  expect(errorCode(thrown)).toBe('BAD_GATEWAY');
  expect((await call(`${e.apiUrl}/ping`)).status).toBe(200);
});

test('a function slower than its method\'s integration timeout is a 504 (INTEGRATION_TIMEOUT)', async () => {
  const started = performance.now();
  const slow = await call(`${e.apiUrl}/slow`);
  expect(slow.status).toBe(504);
  expect(errorCode(slow)).toBe('GATEWAY_TIMEOUT');
  expect(performance.now() - started).toBeLessThan(2400);
});
