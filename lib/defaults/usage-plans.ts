import { Period } from 'aws-cdk-lib/aws-apigateway';
import { Sensitivity, ThrottleLimits } from './api';

/** Request quota of a usage plan tier. */
export interface TierQuota {
  /** Requests one API key may make per period. */
  readonly limit: number;
  /** Quota period. */
  readonly period: Period;
}

/**
 * One usage-plan tier: throttle and quota per API key.
 * API keys identify callers for metering and throttling only; they never authorize anything.
 */
export interface UsageTier extends ThrottleLimits {
  /** Quota per API key. Required: a tier without a quota lets one leaked key run unbounded. */
  readonly quota: TierQuota;
  /** One-line description (usage plan description, docs). @default - the tier name */
  readonly description?: string;
  /**
   * Per-method throttle inside the plan by route sensitivity. Each value must stay within the tier's
   * rate and burst, and `high` must be stricter than the tier's rate.
   * @default - the tier throttle scaled by PLAN_METHOD_SHARE_BY_SENSITIVITY
   */
  readonly methodThrottle?: Partial<Record<Sensitivity, ThrottleLimits>>;
}

/**
 * Default tiers. Each plan's rate stays below the stage throttle (100 rps), so one key can never starve
 * everybody else; daily quotas bound what a leaked key can cost to one day and reset soon for an honest
 * caller who ran out.
 */
export const DEFAULT_USAGE_TIERS: Readonly<Record<string, UsageTier>> = Object.freeze({
  /**
   * Sandbox/evaluation keys. 5 rps is plenty to run an integration test suite; 1,000 requests a day is
   * enough to build an integration and makes a leaked free key worthless to an abuser.
   */
  free: {
    rateLimit: 5, burstLimit: 10, quota: { limit: 1_000, period: Period.DAY },
    description: 'Evaluation and sandbox integrations',
  },
  /**
   * Production customers. 25 rps is a quarter of the stage throttle: four customers at full speed
   * still leave the stage headroom. 50,000 a day is ~0.6 rps averaged over 24 h, several times the volume
   * of a busy merchant.
   */
  standard: {
    rateLimit: 25, burstLimit: 50, quota: { limit: 50_000, period: Period.DAY },
    description: 'Production customers',
  },
  /**
   * Contracted partners that call server-to-server on behalf of many users. Half the stage throttle, so
   * even a partner's runaway batch job leaves capacity for everybody else; 500,000 a day is ~6 rps
   * averaged over 24 h.
   */
  partner: {
    rateLimit: 50, burstLimit: 100, quota: { limit: 500_000, period: Period.DAY },
    description: 'Contracted server-to-server partners',
  },
});

/**
 * Share of a tier's rate and burst that a route of each sensitivity gets inside the plan.
 * - `low`: the whole tier (cheap public reads).
 * - `standard`: half, so reads of private data cannot use the whole allowance.
 * - `high`: a tenth: money-moving routes are the ones an abuser wants to call fast (card testing, payout
 *   fraud) and the ones an honest integration calls least.
 */
export const PLAN_METHOD_SHARE_BY_SENSITIVITY: Readonly<Record<Sensitivity, number>> = Object.freeze({
  low: 1,
  standard: 0.5,
  high: 0.1,
});

/**
 * The usage plan of signed-in people (user tokens). Every user's requests carry the same key (the
 * authorizer returns it; API key source AUTHORIZER), so the plan has **no quota and no throttle**: a
 * shared bucket would let one user lock every other user out. People are limited per caller by the
 * WAF per-token and per-IP rate rules and, for everyone together, by the stage and method throttles
 * that protect the back end. Reserved: no tier may use this name.
 */
export const PEOPLE_TIER = 'people';
