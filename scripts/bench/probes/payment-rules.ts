/**
 * The `POST /payments` rules the bench's comparison schemas share with lambda/example/schemas (written
 * again here so the Joi / classic-zod / zod-mini probes compare libraries, not rule sets, and so the
 * probes do not change when the product schema does).
 */
export const CURRENCIES = [
  'AED', 'AUD', 'BGN', 'BRL', 'CAD', 'CHF', 'CLP', 'CNY', 'COP', 'CZK', 'DKK', 'EUR', 'GBP', 'HKD', 'HUF',
  'IDR', 'ILS', 'INR', 'ISK', 'JPY', 'KRW', 'MXN', 'MYR', 'NOK', 'NZD', 'PHP', 'PLN', 'RON', 'SAR', 'SEK',
  'SGD', 'THB', 'TRY', 'USD', 'ZAR',
] as const;

// eslint-disable-next-line no-control-regex -- rejecting control characters is the rule being compared
export const SAFE_TEXT = /^[^\x00-\x1F\x7F-\x9F\u2028\u2029\u202A-\u202E\u2066-\u2069]*$/;
export const IBAN_SHAPE = /^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/;
export const ISO_DATE = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isWellFormedUtf16(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

// The same mod-97 check the real schema uses (pure, no Zod, so every probe can share it).
export { ibanChecksumValid } from '../../../lambda/runtime/iban';

/** A real calendar date (no February 30). */
export function isRealDate(s: string): boolean {
  if (!ISO_DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}
