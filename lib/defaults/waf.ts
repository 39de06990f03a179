/**
 * Secure defaults and hard limits of the WAFv2 web ACL that `ApiFirewall` builds.
 * Every number carries the reason it was chosen; docs/edge.md repeats them for readers of the README.
 */

/** Evaluation windows AWS WAF accepts for a rate-based rule (seconds). */
export const WAF_EVALUATION_WINDOWS = [60, 120, 300, 600] as const;

/** One of {@link WAF_EVALUATION_WINDOWS}. */
export type WafEvaluationWindow = (typeof WAF_EVALUATION_WINDOWS)[number];

/** Lowest `Limit` AWS WAF accepts on a rate-based rule (requests per evaluation window). */
export const WAF_MIN_RATE_LIMIT = 10;

/** Highest `Limit` AWS WAF accepts on a rate-based rule. */
export const WAF_MAX_RATE_LIMIT = 2_000_000_000;

/** A per-IP rate-based rule: at most `limit` requests from one IP in any `evaluationWindowSec`. */
export interface WafRateLimit {
  /** Requests one IP may send per evaluation window before it is blocked (minimum 10). */
  readonly limit: number;
  /**
   * How far back WAF counts (60, 120, 300 or 600 s). WAF re-evaluates every ~10 s whatever the window.
   * @default 300
   */
  readonly evaluationWindowSec?: WafEvaluationWindow;
}

/**
 * Per-IP limit for the whole API: 3,000 requests per 5 minutes (10 rps sustained per IP).
 * - A browser session of a payments SPA makes well under 1 rps on average and bursts of 10-20 calls on a
 *   page load; the 5-minute window absorbs such bursts.
 * - 10 rps is a tenth of the stage throttle (100 rps): no single IP can take more than a tenth of the API's
 *   capacity for long, while users behind a corporate NAT or carrier-grade NAT keep working.
 */
export const DEFAULT_IP_RATE_LIMIT: Required<WafRateLimit> = Object.freeze({ limit: 3_000, evaluationWindowSec: 300 });

/**
 * Per-IP limit on sensitive (`high`) routes: 20 requests per minute.
 * - A real customer creates a handful of payments per hour; a card-testing or credential-stuffing bot
 *   creates hundreds per minute.
 * - The 60 s window stops bursts quickly and releases a legitimate user who tripped it within about a minute.
 * - 20/60 s = 0.33 rps, 30x stricter than {@link DEFAULT_IP_RATE_LIMIT}.
 */
export const DEFAULT_SENSITIVE_RATE_LIMIT: Required<WafRateLimit> = Object.freeze({ limit: 20, evaluationWindowSec: 60 });

/**
 * Per-caller limit: 3,000 requests per 5 minutes per `Authorization` header value (one bearer token).
 * - People share one usage plan without quota or throttle (no user may lock others out), so this rule is
 *   each signed-in caller's own bucket, on top of the per-IP rule: a token spread over many IPs (a stolen
 *   token in a botnet, a leaked token in a script) is limited like one IP.
 * - The same number as {@link DEFAULT_IP_RATE_LIMIT}: a caller on one IP is never limited more than today.
 * - Requests without the header are not counted (WAF skips requests that lack a custom key); the
 *   authorizer refuses them anyway. A new token (every refresh) starts a new bucket: the per-IP rule still holds.
 */
export const DEFAULT_TOKEN_RATE_LIMIT: Required<WafRateLimit> = Object.freeze({ limit: 3_000, evaluationWindowSec: 300 });

/** The AWS managed rule groups the web ACL uses, by the name AWS gives them. */
export type ManagedRuleGroupName =
  | 'AWSManagedRulesAmazonIpReputationList'
  | 'AWSManagedRulesAnonymousIpList'
  | 'AWSManagedRulesCommonRuleSet'
  | 'AWSManagedRulesKnownBadInputsRuleSet'
  | 'AWSManagedRulesSQLiRuleSet';

