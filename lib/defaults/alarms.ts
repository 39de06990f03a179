import { Duration } from 'aws-cdk-lib';
import { Operation } from 'aws-cdk-lib/aws-dynamodb';
import type { DenialReason } from '../../lambda/runtime/authorizer-metrics';

/**
 * Alarm, metric-filter and dashboard defaults of `ApiAlarms`. Every number is a named constant with
 * the reason it has that value; a consumer overrides them through `ApiAlarmsOptions.thresholds`.
 */

/**
 * CloudWatch namespace of the metrics extracted from the API access log by metric filters.
 * Kept apart from the Powertools namespace (`SecureRestApi`) so gateway-side counts (which include
 * requests the WAF, throttles and the authorizer rejected before any Lambda ran) are never mixed up
 * with what the functions report.
 */
export const DEFAULT_ACCESS_LOG_METRICS_NAMESPACE = 'SecureRestApi/AccessLog';

/**
 * Period every API-level alarm evaluates. Five minutes is the shortest period at which a metric filter
 * count is stable (log delivery lags up to a minute or two) and the period the "count per
 * 5 minutes" thresholds are expressed in.
 */
export const ALARM_PERIOD = Duration.minutes(5);

/** Numeric comparison a metric filter applies to a numeric access-log field. */
export type NumericFilterOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** One metric filter on the access log: counts the lines whose numeric `field` compares true. */
export interface AccessLogStatusFilter {
  /** Construct id suffix and key (`Status401`). */
  readonly id: string;
  /** CloudWatch metric name (in {@link DEFAULT_ACCESS_LOG_METRICS_NAMESPACE}). */
  readonly metricName: string;
  /** Access-log field the filter reads: must be a `number` field of `ACCESS_LOG_FIELDS`. */
  readonly field: string;
  /** Comparison. */
  readonly operator: NumericFilterOperator;
  /** Number compared with. */
  readonly value: number;
  /** What the metric counts (dashboard label). */
  readonly label: string;
}

/**
 * The status metric filters. Each reads `$.status`, which the access-log format emits as a JSON
 * number, so the comparison is numeric (`{ $.status = 401 }`), never a string match.
 */
export const ACCESS_LOG_STATUS_FILTERS = Object.freeze({
  unauthorized: { id: 'Status401', metricName: 'Status401', field: 'status', operator: '=', value: 401, label: '401 Unauthorized' },
  forbidden: { id: 'Status403', metricName: 'Status403', field: 'status', operator: '=', value: 403, label: '403 Forbidden' },
  throttled: { id: 'Status429', metricName: 'Status429', field: 'status', operator: '=', value: 429, label: '429 Too Many Requests' },
  serverError: { id: 'Status5xx', metricName: 'Status5xx', field: 'status', operator: '>=', value: 500, label: '5xx' },
} as const satisfies Record<string, AccessLogStatusFilter>);

/**
 * Dimensions of every access-log metric, as metric-filter selectors. Both fields are strings of the
 * access-log line (`$context.apiId`, `$context.stage`), so two APIs or two stages sharing a log group
 * never add up into one series. (A filter with dimensions cannot have a default value, so the metrics
 * are sparse: no data point means "none counted", which is why count alarms treat missing data as
 * not breaching.)
 */
export const ACCESS_LOG_METRIC_DIMENSIONS = Object.freeze({ ApiId: '$.apiId', Stage: '$.stage' });

