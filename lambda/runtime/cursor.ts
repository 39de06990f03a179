import { createHmac, timingSafeEqual } from 'crypto';
import { ApiError } from './errors';

/** How long a cursor stays valid: long enough to page through a list, short enough that a leaked one expires. */
export const CURSOR_TTL_SECONDS = 24 * 60 * 60;

const CURSOR_VERSION = 1;

/** A DynamoDB key as carried in a cursor: string attributes only (the table's keys are strings). */
export type CursorKey = Readonly<Record<string, string>>;

interface CursorPayload {
  readonly v: number;
  /** What the cursor pages through (`owner:<id>` or `all`): a cursor is useless in any other listing. */
  readonly s: string;
  /** Expiry, unix seconds. */
  readonly e: number;
  /** The DynamoDB `LastEvaluatedKey`. */
  readonly k: CursorKey;
}

function mac(payload: string, key: string): Buffer {
  return createHmac('sha256', key).update(`cursor.v${CURSOR_VERSION}.${payload}`).digest();
}

/**
 * Opaque pagination cursor: `base64url(JSON payload) "." base64url(HMAC-SHA256)`. The payload is
 * readable (it is only a key), but any change to it — another owner, another key, a later expiry —
 * breaks the signature.
 */
export function encodeCursor(scope: string, key: CursorKey, signingKey: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
  const payload: CursorPayload = { v: CURSOR_VERSION, s: scope, e: nowSeconds + CURSOR_TTL_SECONDS, k: key };
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${body}.${mac(body, signingKey).toString('base64url')}`;
}

const KEY_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/**
 * Verifies a cursor against every accepted signing key (current, then the previous one only within
 * its grace window after a rotation: `SecretCache.acceptedValues`) and the listing scope; returns the DynamoDB start key. Anything wrong -> 400 `INVALID_CURSOR`,
 * without saying what (no oracle for forging).
 */
export function decodeCursor(cursor: string, scope: string, acceptedKeys: readonly string[], nowSeconds = Math.floor(Date.now() / 1000)): CursorKey {
  const invalid = new ApiError('INVALID_CURSOR', undefined, [{ path: 'query.cursor', message: 'Must be a cursor returned by this API for this listing.' }]);
  const [body, signature, extra] = cursor.split('.');
  if (body === undefined || signature === undefined || extra !== undefined) throw invalid;
  const given = Buffer.from(signature, 'base64url');
  const ok = acceptedKeys.some((k) => {
    const expected = mac(body, k);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!ok) throw invalid;
  let payload: Partial<Record<keyof CursorPayload, unknown>> | null;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Record<keyof CursorPayload, unknown>> | null;
  } catch {
    throw invalid;
  }
  if (payload?.v !== CURSOR_VERSION || payload.s !== scope || typeof payload.e !== 'number' || payload.e < nowSeconds) throw invalid;
  const k = payload.k;
  if (typeof k !== 'object' || k === null || Array.isArray(k)) throw invalid;
  const entries = Object.entries(k);
  if (entries.length === 0 || entries.length > 4 || entries.some(([name, v]) => !KEY_NAME.test(name) || typeof v !== 'string' || v.length > 256)) throw invalid;
  return Object.fromEntries(entries);
}
