import type { $ZodIssue, $ZodType } from 'zod/v4/core';
import { safeParse } from 'zod/v4/core';
import { parse as parseLossless } from 'lossless-json';
import { ApiError } from './errors';
import type { ErrorDetail } from './http';

/** Keys that could reach an object's prototype if a parsed body were ever merged into an object. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Deepest nesting accepted in a JSON body; the schemas need 3, the margin is for clear errors. */
export const MAX_JSON_DEPTH = 16;

/** Most validation details returned: enough to fix a request, not a way to probe the schema in bulk. */
export const MAX_DETAILS = 20;

/**
 * Measures the nesting depth of a JSON text without parsing it (brackets inside strings are
 * skipped), so a hostile `[[[[...` body is rejected before `JSON.parse` or the schema recurse.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
    }
  }
  return false;
}

/** Whether a forbidden key appears anywhere in a parsed JSON value (iterative: no recursion). */
export function hasForbiddenKey(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    for (const key of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(key)) return true;
      stack.push((v as Record<string, unknown>)[key]);
    }
  }
  return false;
}

/** A JSON number as written, before any conversion (what `lossless-json` hands the kit). */
class NumberText {
  constructor(public readonly text: string) {}
}

/** Path segments of a value inside the body: object keys and array indices. */
export type JsonPath = readonly (string | number)[];

/**
 * Which paths of a body the route's schema declares. Only declared names are echoed in an error's
 * `path`: a problem under an undeclared (possibly hostile) key is reported on its nearest declared
 * ancestor, as the schema's own errors are.
 */
export type KnownPath = (path: JsonPath) => boolean;

/** Options of {@link parseJsonText}. */
export interface ParseJsonOptions {
  /** @default - no path is known: problems are reported on `body` */
  readonly knownPath?: KnownPath;
}

/** Messages of the number and key checks (fixed strings: the input is never quoted). */
export const JSON_MESSAGES = Object.freeze({
  duplicateKey: 'A key appears more than once in this object.',
  inexact: 'Must be written exactly: this number would be rounded.',
  range: `Must be within ±${Number.MAX_SAFE_INTEGER} (send larger values as strings).`,
});

// eslint-disable-next-line security/detect-unsafe-regex -- no nested quantifiers over the same characters: linear
const NUMBER = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/;

/**
 * A JSON number literal as a JS number, only if that loses nothing that matters: an integer value
 * (in any notation: `100`, `1e2`, `100.0`) must be within ±(2^53 − 1) (`'range'`); a non-integer
 * must not be one a double rounds to an integer (`1.0000000000000001`, `100000000000.000001`,
 * `1e-400`: `'inexact'`). Other fractions keep the usual nearest-double meaning (schemas of money
 * take integers only). Works on the digits, never building a number from a huge exponent.
 */
export function exactNumber(text: string): number | 'range' | 'inexact' {
  const m = NUMBER.exec(text);
  if (!m) return 'inexact';
  const [, sign, int = '', frac = '', exp = '0'] = m;
  let digits = (int + frac).replace(/^0+/, '');
  if (digits === '') return 0;
  let e = Number(exp) - frac.length;
  const trailing = digits.length - digits.replace(/0+$/, '').length;
  digits = digits.slice(0, digits.length - trailing);
  e += trailing;
  if (e >= 0) {
    if (digits.length + e > 16) return 'range';
    const value = Number(digits + '0'.repeat(e));
    if (value > Number.MAX_SAFE_INTEGER) return 'range';
    return sign === '-' ? -value : value;
  }
  const value = Number(text);
  return Number.isInteger(value) ? 'inexact' : value;
}

function pathText(path: JsonPath, knownPath: KnownPath | undefined): string {
  let known = 0;
  if (knownPath) while (known < path.length && knownPath(path.slice(0, known + 1))) known++;
  return ['body', ...path.slice(0, known).map(String)].join('.');
}

/**
 * Every object key that appears twice in its object, with the object's path (keys compared after
 * unescaping: `"amount"` and `"\u0061mount"` are the same key). Runs on a text the parser has
 * accepted, so the scan only tracks structure. Different parsers keep the first or the last of
 * duplicated keys: refusing them means every layer reads the same request.
 */
