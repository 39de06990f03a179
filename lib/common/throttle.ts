import { IConstruct } from 'constructs';
import { Sensitivity, ThrottleLimits } from '../defaults/api';
import { requireProp } from '../errors';

/**
 * Throws unless `limits` is a throttle API Gateway can enforce: a positive rate, a positive integer
 * burst, and a burst of at least the rate (below it the rate could never be reached). One check for the
 * stage, the per-method stage throttles, the usage-plan tiers and their method throttles.
 */
export function requireValidThrottle(scope: IConstruct, prop: string, limits: ThrottleLimits): void {
  requireProp(Number.isFinite(limits.rateLimit) && limits.rateLimit > 0, scope, `${prop}.rateLimit`, 'must be a positive number');
  requireProp(Number.isInteger(limits.burstLimit) && limits.burstLimit > 0, scope, `${prop}.burstLimit`, 'must be a positive integer');
  requireProp(limits.burstLimit >= limits.rateLimit, scope, `${prop}.burstLimit`,
    `burst ${limits.burstLimit} is below the rate ${limits.rateLimit}; API Gateway could never reach the rate`);
}

/**
 * The stage-level throttle of one method: the limit for its sensitivity, never above the stage's own.
 * What `SecureRestApi` deploys and what the edge-protection table reports.
 */
export function stageMethodThrottle(
  sensitivity: Sensitivity,
  stage: ThrottleLimits,
  methodThrottle: Readonly<Record<Sensitivity, ThrottleLimits>>,
): ThrottleLimits {
  const limits = methodThrottle[sensitivity];
  return { rateLimit: Math.min(limits.rateLimit, stage.rateLimit), burstLimit: Math.min(limits.burstLimit, stage.burstLimit) };
}
