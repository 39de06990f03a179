import * as z from 'zod/mini';
import { ibanChecksumValid, ibanValid } from './iban';

/**
 * Building blocks of the API's schemas, written with `zod/mini` (functional API, tree-shakable:
 * ~40 KB in a handler bundle instead of ~480 KB for classic `zod`). Every block converts to JSON
 * Schema draft-4 (API Gateway models) and OpenAPI 3.0 with `toJSONSchema`; checks JSON Schema
 * cannot express (IBAN registry rules, per-currency limits, `\p{Cf}`, well-formed UTF-16) are `refine`s
 * that run in the handler only.
 */

/**
 * The gateway's share of the free-text rules, as an ECMA-262 pattern without the `u` flag (draft-4
 * `pattern`: API Gateway's validator has no `\p{}`), so a request model can refuse most spoofing
 * before a Lambda runs: no leading white space or spreadsheet-formula character (`= + - @`, also
 * full-width), no trailing white space, and none of: C0/C1 controls, DEL, `<`, `>`, the BMP
 * format characters (Unicode Cf: soft hyphen, Arabic/Syriac marks, zero-width space/joiners,
 * LRM/RLM, bidi embeddings/overrides/isolates, word joiner and invisible operators, BOM,
 * interlinear annotation), the line/paragraph separators, and the BMP invisible letters and
 * selectors (combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian
 * selectors, variation selectors). The handler's {@link safeTextProblem} is the full check
 * (astral TAG characters and the whole `\p{Cf}`/`\p{Co}` classes, which need `u`).
 */
const TEXT_WS = ' \\u00A0\\u1680\\u2000-\\u200A\\u202F\\u205F\\u3000';
const TEXT_FORBIDDEN = '\\x00-\\x1F\\x7F-\\x9F<>\\u00AD\\u034F\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890\\u0891\\u08E2\\u115F\\u1160'
  + '\\u17B4\\u17B5\\u180B-\\u180F\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u206F\\u3164\\uFE00-\\uFE0F\\uFEFF\\uFFA0\\uFFF9-\\uFFFB';
// eslint-disable-next-line no-misleading-character-class -- the class lists combining/selector characters on purpose: they are refused
export const SAFE_TEXT_PATTERN = new RegExp(`^(?![${TEXT_WS}=+\\-@\\uFF1D\\uFF0B\\uFF0D\\uFF20])(?!.*[${TEXT_WS}]$)[^${TEXT_FORBIDDEN}]*$`);

/** Fixed messages: validation errors never echo the input back. */
export const MESSAGES = Object.freeze({
  text: 'Must not contain control, format, invisible or markup characters (< >), start with = + - @, or start or end with white space.',
  invisible: 'Must not contain control, format (Unicode Cf), private-use or invisible characters.',
  blank: 'Must not be blank or start or end with white space.',
  formula: 'Must not start with = + - or @ (spreadsheet formula).',
  markup: 'Must not contain < or >.',
  unicode: 'Must be well-formed Unicode.',
  iban: 'Must be a valid IBAN (electronic format, registry country and length, check digits 02-98, mod-97).',
  amount: 'Exceeds the maximum amount for the currency.',
});

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when the string has no lone surrogate (it can be encoded as UTF-8 without loss). */
export function isWellFormedUtf16(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/**
 * Every character class a name or reference must not contain: controls (Cc), format characters
 * (Cf: zero-width, LRM/RLM, bidi controls, word joiner, BOM, TAG characters U+E0000-E007F), private
 * use (Co), the line/paragraph separators, and characters that render as nothing though Unicode
 * gives them another class (combining grapheme joiner, Hangul fillers, Khmer inherent vowels,
 * Mongolian selectors, braille blank, variation selectors incl. U+E0100-E01EF).
 */
// eslint-disable-next-line no-misleading-character-class, security/detect-unsafe-regex -- one character class (linear); combining/selector characters listed on purpose
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Zl}\p{Zp}\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u2800\u3164\uFE00-\uFE0F\uFFA0\u{E0100}-\u{E01EF}]/u;
const EDGE_SPACE = /^\p{Zs}|\p{Zs}$/u;
/** Spreadsheet formula triggers (CSV/Excel injection), ASCII and full-width. */
const FORMULA_START = /^[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]/;
const MARKUP = /[<>]/;

/**
 * The full free-text check the handler runs (after JSON decoding, so `\u003c` is `<` here): the
 * first rule a value breaks, or `undefined` when it is safe. Ordinary names such as
 * `O'Brien & Söhne GmbH` or `株式会社 みずほ` pass.
 */
export function safeTextProblem(s: string): keyof typeof MESSAGES | undefined {
  if (!isWellFormedUtf16(s)) return 'unicode';
  if (INVISIBLE.test(s)) return 'invisible';
  if (s.trim().length === 0 || EDGE_SPACE.test(s)) return 'blank';
  if (FORMULA_START.test(s)) return 'formula';
  if (MARKUP.test(s)) return 'markup';
  return undefined;
}

/**
 * Free text between `min` and `max` UTF-16 code units that is safe to show to a person or put in a
 * spreadsheet: the gateway pattern ({@link SAFE_TEXT_PATTERN}) plus the handler's full check
 * ({@link safeTextProblem}), each failure with its own fixed message.
 */
