/**
 * A token bucket as API Gateway throttles with: `burst` tokens at most, refilled at `rate` per
 * second; a request takes one token or is throttled (429).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(readonly rate: number, readonly burst: number, private readonly now: () => number = () => performance.now()) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes a token; false when the bucket is empty. */
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Buckets by key, created on first use. */
export class BucketMap {
  private readonly buckets = new Map<string, TokenBucket>();

  /** Takes a token from the bucket `key` (made with `rate`/`burst` if new); undefined limits never throttle. */
  take(key: string, rate: number | undefined, burst: number | undefined): boolean {
    if (rate === undefined && burst === undefined) return true;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      // A rate without a burst (or the reverse) is limited by the one that is set.
      bucket = new TokenBucket(rate ?? Number.POSITIVE_INFINITY, burst ?? Math.max(1, Math.ceil(rate ?? 1)));
      this.buckets.set(key, bucket);
    }
    return bucket.take();
  }
}

/** Start of the quota period holding `date` (UTC; `offset` days into the week or month as API Gateway counts). */
export function quotaPeriodStart(period: 'DAY' | 'WEEK' | 'MONTH', offset: number, date: Date): number {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  if (period === 'WEEK') {
    const back = (d.getUTCDay() - offset + 7) % 7;
    d.setUTCDate(d.getUTCDate() - back);
  } else if (period === 'MONTH') {
    if (d.getUTCDate() - 1 < offset) d.setUTCMonth(d.getUTCMonth() - 1);
    d.setUTCDate(1 + offset);
  }
  return d.getTime();
}
