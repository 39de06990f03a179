import * as z from 'zod/mini';
import { ibanChecksumValid } from './iban';

/**
 * Building blocks of the API's schemas, written with `zod/mini` (functional API, tree-shakable:
 * ~40 KB in a handler bundle instead of ~480 KB for classic `zod`). Every block converts to JSON
 * Schema draft-4 (API Gateway models) and OpenAPI 3.0 with `toJSONSchema`; checks JSON Schema
 * cannot express (IBAN checksum, well-formed UTF-16) are `refine`s that run in the handler only.
 */

/**
 * Characters never accepted in free text: C0 controls, DEL, C1 controls, the line/paragraph
 * separators and the bidirectional overrides/isolates used for "Trojan Source" spoofing.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point: they are rejected
const SAFE_TEXT = /^[^\x00-\x1F\x7F-\x9F\u2028\u2029\u202A-\u202E\u2066-\u2069]*$/;

/** Fixed messages: validation errors never echo the input back. */
export const MESSAGES = Object.freeze({
  text: 'Must not contain control or bidirectional-override characters.',
  unicode: 'Must be well-formed Unicode.',
  iban: 'Must be a valid IBAN (electronic format, mod-97 checksum).',
});

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when the string has no lone surrogate (it can be encoded as UTF-8 without loss). */
export function isWellFormedUtf16(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** Free text between `min` and `max` UTF-16 code units, without control characters or lone surrogates. */
export function boundedText(min: number, max: number) {
  return z.string().check(
    z.minLength(min),
    z.maxLength(max),
    z.regex(SAFE_TEXT, MESSAGES.text),
    z.refine(isWellFormedUtf16, MESSAGES.unicode),
  );
}

/**
 * The ISO 4217 currencies this API settles in. A closed list: a code that is well-formed but not
 * listed (or withdrawn, like `DEM`) is rejected, because settlement for it is not set up.
 */
export const CURRENCIES = [
  'AED', 'AUD', 'BGN', 'BRL', 'CAD', 'CHF', 'CLP', 'CNY', 'COP', 'CZK', 'DKK', 'EUR', 'GBP', 'HKD', 'HUF',
  'IDR', 'ILS', 'INR', 'ISK', 'JPY', 'KRW', 'MXN', 'MYR', 'NOK', 'NZD', 'PHP', 'PLN', 'RON', 'SAR', 'SEK',
  'SGD', 'THB', 'TRY', 'USD', 'ZAR',
] as const;

/** ISO 4217 alphabetic currency code from {@link CURRENCIES}. */
export const Currency = z.enum(CURRENCIES);

/**
 * Money in integer minor units (cents): never a float. At most 10^11 minor units (1 billion in a
 * two-decimal currency), far below `Number.MAX_SAFE_INTEGER` so arithmetic stays exact.
 */
export const MinorUnits = z.int().check(z.minimum(1), z.maximum(100_000_000_000));

export { ibanChecksumValid };

/** IBAN in electronic format (no spaces, upper case), 15..34 characters, with a valid mod-97 checksum. */
export const Iban = z.string().check(
  z.minLength(15),
  z.maxLength(34),
  z.regex(/^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/, MESSAGES.iban),
  z.refine(ibanChecksumValid, MESSAGES.iban),
);

/** RFC 9562 UUID (lower or upper case hex). */
export const Uuid = z.uuid();

/** ISO 8601 calendar date `YYYY-MM-DD` (a real date: no February 30). */
export const IsoDate = z.iso.date();

/** ISO 8601 date-time with `Z` or a numeric offset. */
export const IsoDateTime = z.iso.datetime({ offset: true });

/** A query-string integer in 1..100 (query values always arrive as strings). */
export const PageLimit = z.pipe(
  z.string().check(z.regex(/^(?:[1-9]|[1-9][0-9]|100)$/, 'Must be an integer from 1 to 100.')),
  z.transform((s: string) => Number(s)),
);

/** An opaque pagination cursor as issued by this API (`<payload>.<signature>`, base64url). */
export const Cursor = z.string().check(
  z.maxLength(1024),
  z.regex(/^[A-Za-z0-9_-]{1,900}\.[A-Za-z0-9_-]{43}$/, 'Must be a cursor returned by this API.'),
);
