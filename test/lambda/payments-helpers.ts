import { readFileSync } from 'fs';
import * as path from 'path';
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { paymentsDeps, type PaymentsDeps } from '../../lambda/example/payments/payments-deps';
import { reloadAllowedOrigins } from '../../lambda/runtime/http';
import type { SecretValueReader } from '../../lambda/runtime/secrets';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';

const FIXTURE = JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'events', 'apigw-rest-proxy.json'), 'utf8')) as APIGatewayProxyEvent;

export const ORIGIN = 'https://app.example.com';
export const CURSOR_SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cursor-AbCdEf';
export const WEBHOOK_SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhook-AbCdEf';

/** An authorizer context as the REQUEST authorizer fills it (lambda/runtime/authorizer-context.ts). */
export function authorizerFor(principalId: string, opts: { scopes?: string; groups?: string; type?: 'user' | 'machine' } = {}): Record<string, unknown> {
  return {
    principalId, sub: principalId, clientId: 'client123', scopes: opts.scopes ?? 'payments/read payments/write',
    groups: opts.groups ?? '', principalType: opts.type ?? 'user',
  };
}

/** A real API Gateway REST proxy event (from the fixture), adjusted for one request. */
export function proxyEvent(method: string, resource: string, p: {
  path?: string; body?: string | null; headers?: Record<string, string>; query?: Record<string, string> | null;
  pathParameters?: Record<string, string> | null; authorizer?: Record<string, unknown> | null; requestId?: string;
} = {}): APIGatewayProxyEvent {
  const event = structuredClone(FIXTURE);
  event.httpMethod = method;
  event.resource = resource;
  event.path = p.path ?? resource;
  event.body = p.body ?? null;
  event.isBase64Encoded = false;
  event.headers = { Origin: ORIGIN, ...(p.headers ?? {}) };
  event.multiValueHeaders = Object.fromEntries(Object.entries(event.headers).map(([k, v]) => [k, [v as string]]));
  event.queryStringParameters = p.query ?? null;
  event.multiValueQueryStringParameters = p.query ? Object.fromEntries(Object.entries(p.query).map(([k, v]) => [k, [v]])) : null;
  event.pathParameters = p.pathParameters ?? null;
  event.requestContext.httpMethod = method;
  event.requestContext.resourcePath = resource;
  event.requestContext.requestId = p.requestId ?? 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef';
  event.requestContext.authorizer = (p.authorizer ?? null) as never;
  return event;
}

/** One secret in {@link FakeSecrets}: its values by stage and when AWSCURRENT was created (made the old value previous). */
export interface FakeSecret {
  readonly current: string;
  readonly previous?: string;
  /** `CreatedDate` of the AWSCURRENT version. @default - when the FakeSecrets was constructed */
  readonly rotatedAt?: Date;
}

/**
 * In-memory Secrets Manager (GetSecretValue by stage only, with the version's `CreatedDate` as the
 * service returns it): the one AWS service that cannot run in-process here. Counts calls so tests
 * can prove the cache.
 */
export class FakeSecrets implements SecretValueReader {
  public calls = 0;
  private readonly createdAt = new Date();
  constructor(public readonly values: Record<string, FakeSecret>) {}
  send(command: GetSecretValueCommand): Promise<{ SecretString?: string; CreatedDate?: Date; VersionStages?: string[] }> {
    this.calls++;
    const { SecretId, VersionStage } = command.input;
    const v = this.values[SecretId as string];
    const value = VersionStage === 'AWSPREVIOUS' ? v?.previous : v?.current;
    if (value === undefined) {
      const err = new Error('not found');
      err.name = 'ResourceNotFoundException';
      return Promise.reject(err);
    }
    const current = VersionStage !== 'AWSPREVIOUS';
    // The previous version was created before the current one (its exact date does not matter to the grace).
    const created = current ? (v?.rotatedAt ?? this.createdAt) : new Date((v?.rotatedAt ?? this.createdAt).getTime() - 30 * 86_400_000);
    return Promise.resolve({ SecretString: value, CreatedDate: created, VersionStages: [current ? 'AWSCURRENT' : 'AWSPREVIOUS'] });
  }
}

export const CURSOR_KEY = 'c'.repeat(20) + 'CursorKeyCurrent0123456789abcdefghij';
export const WEBHOOK_KEY = 'w'.repeat(20) + 'WebhookKeyCurrent0123456789abcdefghi';

/** Dependencies wired to dynalite and the in-memory secrets. */
export function testDeps(dynamo: LocalDynamo, tableName: string, secrets: FakeSecrets, now: () => Date = () => new Date()): PaymentsDeps {
  return paymentsDeps({
    dynamo: dynamo.client, tableName, secretsClient: secrets, cursorSecretId: CURSOR_SECRET_ID, webhookSecretId: WEBHOOK_SECRET_ID, now,
  });
}

export function defaultSecrets(): FakeSecrets {
  return new FakeSecrets({ [CURSOR_SECRET_ID]: { current: CURSOR_KEY }, [WEBHOOK_SECRET_ID]: { current: WEBHOOK_KEY } });
}

/** A valid create-payment body. */
export function validPayment(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    amount: 12345, currency: 'EUR', creditor: { name: 'ACME GmbH', iban: 'DE89370400440532013000' }, reference: 'Invoice 42',
    ...overrides,
  };
}

/**
 * Registers the suite's setup: the handlers' environment (allowed origin, metrics namespace) and a real dynalite
 * server, stopped after the suite. Returns the running server (valid inside tests).
 */
export function useDynaliteSuite(): () => LocalDynamo {
  let dynamo: LocalDynamo | undefined;
  beforeAll(async () => {
    process.env.ALLOWED_ORIGINS = ORIGIN;
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'Test';
    reloadAllowedOrigins();
    dynamo = await startDynalite();
  });
  afterAll(async () => { await dynamo?.stop(); });
  return () => {
    if (!dynamo) throw new Error('dynalite is not started: call inside a test');
    return dynamo;
  };
}

/** The JSON body of a handler result. */
export function json(res: APIGatewayProxyResult): Record<string, unknown> {
  return JSON.parse(res.body) as Record<string, unknown>;
}