export function boundedText(min: number, max: number) {
  return z.string().check(
    z.minLength(min),
    z.maxLength(max),
    z.regex(SAFE_TEXT_PATTERN, MESSAGES.text),
    z.superRefine((s: string, ctx) => {
      const problem = safeTextProblem(s);
      if (problem !== undefined) ctx.issues.push({ code: 'custom', message: MESSAGES[problem], input: s });
    }),
  );
}

/**
 * The ISO 4217 currencies this API settles in, with their minor-unit exponent (ISO 4217's
 * "minor unit" column: JPY 0, EUR 2, BHD 3). A closed list: a code that is well-formed but not
 * listed (or withdrawn, like `DEM`) is rejected, because settlement for it is not set up. Where
 * CLDR (and so `Intl`) uses other digits for display (COP, HUF, IDR: 0), ISO 4217 wins: it is what
 * payment messages carry.
 */
export const CURRENCY_MINOR_UNITS = Object.freeze({
  AED: 2, AUD: 2, BGN: 2, BHD: 3, BRL: 2, CAD: 2, CHF: 2, CLP: 0, CNY: 2, COP: 2, CZK: 2, DKK: 2, EUR: 2, GBP: 2,
  HKD: 2, HUF: 2, IDR: 2, ILS: 2, INR: 2, ISK: 0, JOD: 3, JPY: 0, KRW: 0, KWD: 3, MXN: 2, MYR: 2, NOK: 2, NZD: 2,
  OMR: 3, PHP: 2, PLN: 2, RON: 2, SAR: 2, SEK: 2, SGD: 2, THB: 2, TRY: 2, USD: 2, ZAR: 2,
} as const satisfies Record<string, 0 | 2 | 3>);

/** An ISO 4217 code of {@link CURRENCY_MINOR_UNITS}. */
export type CurrencyCode = keyof typeof CURRENCY_MINOR_UNITS;

/** The currency codes, sorted. */
export const CURRENCIES = Object.keys(CURRENCY_MINOR_UNITS).sort() as [CurrencyCode, ...CurrencyCode[]];

/** ISO 4217 alphabetic currency code from {@link CURRENCIES}. */
export const Currency = z.enum(CURRENCIES);

/** Largest amount of one payment, in major units of any currency (1 billion). */
export const MAX_MAJOR_UNITS = 1_000_000_000;

/**
 * Per-currency maxima in major units where they differ from {@link MAX_MAJOR_UNITS} (none today:
 * the same nominal cap in every currency; add a code here to give it its own).
 */
export const MAX_MAJOR_UNITS_BY_CURRENCY: Readonly<Partial<Record<CurrencyCode, number>>> = Object.freeze({});

/** The largest amount of `currency` in minor units: its cap in major units × 10^exponent. */
export function maxMinorUnits(currency: CurrencyCode): number {
  return (MAX_MAJOR_UNITS_BY_CURRENCY[currency] ?? MAX_MAJOR_UNITS) * 10 ** CURRENCY_MINOR_UNITS[currency];
}

/** The widest per-currency maximum (what the gateway model can state without knowing the currency). */
export const MAX_MINOR_UNITS = Math.max(...CURRENCIES.map(maxMinorUnits));

/**
 * Money in integer minor units of its currency (cents, yen, fils): never a float. The body parser
 * has already refused any number a double would round (`1.0000000000000001`) or that is beyond
 * `Number.MAX_SAFE_INTEGER`, so the integer checked here is the integer written. The range is the
 * widest of all currencies; {@link amountWithinCurrencyLimit} applies the currency's own.
 */
export const MinorUnits = z.int().check(z.minimum(1), z.maximum(MAX_MINOR_UNITS));

/**
 * Object-level check: `amount` within the maximum of `currency` (reported on `amount`). Zod runs it
 * even when a field already failed, so it only speaks when both fields are otherwise valid.
 */
export function amountWithinCurrencyLimit<T extends { amount: number; currency: CurrencyCode }>() {
  return z.refine<T>((v) => {
    const known = Object.prototype.hasOwnProperty.call(CURRENCY_MINOR_UNITS, v.currency);
    return !known || !Number.isSafeInteger(v.amount) || v.amount > MAX_MINOR_UNITS || v.amount <= maxMinorUnits(v.currency);
  }, { error: MESSAGES.amount, path: ['amount'] });
}

export { ibanChecksumValid, ibanValid };

/**
 * IBAN in electronic format (no spaces, upper case): shape for the gateway model, then the full
 * ISO 13616 rules in the handler (registry country and its length and BBAN format, check digits
 * 02-98, mod-97; {@link ibanValid}).
 */
export const Iban = z.string().check(
  z.minLength(15),
  z.maxLength(34),
  z.regex(/^[A-Z]{2}(?:0[2-9]|[1-8][0-9]|9[0-8])[A-Z0-9]{11,30}$/, MESSAGES.iban),
  z.refine(ibanValid, MESSAGES.iban),
);

/** How an IBAN is shown to someone who is not its owner: country, check digits and last four, the rest `*`. */
export const MaskedIban = z.string().check(
  z.minLength(15),
  z.maxLength(34),
  z.regex(/^[A-Z]{2}[0-9]{2}\*{7,26}[A-Z0-9]{4}$/, 'Must be a masked IBAN.'),
);

/** Masks an IBAN for a reader who is not its owner (admin listings, exports): `GB82**************5432`. */
export function maskIban(iban: string): string {
  return iban.length < 15 ? '*'.repeat(iban.length) : `${iban.slice(0, 4)}${'*'.repeat(iban.length - 8)}${iban.slice(-4)}`;
}

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