/** Thresholds of the alarms `ApiAlarms` creates. */
export interface ApiAlarmThresholds {
  /**
   * 401 responses per 5 minutes that raise the static 401-spike alarm.
   * @default 50
   */
  readonly unauthorizedPer5Min: number;
  /**
   * 403 responses per 5 minutes that raise the static 403-spike alarm.
   * @default 25
   */
  readonly forbiddenPer5Min: number;
  /**
   * Width (standard deviations) of the anomaly band of the 401 and 403 anomaly alarms.
   * @default 3
   */
  readonly authFailureAnomalyStdDevs: number;
  /**
   * 429 responses per 5 minutes that raise the throttling alarm.
   * @default 100
   */
  readonly throttledPer5Min: number;
  /**
   * 5xx responses as a percentage of all requests that raises the 5xx-rate alarm.
   * @default 1
   */
  readonly serverErrorRatePercent: number;
  /**
   * Requests per 5 minutes below which the 5xx rate is not evaluated (one 5xx out of two requests is not an outage).
   * @default 20
   */
  readonly serverErrorMinRequests: number;
  /**
   * p99 latency (ms, as API Gateway measures it end to end) that raises the latency alarm.
   * @default 2000
   */
  readonly latencyP99Ms: number;
  /**
   * Width (standard deviations) of the anomaly band of the traffic-spike alarm.
   * @default 4
   */
  readonly trafficAnomalyStdDevs: number;
  /**
   * Requests the WAF blocked per 5 minutes that raise the WAF alarm.
   * @default 100
   */
  readonly wafBlockedPer5Min: number;
  /**
   * Token-forgery denials (bad signature, unknown key, unsupported algorithm, wrong issuer) per 5 minutes.
   * @default 5
   */
  readonly forgedTokensPer5Min: number;
  /**
   * Errors of one Lambda function per 5 minutes.
   * @default 1
   */
  readonly lambdaErrorsPer5Min: number;
  /**
   * Throttled invocations of one Lambda function per 5 minutes.
   * @default 1
   */
  readonly lambdaThrottlesPer5Min: number;
  /**
   * Fraction of the function timeout that p99 duration may reach before the alarm.
   * @default 0.8
   */
  readonly lambdaDurationTimeoutRatio: number;
  /**
   * DynamoDB system errors (5xx from DynamoDB) per 5 minutes on one table.
   * @default 1
   */
  readonly dynamoSystemErrorsPer5Min: number;
  /**
   * Throttled DynamoDB requests per 5 minutes on one table.
   * @default 1
   */
  readonly dynamoThrottlesPer5Min: number;
  /**
   * Failed secret fetches per 5 minutes.
   * @default 1
   */
  readonly secretErrorsPer5Min: number;
}

/**
 * Default thresholds, with the reasoning behind each:
 * - `unauthorizedPer5Min` 50: a real client with an expired token retries a handful of times and then
 *   refreshes; 50 failures in 5 minutes is ~10/min, the low end of a credential-stuffing or token-replay run.
 * - `forbiddenPer5Min` 25: a valid token asking for a route its scopes do not allow is rarer than a 401
 *   (clients are built against their scopes), so a lower count already means probing or a bad deploy.
 * - `authFailureAnomalyStdDevs` 3: catches the slow rise a static threshold misses; 3 sigma keeps the
 *   weekly traffic rhythm from paging.
 * - `throttledPer5Min` 100: some 429s are normal backpressure; 100 in 5 minutes means a client (or an
 *   attacker) is hammering the stage or a usage-plan limit is set too low.
 * - `serverErrorRatePercent` 1 with `serverErrorMinRequests` 20: a financial API should answer 99%+ of
 *   requests without a server error; the minimum volume keeps a single failure at 3 a.m. from paging.
 * - `latencyP99Ms` 2000: handlers time out at 10 s by default and API Gateway at 29 s; a p99 of 2 s is
 *   already far outside a healthy JSON API and leaves time to act before timeouts turn into 504s.
 * - `trafficAnomalyStdDevs` 4: traffic is spiky by nature; 4 sigma above the learned band is a flood,
 *   not a marketing e-mail.
 * - `wafBlockedPer5Min` 100: the managed rules block background internet noise all day; 100 per
 *   5 minutes against one API is a targeted scan or flood.
 * - `forgedTokensPer5Min` 5: a legitimate client never presents a token with a bad signature or from
 *   another issuer; a few are bugs, five in 5 minutes is someone crafting tokens.
 * - `lambdaErrorsPer5Min` 1 / `lambdaThrottlesPer5Min` 1: handlers turn every expected failure into a
 *   4xx envelope, so any Lambda error is an unhandled bug; any throttle is a request that got a 5xx.
 * - `lambdaDurationTimeoutRatio` 0.8: at 80% of the timeout the slowest requests are one bad day away
 *   from timing out.
 * - `dynamoSystemErrorsPer5Min` 1 / `dynamoThrottlesPer5Min` 1: on-demand tables rarely throttle and
 *   system errors are AWS-side; either one means requests failed.
 * - `secretErrorsPer5Min` 1: a failed secret fetch means a handler cannot reach its credentials.
 */