function duplicateKeys(text: string): { path: JsonPath; key: string }[] {
  interface Frame { readonly keys: Set<string> | undefined; index: number; key: string | number | undefined }
  const found: { path: JsonPath; key: string }[] = [];
  const stack: Frame[] = [];
  const pathOf = (): (string | number)[] => stack.slice(0, -1).map((f) => f.key as string | number);
  let expectKey = false;
  for (let i = 0; i < text.length && found.length < MAX_DETAILS; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const start = i;
      let escaped = false;
      for (i++; text.charCodeAt(i) !== 34; i++) {
        if (text.charCodeAt(i) === 92) { escaped = true; i++; }
      }
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        const raw = text.slice(start + 1, i);
        const key = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : raw;
        if (top.keys.has(key)) found.push({ path: pathOf(), key });
        top.keys.add(key);
        top.key = key;
        expectKey = false;
      }
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      const parent = stack[stack.length - 1];
      if (parent && !parent.keys) parent.key = parent.index;
      stack.push({ keys: c === 123 ? new Set() : undefined, index: 0, key: undefined });
      expectKey = c === 123;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      stack.pop();
    } else if (c === 44 /* , */) {
      const top = stack[stack.length - 1];
      if (top?.keys) expectKey = true;
      else if (top) top.index++;
    }
  }
  return found;
}

/**
 * Replaces every number of a parsed body by its exact JS number, collecting the ones that are not
 * exact, and checks for prototype-pollution keys (iterative: no recursion).
 */
function exactValues(root: unknown, knownPath: KnownPath | undefined, details: ErrorDetail[]): { value: unknown; forbidden: boolean } {
  // A path is a linked list (parent, key), materialised only for an error: the common case allocates nothing per node.
  interface Slot { readonly parent: Record<string | number, unknown>; readonly key: string | number; readonly up: Slot | undefined }
  const pathOf = (slot: Slot): (string | number)[] => {
    const out: (string | number)[] = [];
    for (let at = slot; at.up !== undefined; at = at.up) out.unshift(at.key);
    return out;
  };
  const holder: Record<string, unknown> = { v: root };
  const stack: Slot[] = [{ parent: holder, key: 'v', up: undefined }];
  let forbidden = false;
  while (stack.length > 0) {
    const slot = stack.pop() as Slot;
    const v = slot.parent[slot.key];
    if (v instanceof NumberText) {
      const n = exactNumber(v.text);
      if (typeof n === 'number') slot.parent[slot.key] = n;
      else if (details.length < MAX_DETAILS) details.push({ path: pathText(pathOf(slot), knownPath), message: JSON_MESSAGES[n] });
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ parent: v as unknown as Record<number, unknown>, key: i, up: slot });
    } else if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        if (FORBIDDEN_KEYS.has(k)) forbidden = true;
        stack.push({ parent: v as Record<string, unknown>, key: k, up: slot });
      }
    }
  }
  return { value: holder.v, forbidden };
}

/**
 * Parses a JSON text that has already passed the size check, exactly: with `lossless-json`, so
 * every number is checked as written ({@link exactNumber}) instead of after `JSON.parse` rounded it.
 * Throws {@link ApiError} 400 for invalid JSON, excessive nesting, a prototype-pollution key
 * (`__proto__`, `constructor`, `prototype`), a key repeated in its object, or a number that is not
 * exact — each with the field's path where the schema declares it. The parser's own message is
 * never returned: it quotes the input.
 */
export function parseJsonText(text: string, options: ParseJsonOptions = {}): unknown {
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    throw new ApiError('VALIDATION_FAILED', undefined, [{ path: 'body', message: `Nesting deeper than ${MAX_JSON_DEPTH} levels.` }]);
  }
  let parsed: unknown;
  try {
    // Duplicates are found (with their path) by `duplicateKeys`, equal values included: keep parsing.
    parsed = parseLossless(text, null, { parseNumber: (t: string) => new NumberText(t), onDuplicateKey: () => undefined });
  } catch {
    throw new ApiError('VALIDATION_FAILED', undefined, [{ path: 'body', message: 'Must be valid JSON.' }]);
  }
  const details: ErrorDetail[] = duplicateKeys(text).map(({ path, key }) => ({
    path: pathText([...path, key], options.knownPath),
    message: JSON_MESSAGES.duplicateKey,
  }));
  const { value, forbidden } = exactValues(parsed, options.knownPath, details);
  if (forbidden) {
    throw new ApiError('VALIDATION_FAILED', undefined, [{ path: 'body', message: 'Reserved key names (__proto__, constructor, prototype) are not allowed.' }]);
  }
  if (details.length > 0) throw new ApiError('VALIDATION_FAILED', undefined, details.slice(0, MAX_DETAILS));
  return value;
}

