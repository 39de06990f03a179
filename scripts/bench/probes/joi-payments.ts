import Joi from 'joi';
import { CURRENCIES, IBAN_SHAPE, ibanChecksumValid, isRealDate, isWellFormedUtf16, SAFE_TEXT } from './payment-rules';

const text = (min: number, max: number): Joi.StringSchema => Joi.string().min(min).max(max).pattern(SAFE_TEXT)
  .custom((v: string, h) => (isWellFormedUtf16(v) ? v : h.error('string.unicode')));

/**
 * The Express-style stack's `POST /payments` schema, the Joi equivalent of lambda/example/schemas
 * `CreatePaymentBody`: same fields, bounds and checks; unknown keys rejected (Joi's default, like
 * `strictObject`); `abortEarly: false` so it reports every issue, as Zod does.
 */
export const CreatePaymentJoi = Joi.object({
  amount: Joi.number().integer().min(1).max(100_000_000_000).required(),
  currency: Joi.string().valid(...CURRENCIES).required(),
  creditor: Joi.object({
    name: text(1, 70).required(),
    iban: Joi.string().min(15).max(34).pattern(IBAN_SHAPE)
      .custom((v: string, h) => (ibanChecksumValid(v) ? v : h.error('string.iban'))).required(),
  }).required(),
  reference: text(1, 140),
  requestedExecutionDate: Joi.string().custom((v: string, h) => (isRealDate(v) ? v : h.error('string.isoDate'))),
}).prefs({ abortEarly: false, convert: false });
