import * as z from 'zod/mini';
import { CURRENCIES, IBAN_SHAPE, ibanChecksumValid, isWellFormedUtf16, SAFE_TEXT } from './payment-rules';

const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max), z.regex(SAFE_TEXT), z.refine(isWellFormedUtf16));

/** lambda/example/schemas `CreatePaymentBody` written with `zod/mini` (functional checks), for the size/init comparison. */
export const CreatePaymentMini = z.strictObject({
  amount: z.int().check(z.minimum(1), z.maximum(100_000_000_000)),
  currency: z.enum(CURRENCIES),
  creditor: z.strictObject({
    name: text(1, 70),
    iban: z.string().check(z.minLength(15), z.maxLength(34), z.regex(IBAN_SHAPE), z.refine(ibanChecksumValid)),
  }),
  reference: z.optional(text(1, 140)),
  requestedExecutionDate: z.optional(z.iso.date()),
});
