import type { $ZodIssue, $ZodType } from 'zod/v4/core';
import { safeParse } from 'zod/v4/core';
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

/**
 * Parses a JSON text that has already passed the size check. Throws {@link ApiError} 400 for
 * invalid JSON, excessive nesting or a prototype-pollution key (`__proto__`, `constructor`,
 * `prototype`). The parser's own message is never returned: it quotes the input.
 */
export function parseJsonText(text: string): unknown {
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    throw new ApiError('VALIDATION_FAILED', undefined, [{ path: 'body', message: `Nesting deeper than ${MAX_JSON_DEPTH} levels.` }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError('VALIDATION_FAILED', undefined, [{ path: 'body', message: 'Must be valid JSON.' }]);
  }
  if (hasForbiddenKey(value)) {
    throw new ApiError('VALIDATION_FAILED', undefined, [{ path: 'body', message: 'Reserved key names (__proto__, constructor, prototype) are not allowed.' }]);
  }
  return value;
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