export const DEFAULT_API_ALARM_THRESHOLDS: Readonly<ApiAlarmThresholds> = Object.freeze({
  unauthorizedPer5Min: 50,
  forbiddenPer5Min: 25,
  authFailureAnomalyStdDevs: 3,
  throttledPer5Min: 100,
  serverErrorRatePercent: 1,
  serverErrorMinRequests: 20,
  latencyP99Ms: 2000,
  trafficAnomalyStdDevs: 4,
  wafBlockedPer5Min: 100,
  forgedTokensPer5Min: 5,
  lambdaErrorsPer5Min: 1,
  lambdaThrottlesPer5Min: 1,
  lambdaDurationTimeoutRatio: 0.8,
  dynamoSystemErrorsPer5Min: 1,
  dynamoThrottlesPer5Min: 1,
  secretErrorsPer5Min: 1,
});

/**
 * How many of the last N periods must breach. Spikes page on one period (an attack does not wait);
 * rates, latency and anomaly bands need two of three so one noisy period does not page.
 */
export const SPIKE_EVALUATION = Object.freeze({ evaluationPeriods: 1, datapointsToAlarm: 1 });
/** @see SPIKE_EVALUATION */
export const SUSTAINED_EVALUATION = Object.freeze({ evaluationPeriods: 3, datapointsToAlarm: 2 });

/**
 * Authorizer denial reasons that mean someone presented a token this API never issued: a forged or
 * tampered signature, a key id not in the JWKS, an algorithm outside the allow-list (the `alg: none`
 * trick), or a token from another issuer — or a certificate-bound machine token presented with another
 * certificate (a stolen token). A legitimate client cannot produce them by accident.
 */
export const FORGERY_DENIAL_REASONS: readonly DenialReason[] = Object.freeze([
  'bad_signature',
  'unknown_kid',
  'unsupported_alg',
  'wrong_issuer',
  // A bound machine token presented with another certificate: the token left its partner (RFC 8705's threat).
  'wrong_client_cert',
]);

/**
 * Powertools metric the runtime secrets cache emits (same namespace and `service` dimension as every
 * Powertools metric) when fetching a secret fails. `ApiAlarms.monitorSecretAccess()` alarms on it;
 * the contract lives with the runtime code that emits it.
 */
export { SECRET_FETCH_ERROR_METRIC } from '../../lambda/runtime/secret-metrics';

/**
 * DynamoDB operations whose system errors and throttles are summed per table. CloudWatch allows at most
 * 10 metrics in an alarm's math expression, so the list is the operations handlers actually call.
 */
export const DEFAULT_DYNAMODB_OPERATIONS: readonly Operation[] = Object.freeze([
  Operation.GET_ITEM, Operation.PUT_ITEM, Operation.UPDATE_ITEM, Operation.DELETE_ITEM, Operation.QUERY,
  Operation.TRANSACT_WRITE_ITEMS, Operation.TRANSACT_GET_ITEMS, Operation.BATCH_GET_ITEM,
]);

/** Time range a dashboard opens with: long enough to see a spike's start, short enough to read minutes. */
export const DASHBOARD_DEFAULT_INTERVAL = Duration.hours(3);

/** Rows a Logs Insights "top N" query returns. */
export const QUERY_TOP_N = 25;

/** Placeholder the correlation-id query carries: replace it with the id from the client's `X-Request-Id`. */
export const CORRELATION_ID_PLACEHOLDER = 'REPLACE_WITH_CORRELATION_ID';
