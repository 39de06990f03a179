import { z } from 'zod';
import { CURRENCIES, IBAN_SHAPE, ibanChecksumValid, isWellFormedUtf16, SAFE_TEXT } from './payment-rules';

const text = (min: number, max: number) => z.string().min(min).max(max).regex(SAFE_TEXT).refine(isWellFormedUtf16);

/** lambda/example/schemas `CreatePaymentBody` written with classic `zod` (method chaining), for the size/init comparison. */
export const CreatePaymentClassic = z.strictObject({
  amount: z.int().min(1).max(100_000_000_000),
  currency: z.enum(CURRENCIES),
  creditor: z.strictObject({
    name: text(1, 70),
    iban: z.string().min(15).max(34).regex(IBAN_SHAPE).refine(ibanChecksumValid),
  }),
  reference: text(1, 140).optional(),
  requestedExecutionDate: z.iso.date().optional(),
});
