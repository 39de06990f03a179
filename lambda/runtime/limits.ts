/**
 * Request limits shared by the handlers (fallback when `MAX_BODY_BYTES` is unset) and `lib/`
 * (gateway, WAF body-size rule, the `MAX_BODY_BYTES` it sets): one number, no twin to drift.
 */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;