interface ZodDefLike {
  readonly type?: string;
  readonly shape?: Record<string, { _zod?: { def?: ZodDefLike } }>;
  readonly innerType?: { _zod?: { def?: ZodDefLike } };
  readonly element?: { _zod?: { def?: ZodDefLike } };
  readonly in?: { _zod?: { def?: ZodDefLike } };
}

/**
 * {@link KnownPath} of a Zod schema: a path is known when every segment names a property the
 * schema declares (through optional/nullable/default/pipe wrappers) or indexes one of its arrays.
 */
export function knownPathOf(schema: $ZodType): KnownPath {
  return (path) => {
    let def = (schema as { _zod?: { def?: ZodDefLike } })._zod?.def;
    for (const segment of path) {
      while (def && ['optional', 'nullable', 'default', 'prefault', 'nonoptional', 'readonly', 'catch', 'pipe'].includes(def.type ?? '')) {
        def = (def.type === 'pipe' ? def.in : def.innerType)?._zod?.def;
      }
      if (def?.type === 'object' && typeof segment === 'string' && def.shape && Object.prototype.hasOwnProperty.call(def.shape, segment)) {
        def = def.shape[segment]?._zod?.def;
      } else if (def?.type === 'array' && typeof segment === 'number') {
        def = def.element?._zod?.def;
      } else {
        return false;
      }
    }
    return true;
  };
}

/** Client-safe message of a Zod issue: from the issue's kind, never quoting the input or unknown key names. */
function messageOf(issue: $ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `Expected ${issue.expected}.`;
    case 'too_big':
      return issue.origin === 'string' ? `At most ${String(issue.maximum)} characters.`
        : issue.origin === 'array' ? `At most ${String(issue.maximum)} items.` : `At most ${String(issue.maximum)}.`;
    case 'too_small':
      return issue.origin === 'string' ? `At least ${String(issue.minimum)} characters.`
        : issue.origin === 'array' ? `At least ${String(issue.minimum)} items.` : `At least ${String(issue.minimum)}.`;
    case 'unrecognized_keys':
      return 'Unknown fields are not allowed.';
    case 'invalid_value':
      return 'Not one of the allowed values.';
    case 'invalid_format':
      // Messages of our own regex/refine checks are fixed strings written in lambda/schemas.
      return issue.format === 'regex' && issue.message && issue.message !== 'Invalid input' ? issue.message : `Must be a valid ${issue.format}.`;
    case 'custom':
      return issue.message && issue.message !== 'Invalid input' ? issue.message : 'Invalid value.';
    case 'not_multiple_of':
      return 'Not an allowed increment.';
    default:
      return 'Invalid value.';
  }
}

/**
 * Zod issues -> envelope details, `prefix.path.to.field`. Path segments come from the schema's
 * own keys and array indices; an unknown key is reported on its parent, never by its (hostile) name.
 */
export function issuesToDetails(issues: readonly $ZodIssue[], prefix: string): ErrorDetail[] {
  return issues.slice(0, MAX_DETAILS).map((issue) => ({
    path: [prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? '?' : String(p)))].join('.'),
    message: messageOf(issue),
  }));
}

/** Validates `input` against `schema`; throws {@link ApiError} 400 with field paths on failure. */
export function validate<T>(schema: $ZodType<T>, input: unknown, prefix: string): T {
  const result = safeParse(schema, input);
  if (!result.success) {
    throw new ApiError('VALIDATION_FAILED', undefined, issuesToDetails(result.error.issues, prefix));
  }
  return result.data;
}
