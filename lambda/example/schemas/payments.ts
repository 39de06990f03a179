import * as z from 'zod/mini';
import {
  amountWithinCurrencyLimit, boundedText, Currency, Cursor, Iban, IsoDate, IsoDateTime, MaskedIban, MinorUnits, PageLimit, Uuid,
} from '../../runtime/schemas';

/**
 * The payments API's schemas: one per route input. The single source for the handler's runtime
 * validation, the API Gateway request models (`lib/constructs/secure-rest-api.ts`) and the OpenAPI
 * document (`lib/openapi.ts`). Every object is strict: unknown keys are rejected, never stripped.
 */

/** Who is paid. */
export const Creditor = z.strictObject({
  /** Account holder name as on the bank account (SEPA allows 70 characters). */
  name: boundedText(1, 70),
  iban: Iban,
});

/** `POST /payments` body. */
export const CreatePaymentBody = z.strictObject({
  /** Amount in minor units of `currency` (ISO 4217 exponent: cents, yen, fils), within the currency's maximum. */
  amount: MinorUnits,
  currency: Currency,
  creditor: Creditor,
  /** Remittance information shown to the creditor (SEPA: 140 characters). */
  reference: z.optional(boundedText(1, 140)),
  /** Day the payment should execute; today or within a year (checked by the handler: 422). */
  requestedExecutionDate: z.optional(IsoDate),
}).check(amountWithinCurrencyLimit());
/** Parsed `POST /payments` body. */
export type CreatePaymentInput = z.infer<typeof CreatePaymentBody>;

/** `Idempotency-Key` header: a client-chosen key (a UUID is recommended), 16..64 safe characters. */
export const IdempotencyKey = z.string().check(
  z.regex(/^[A-Za-z0-9_-]{16,64}$/, 'Must be 16 to 64 characters from A-Z a-z 0-9 _ -.'),
);

/** Path parameters of `GET /payments/{paymentId}`. */
export const PaymentIdParams = z.strictObject({ paymentId: Uuid });

/** Query string of the list routes. */
export const ListPaymentsQuery = z.strictObject({
  /** Page size, 1..100. @default 20 */
  limit: z.optional(PageLimit),
  /** Opaque cursor from the previous page's `nextCursor`. */
  cursor: z.optional(Cursor),
});
/** Parsed list query. */
export type ListPaymentsInput = z.infer<typeof ListPaymentsQuery>;

/** Payment statuses: `pending` until the processor reports the outcome by webhook. */
export const PAYMENT_STATUSES = ['pending', 'settled', 'failed'] as const;
/** A payment's status. */
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** `POST /webhooks/processor` body: an outcome reported by the payment processor. */
export const ProcessorWebhookBody = z.strictObject({
  eventId: Uuid,
  type: z.enum(['payment.settled', 'payment.failed']),
  paymentId: Uuid,
  occurredAt: IsoDateTime,
});
/** Parsed webhook body. */
export type ProcessorWebhookInput = z.infer<typeof ProcessorWebhookBody>;

/** Header carrying the processor's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const PROCESSOR_SIGNATURE_HEADER = 'X-Processor-Signature';

/** A payment as the API returns it (documented in OpenAPI; responses are built from stored items). */
export const Payment = z.strictObject({
  paymentId: Uuid,
  status: z.enum(PAYMENT_STATUSES),
  amount: MinorUnits,
  currency: Currency,
  creditor: Creditor,
  reference: z.optional(boundedText(1, 140)),
  requestedExecutionDate: z.optional(IsoDate),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
});

/** A page of payments. */
export const PaymentPage = z.strictObject({
  items: z.array(Payment).check(z.maxLength(100)),
  nextCursor: z.optional(Cursor),
});

/** A payment as the admin listing shows it: the creditor's IBAN masked (full only in the owner's own read). */
export const AdminPayment = z.strictObject({
  ...Payment.def.shape,
  creditor: z.strictObject({ name: boundedText(1, 70), iban: MaskedIban }),
});

/** A page of the admin listing. */
export const AdminPaymentPage = z.strictObject({
  items: z.array(AdminPayment).check(z.maxLength(100)),
  nextCursor: z.optional(Cursor),
});
