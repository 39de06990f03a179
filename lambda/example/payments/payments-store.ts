import { createHash } from 'crypto';
import {
  type AttributeValue, ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand,
  ScanCommand, UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { CreatePaymentInput, PaymentStatus } from '../schemas/payments';
import type { CursorKey } from '../../runtime/cursor';
import { ApiError } from '../../runtime/errors';
import { maskIban } from '../../runtime/schemas';
import { PAYMENTS_TABLE } from './payments-table';

/** The subset of the DynamoDB client the store uses (a real client in production and in tests against dynalite). */
export type DynamoSender = Pick<DynamoDBClient, 'send'>;

/** A payment as the API returns it. */
export interface PaymentView {
  readonly paymentId: string;
  readonly status: PaymentStatus;
  readonly amount: number;
  readonly currency: string;
  readonly creditor: { readonly name: string; readonly iban: string };
  readonly reference?: string;
  readonly requestedExecutionDate?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A page of payments and the DynamoDB key to continue from. */
export interface PaymentPageResult {
  readonly items: PaymentView[];
  readonly lastKey?: CursorKey;
}

/** JSON with object keys sorted at every level: equal values hash equally whatever the client's key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Hash of a create request's canonical body: a replay must carry the same one. */
function requestHashOf(input: CreatePaymentInput): string {
  return createHash('sha256').update(canonicalJson(input)).digest('base64url');
}

/**
 * The payment id of (owner, idempotency key): a UUIDv8 (RFC 9562) from SHA-256. Deriving it makes
 * "create once" a single conditional `PutItem` on the payment itself — no second idempotency item,
 * no transaction, and no window in which a crash leaves one without the other. The owner is part
 * of the hash, so two callers using the same key never meet.
 */
export function paymentIdFor(ownerId: string, idempotencyKey: string): string {
  const h = createHash('sha256').update(`payment-id.v1\0${ownerId}\0${idempotencyKey}`).digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x80;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function s(item: Record<string, AttributeValue>, name: string): string | undefined {
  const v = item[name];
  return v && 'S' in v ? v.S : undefined;
}

function toView(item: Record<string, AttributeValue>): PaymentView {
  const reference = s(item, 'reference');
  const requestedExecutionDate = s(item, 'requestedExecutionDate');
  return {
    paymentId: s(item, 'paymentId') as string,
    status: s(item, 'status') as PaymentStatus,
    amount: Number(item.amount?.N),
    currency: s(item, 'currency') as string,
    creditor: { name: s(item, 'creditorName') as string, iban: s(item, 'creditorIban') as string },
    ...(reference !== undefined ? { reference } : {}),
    ...(requestedExecutionDate !== undefined ? { requestedExecutionDate } : {}),
    createdAt: s(item, 'createdAt') as string,
    updatedAt: s(item, 'updatedAt') as string,
  };
}

function toKey(k: CursorKey | undefined): Record<string, AttributeValue> | undefined {
  if (!k) return undefined;
  return Object.fromEntries(Object.entries(k).map(([name, v]) => [name, { S: v }]));
}

function fromKey(k: Record<string, AttributeValue> | undefined): CursorKey | undefined {
  if (!k) return undefined;
  return Object.fromEntries(Object.entries(k).map(([name, v]) => [name, (v as { S: string }).S]));
}

/** The payments table's data access, one method per use case. */
export class PaymentsStore {
  constructor(private readonly db: DynamoSender, private readonly tableName: string) {}

  /**
   * The stored result of (owner, idempotency key), if that request was made before: the payment
   * when the body is the same (a replay), a 409 when it differs, `undefined` when the key is new.
   * Read first, so a retry gets its original answer whatever has changed since (the date, a rule).
   */
  public async replay(ownerId: string, idempotencyKey: string, input: CreatePaymentInput): Promise<PaymentView | undefined> {
    const existing = await this.getItem(paymentIdFor(ownerId, idempotencyKey));
    if (!existing) return undefined;
    return this.replayOf(existing, ownerId, requestHashOf(input));
  }

  /**
   * Creates the payment for (owner, idempotency key) exactly once. A retry with the same body returns
   * the stored payment (`replayed`); the same key with a different body is a 409.
   */
  public async create(ownerId: string, idempotencyKey: string, input: CreatePaymentInput, now: Date): Promise<{ payment: PaymentView; replayed: boolean }> {
    const paymentId = paymentIdFor(ownerId, idempotencyKey);
    const requestHash = requestHashOf(input);
    const at = now.toISOString();
    const item: Record<string, AttributeValue> = {
      [PAYMENTS_TABLE.partitionKey]: { S: `PAYMENT#${paymentId}` },
      paymentId: { S: paymentId },
      [PAYMENTS_TABLE.ownerIndexPartitionKey]: { S: ownerId },
      [PAYMENTS_TABLE.ownerIndexSortKey]: { S: at },
      updatedAt: { S: at },
      status: { S: 'pending' },
      amount: { N: String(input.amount) },
      currency: { S: input.currency },
      creditorName: { S: input.creditor.name },
      creditorIban: { S: input.creditor.iban },
      requestHash: { S: requestHash },
      ...(input.reference !== undefined ? { reference: { S: input.reference } } : {}),
      ...(input.requestedExecutionDate !== undefined ? { requestedExecutionDate: { S: input.requestedExecutionDate } } : {}),
    };
    try {
      await this.db.send(new PutItemCommand({
        TableName: this.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PAYMENTS_TABLE.partitionKey },
      }));
      return { payment: toView(item), replayed: false };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException) && (err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
    }
    // A concurrent request with the same key won the race.
    const existing = await this.getItem(paymentId);
    if (!existing) throw new ApiError('CONFLICT', 'This Idempotency-Key was already used with a different request.');
    return { payment: this.replayOf(existing, ownerId, requestHash), replayed: true };
  }

  private replayOf(existing: Record<string, AttributeValue>, ownerId: string, requestHash: string): PaymentView {
    if (s(existing, 'ownerId') !== ownerId || s(existing, 'requestHash') !== requestHash) {
      throw new ApiError('CONFLICT', 'This Idempotency-Key was already used with a different request.');
    }
    return toView(existing);
  }

  /** The payment if it exists **and** belongs to `ownerId` (anyone else gets the same answer as for a missing one). */
  public async getOwned(paymentId: string, ownerId: string): Promise<PaymentView | undefined> {
    const item = await this.getItem(paymentId);
    return item && s(item, 'ownerId') === ownerId ? toView(item) : undefined;
  }

  /** One owner's payments, newest first. */
  public async listByOwner(ownerId: string, limit: number, startKey?: CursorKey): Promise<PaymentPageResult> {
    const out = await this.db.send(new QueryCommand({
      TableName: this.tableName,
      IndexName: PAYMENTS_TABLE.ownerIndex,
      KeyConditionExpression: '#o = :o',
      ExpressionAttributeNames: { '#o': PAYMENTS_TABLE.ownerIndexPartitionKey },
      ExpressionAttributeValues: { ':o': { S: ownerId } },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: toKey(startKey),
    }));
    return { items: (out.Items ?? []).map(toView), lastKey: fromKey(out.LastEvaluatedKey) };
  }

  /**
   * Every payment (admin), in table order, with each creditor IBAN masked ({@link maskIban}): an
   * administrator sees which payments exist, not every customer's account numbers (the full IBAN
   * is only in its owner's own reads).
   */
  public async listAll(limit: number, startKey?: CursorKey): Promise<PaymentPageResult> {
    const out = await this.db.send(new ScanCommand({
      TableName: this.tableName,
      Limit: limit,
      ExclusiveStartKey: toKey(startKey),
    }));
    const items = (out.Items ?? []).map(toView).map((p) => ({ ...p, creditor: { ...p.creditor, iban: maskIban(p.creditor.iban) } }));
    return { items, lastKey: fromKey(out.LastEvaluatedKey) };
  }

  /**
   * Applies a processor outcome: `pending` -> `settled`/`failed`, once. A replay of the same event
   * is a no-op (`duplicate`); a different outcome for a payment already decided is a 409.
   */
  public async applyOutcome(paymentId: string, status: Exclude<PaymentStatus, 'pending'>, eventId: string, now: Date): Promise<'applied' | 'duplicate'> {
    try {
      await this.db.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: { [PAYMENTS_TABLE.partitionKey]: { S: `PAYMENT#${paymentId}` } },
        UpdateExpression: 'SET #status = :status, updatedAt = :now, lastEventId = :event',
        ConditionExpression: 'attribute_exists(#pk) AND #status = :pending',
        ExpressionAttributeNames: { '#pk': PAYMENTS_TABLE.partitionKey, '#status': 'status' },
        ExpressionAttributeValues: { ':status': { S: status }, ':now': { S: now.toISOString() }, ':event': { S: eventId }, ':pending': { S: 'pending' } },
      }));
      return 'applied';
    } catch (err) {
      if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
    }
    const existing = await this.getItem(paymentId);
    if (!existing) throw new ApiError('NOT_FOUND');
    if (s(existing, 'lastEventId') === eventId && s(existing, 'status') === status) return 'duplicate';
    throw new ApiError('CONFLICT', 'The payment already has a final status.');
  }

  private async getItem(paymentId: string): Promise<Record<string, AttributeValue> | undefined> {
    const out = await this.db.send(new GetItemCommand({
      TableName: this.tableName,
      Key: { [PAYMENTS_TABLE.partitionKey]: { S: `PAYMENT#${paymentId}` } },
      ConsistentRead: true,
    }));
    return out.Item;
  }
}
