import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { CreatePaymentBody, IdempotencyKey } from '../schemas/payments';
import { ApiError } from '../../runtime/errors';
import { apiHandler, type ProxyHandler } from '../../runtime/handler';
import { containerDeps, storeDeps, type StoreDeps } from '../payments/payments-store-deps';
import { metrics } from '../../runtime/powertools';

/** Furthest ahead a payment may be scheduled. */
const MAX_SCHEDULE_DAYS = 365;

/**
 * Business rule the schema cannot know: the execution date is today (UTC) or later, within a year.
 * A well-formed date outside that window is a 422, not a 400.
 */
function checkExecutionDate(date: string | undefined, now: Date): void {
  if (date === undefined) return;
  const today = now.toISOString().slice(0, 10);
  const last = new Date(now.getTime() + MAX_SCHEDULE_DAYS * 86_400_000).toISOString().slice(0, 10);
  if (date < today || date > last) {
    throw new ApiError('UNPROCESSABLE', 'The requested execution date must be today or within a year.',
      [{ path: 'body.requestedExecutionDate', message: `Must be between today and ${MAX_SCHEDULE_DAYS} days ahead.` }]);
  }
}

/**
 * `POST /payments` (scope payments/write): creates a payment owned by the caller. Requires an
 * `Idempotency-Key`: a retry with the same key and body returns the same payment (201,
 * `Idempotent-Replayed: true`); the same key with another body is a 409. The stored result is looked
 * up **before** any time-dependent rule: a retry after midnight must learn that its first attempt
 * succeeded (not get a 422 and pay again under a new key).
 */
export function createHandler(deps: () => StoreDeps = containerDeps(() => storeDeps())): ProxyHandler {
  return apiHandler({
    methods: ['POST'],
    authenticated: true,
    body: CreatePaymentBody,
    headers: { 'Idempotency-Key': IdempotencyKey },
  }, async (req) => {
    const d = deps();
    const key = req.headers['Idempotency-Key'] as string;
    const stored = await d.store.replay(req.principal.id, key, req.body);
    const now = d.now();
    if (!stored) checkExecutionDate(req.body.requestedExecutionDate, now);
    const { payment, replayed } = stored ? { payment: stored, replayed: true } : await d.store.create(req.principal.id, key, req.body, now);
    metrics.addMetric(replayed ? 'PaymentReplayed' : 'PaymentCreated', MetricUnit.Count, 1);
    return {
      statusCode: 201,
      body: payment,
      headers: { Location: `/payments/${payment.paymentId}`, 'Idempotent-Replayed': String(replayed) },
    };
  });
}

/** Lambda entry point. */
export const handler = createHandler();
