import { createHmac, timingSafeEqual } from 'crypto';
import { ApiError } from './errors';

/** How far a webhook's timestamp may be from our clock: bounds the replay window of a captured request. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

const SIGNATURE = /^t=(\d{10}),v1=([0-9a-f]{64})$/;

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`: what the processor sends (and what tests build). */
export function signWebhook(rawBody: string, secret: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${rawBody}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

/**
 * Verifies a processor signature over the raw body with every accepted secret (current, then the
 * previous one only within its grace window after a rotation: `SecretCache.acceptedValues`),
 * constant-time, and rejects timestamps outside the tolerance.
 * Every failure is the same 401: no hint which part was wrong.
 */
export function verifyWebhook(rawBody: string, header: string | undefined, secrets: readonly string[], nowSeconds: number,
  toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS): void {
  const unauthorized = new ApiError('UNAUTHORIZED', 'The webhook signature is missing, invalid or expired.');
  const match = header === undefined ? null : SIGNATURE.exec(header);
  if (!match) throw unauthorized;
  const t = Number(match[1]);
  if (Math.abs(nowSeconds - t) > toleranceSeconds) throw unauthorized;
  const given = Buffer.from(match[2] as string, 'hex');
  const ok = secrets.some((secret) => {
    const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
    return timingSafeEqual(given, expected);
  });
  if (!ok) throw unauthorized;
}
