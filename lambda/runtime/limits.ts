/**
 * Request limits shared by the handlers (fallback when `MAX_BODY_BYTES` is unset) and `lib/`
 * (gateway, WAF body-size rule, the `MAX_BODY_BYTES` it sets): one number, no twin to drift.
 */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

/**
 * How long after the rotation that made it previous an `AWSPREVIOUS` secret value is still accepted:
 * long enough for a partner to switch and for cursors (24 h) signed just before a rotation to be
 * paged through; short enough that a leaked, rotated-out secret stops working the next day.
 */
export const DEFAULT_PREVIOUS_GRACE_MS = 24 * 60 * 60 * 1000;

/** Environment variable (whole seconds) overriding {@link DEFAULT_PREVIOUS_GRACE_MS}; `0` refuses AWSPREVIOUS at once. */
export const PREVIOUS_GRACE_ENV = 'SECRET_PREVIOUS_GRACE_SECONDS';