/** Rule name in the web ACL of each rule `ApiFirewall` may create. */
export const WAF_RULE_NAMES = Object.freeze({
  ipDenyList: 'IpDenyList',
  ipAllowList: 'IpAllowList',
  geoRestriction: 'GeoRestriction',
  rateLimitSensitive: 'RateLimitSensitiveRoutesPerIp',
  rateLimitPerIp: 'RateLimitPerIp',
  rateLimitPerToken: 'RateLimitPerToken',
  bodySize: 'BodySizeLimit',
  ipReputation: 'AWS-AWSManagedRulesAmazonIpReputationList',
  anonymousIp: 'AWS-AWSManagedRulesAnonymousIpList',
  commonRuleSet: 'AWS-AWSManagedRulesCommonRuleSet',
  commonRuleSetBrowserRoutes: 'CommonRuleSetExceptServerToServerRoutes',
  knownBadInputs: 'AWS-AWSManagedRulesKnownBadInputsRuleSet',
  sqli: 'AWS-AWSManagedRulesSQLiRuleSet',
});

/**
 * Fixed priorities (lower runs first). Optional rules keep their slot when absent, so enabling one never
 * renumbers the others (a renumbered rule is a replaced rule, and a replaced rate rule forgets its counts).
 *
 * Order: cheap allow/deny decisions on the source first; then rate limits, so that a flood is answered with
 * 429 and every request (even one a managed rule would block) counts towards its IP's rate; then the body
 * size; then the reputation lists; then the managed groups that inspect the request content.
 */
export const WAF_RULE_PRIORITY: Readonly<Record<keyof typeof WAF_RULE_NAMES, number>> = Object.freeze({
  ipDenyList: 0,
  ipAllowList: 10,
  geoRestriction: 20,
  rateLimitSensitive: 30,
  rateLimitPerIp: 40,
  rateLimitPerToken: 45,
  bodySize: 50,
  ipReputation: 60,
  anonymousIp: 70,
  commonRuleSet: 80,
  commonRuleSetBrowserRoutes: 85,
  knownBadInputs: 90,
  sqli: 100,
});

/** One AWS managed rule group of the web ACL. */
export interface ManagedRuleGroupSpec {
  /** Key into {@link WAF_RULE_NAMES} / {@link WAF_RULE_PRIORITY}. */
  readonly slot: keyof typeof WAF_RULE_NAMES;
  /** AWS name of the group. */
  readonly name: ManagedRuleGroupName;
  /** Web ACL capacity units AWS documents for the group (the web ACL's base allowance is 1,500). */
  readonly capacity: number;
  /** Why it is in the web ACL. */
  readonly reason: string;
}

/** The managed rule groups, in evaluation order. */
export const MANAGED_RULE_GROUPS: readonly ManagedRuleGroupSpec[] = Object.freeze([
  { slot: 'ipReputation', name: 'AWSManagedRulesAmazonIpReputationList', capacity: 25,
    reason: 'IPs Amazon threat intelligence saw in bots, reconnaissance and DDoS: cheapest rule, blocks before any content inspection.' },
  { slot: 'anonymousIp', name: 'AWSManagedRulesAnonymousIpList', capacity: 50,
    reason: 'VPNs, proxies, Tor and hosting providers: COUNT by default because real customers use privacy relays; the metric tells whether blocking is affordable.' },
  { slot: 'commonRuleSet', name: 'AWSManagedRulesCommonRuleSet', capacity: 700,
    reason: 'OWASP Top 10 baseline (XSS, LFI/RFI, SSRF to instance metadata, bad bots, size restrictions).' },
  { slot: 'knownBadInputs', name: 'AWSManagedRulesKnownBadInputsRuleSet', capacity: 200,
    reason: 'Request patterns of known exploits (Log4Shell JNDI lookups, Java deserialization, localhost Host header).' },
  { slot: 'sqli', name: 'AWSManagedRulesSQLiRuleSet', capacity: 200,
    reason: 'SQL injection in query, body, URI and cookies: handlers use DynamoDB, but a filter string may reach a SQL-backed reporting path later.' },
] as ManagedRuleGroupSpec[]);

/**
 * The Common rule set's `SizeRestrictions_BODY` blocks bodies above 8 KB. When the API accepts larger
 * bodies, `ApiFirewall` sets that single rule to COUNT and enforces the API's own limit with its
 * `BodySizeLimit` rule instead (413 with the JSON envelope), so the two never disagree.
 */
export const CRS_BODY_SIZE_LIMIT_BYTES = 8 * 1024;

/** Name of the Common rule set rule that {@link CRS_BODY_SIZE_LIMIT_BYTES} describes. */
export const CRS_BODY_SIZE_RULE = 'SizeRestrictions_BODY';

/**
 * Body inspection limits WAF offers for API Gateway (`AssociationConfig.RequestBody.API_GATEWAY`), in bytes.
 * 16 KB is the default and costs nothing extra; larger limits are billed per inspected request above 16 KB.
 */
export const WAF_BODY_INSPECTION_LIMITS: readonly { readonly setting: string; readonly bytes: number }[] = Object.freeze([
  { setting: 'KB_16', bytes: 16 * 1024 },
  { setting: 'KB_32', bytes: 32 * 1024 },
  { setting: 'KB_48', bytes: 48 * 1024 },
  { setting: 'KB_64', bytes: 64 * 1024 },
]);

/**
 * Headers WAF must never write to its logs: bearer tokens, session cookies and API keys.
 * Lower case: the CloudFormation `SingleHeader.Name` match is case-insensitive, lower case is canonical (HTTP/2).
 */
export const WAF_REDACTED_HEADERS: readonly string[] = Object.freeze(['authorization', 'cookie', 'x-api-key']);

/** Prefix AWS WAF requires on the name of a logging destination. */
export const WAF_LOG_GROUP_PREFIX = 'aws-waf-logs-';

/** Keys of the custom response bodies in the web ACL. */
export const WAF_RESPONSE_BODY_KEYS = Object.freeze({
  tooManyRequests: 'too-many-requests',
  payloadTooLarge: 'payload-too-large',
});

/** Label namespace of the Common rule set: each of its rules labels what it matches `<namespace><Rule_Name>`. */
export const CRS_LABEL_NAMESPACE = 'awswaf:managed:aws:core-rule-set:';

/** A Common rule set rule that blocks legitimate server-to-server callers, and why it is relaxed for them. */
export interface ServerToServerException {
  /** Rule name inside `AWSManagedRulesCommonRuleSet`. */
  readonly rule: string;
  /** The label the rule adds to a matching request. */
  readonly label: string;
  /** Why server-to-server routes are exempt (the security report prints it). */
  readonly reason: string;
}

/**
 * Common rule set rules `ApiFirewall` sets to COUNT inside the group and blocks again, by their label,
 * on every route except the server-to-server ones (webhooks and machine callbacks). `SizeRestrictions_BODY`
 * is not here: it always counts, because the web ACL's own `BodySizeLimit` rule enforces the API's
 * `maxBodyBytes` on every route, server-to-server ones included.
 */
export const CRS_SERVER_TO_SERVER_EXCEPTIONS: readonly ServerToServerException[] = Object.freeze([
  {
    rule: 'NoUserAgent_HEADER',
    label: `${CRS_LABEL_NAMESPACE}NoUserAgent_Header`,
    reason: 'HTTP clients of payment processors and back ends often send no User-Agent; its absence says nothing about a signed server-to-server request, whose HMAC signature or token the handler or authorizer checks.',
  },
  {
    rule: 'CrossSiteScripting_BODY',
    label: `${CRS_LABEL_NAMESPACE}CrossSiteScripting_Body`,
    reason: 'Server-to-server JSON bodies (processor event descriptions, remittance text) may legitimately contain markup-like text; they are never rendered by a browser from this API, are validated by the gateway model and Zod, and a forged body fails the signature check.',
  },
]);
