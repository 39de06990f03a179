import { Annotations, ArnFormat, Duration, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Stage } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm, AlarmBase, AnomalyDetectionAlarm, ComparisonOperator, Dashboard, GraphWidget, IMetric, MathExpression, Metric,
  TextWidget, TreatMissingData, Unit,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ITable, Operation } from 'aws-cdk-lib/aws-dynamodb';
import { AnyPrincipal, Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnQueryDefinition, FilterPattern, ILogGroup, MetricFilter, QueryDefinition, QueryString } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import {
  AUTHORIZER_ALLOW_METRIC, AUTHORIZER_DENIAL_METRIC, DENIAL_REASON_DIMENSION, DENIAL_REASONS,
} from '../../lambda/runtime/authorizer-metrics';
import {
  ACCESS_LOG_METRIC_DIMENSIONS, ACCESS_LOG_STATUS_FILTERS, ALARM_PERIOD, ApiAlarmThresholds, CORRELATION_ID_PLACEHOLDER,
  DASHBOARD_DEFAULT_INTERVAL, DEFAULT_ACCESS_LOG_METRICS_NAMESPACE, DEFAULT_API_ALARM_THRESHOLDS, DEFAULT_DYNAMODB_OPERATIONS,
  FORGERY_DENIAL_REASONS, QUERY_TOP_N, SECRET_FETCH_ERROR_METRIC, SPIKE_EVALUATION, SUSTAINED_EVALUATION,
} from '../defaults/alarms';
import { DEFAULT_METRICS_NAMESPACE } from '../defaults/lambda';
import { checkStageAccessLog } from '../common/access-log-format';
import { requireProp, SecureApiConfigError } from '../errors';
import type { RouteDefinition } from '../routes';
import { SecureFunction } from './secure-function';

/** Options of {@link ApiAlarms}: what `SecureRestApiProps.alarms` accepts. */
export interface ApiAlarmsOptions {
  /**
   * E-mail address subscribed to the alarm topic (the recipient must confirm the subscription).
   * @default - no subscription; subscribe on-call tooling to `alarmTopic` yourself
   */
  readonly alarmEmail?: string;
  /**
   * Prefix of every alarm, dashboard and saved-query name, so they sort together in the console.
   * @default - `<stack name>-<id of the construct that owns the alarms>`
   */
  readonly namePrefix?: string;
  /**
   * Threshold overrides; anything not given keeps its default.
   * @default DEFAULT_API_ALARM_THRESHOLDS
   */
  readonly thresholds?: Partial<ApiAlarmThresholds>;
  /**
   * Namespace of the metrics the access-log metric filters emit.
   * @default 'SecureRestApi/AccessLog'
   */
  readonly accessLogMetricsNamespace?: string;
  /**
   * Namespace of the Powertools metrics of the functions (authorizer denials, secret fetch errors).
   * @default 'SecureRestApi' (DEFAULT_METRICS_NAMESPACE, what SecureFunction sets)
   */
  readonly powertoolsNamespace?: string;
}

/** Props of {@link ApiAlarms}. */
export interface ApiAlarmsProps extends ApiAlarmsOptions {
  /** The API stage to monitor (its `AWS/ApiGateway` metrics and its id/stage as metric dimensions). */
  readonly stage: Stage;
  /** The stage's JSON access-log group (the format of `accessLogFormatString()`). */
  readonly accessLogGroup: ILogGroup;
}

/** Options of {@link ApiAlarms.monitorFunction}. */
export interface FunctionAlarmOptions {
  /**
   * The function's timeout, for the "duration near timeout" alarm.
   * @default - read from the function when it is a `Function`; without it that one alarm is skipped (with a warning)
   */
  readonly timeout?: Duration;
  /**
   * Its log group, added to the correlation-id query.
   * @default - the log group of a `SecureFunction`; none otherwise
   */
  readonly logGroup?: ILogGroup;
  /** Name in alarm names and dashboard titles. @default - the function's construct id */
  readonly label?: string;
}

/** Options of {@link ApiAlarms.monitorTable}. */
export interface TableAlarmOptions {
  /**
   * Operations whose errors and throttles are summed (at most 10: CloudWatch's limit of metrics per alarm).
   * @default DEFAULT_DYNAMODB_OPERATIONS
   */
  readonly operations?: readonly Operation[];
  /** Name in alarm names and dashboard titles. @default - the table's construct id */
  readonly label?: string;
}

/** Options of the Powertools-metric based monitors ({@link ApiAlarms.monitorAuthorizer}, {@link ApiAlarms.monitorSecretAccess}). */
export interface PowertoolsMetricOptions {
  /** Namespace the function's Powertools metrics go to. @default - `powertoolsNamespace` of the construct */
  readonly namespace?: string;
  /** Log group of the function, added to the correlation-id query. @default - none */
  readonly logGroup?: ILogGroup;
}

/** Options of {@link ApiAlarms.monitorHttpBackend}. */
export interface HttpBackendAlarmOptions {
  /** The routes the backend serves: their per-method stage metrics (detailed metrics are on) are watched. */
  readonly routes: readonly Pick<RouteDefinition, 'method' | 'path'>[];
  /** The integration timeout, for the "latency near timeout" alarm. */
  readonly timeout: Duration;
}

/** Options of {@link ApiAlarms.monitorWebAcl}. */
export interface WebAclAlarmOptions {
  /** Region of the (REGIONAL) web ACL, the `Region` dimension of its metrics. @default - the stack's region */
  readonly region?: string;
}

/** The status-code counters the access-log metric filters produce. */
export type AccessLogStatusMetric = keyof typeof ACCESS_LOG_STATUS_FILTERS;

interface StaticAlarmSpec {
  readonly name: string;
  readonly metric: IMetric;
  readonly threshold: number;
  readonly comparison?: ComparisonOperator;
  readonly evaluation: { readonly evaluationPeriods: number; readonly datapointsToAlarm: number };
  readonly treatMissingData: TreatMissingData;
  readonly meaning: string;
  readonly firstCheck: string;
}

/**
 * Monitoring of a secure REST API: access-log metric filters (401, 403, 429, 5xx), alarms with alarm
 * and OK actions to one KMS-encrypted, TLS-only SNS topic that only CloudWatch may publish to, a
 * CloudWatch dashboard and saved Logs Insights queries.
 *
 * The API-level parts are created by the constructor; what exists only in some apps is added with
 * capability methods: {@link monitorFunction}, {@link monitorTable}, {@link monitorSecretAccess},
 * {@link monitorAuthorizer}, {@link monitorWebAcl}. `SecureRestApi` creates one and monitors its handlers.
 *
 * @example
 * const alarms = new ApiAlarms(this, 'Alarms', { stage: api.deploymentStage, accessLogGroup, alarmEmail: 'oncall@example.com' });
 * alarms.monitorFunction(handler);
 * alarms.monitorTable(table);
 * alarms.monitorAuthorizer('payments-authorizer');
 */
export class ApiAlarms extends Construct {
  /** The topic every alarm notifies, on ALARM and on OK. */
  public readonly alarmTopic: Topic;
  /** Customer-managed key of the topic (rotation on). */
  public readonly topicKey: Key;
  /** The dashboard. */
  public readonly dashboard: Dashboard;
  /** The access-log metric filters, by counter. */
  public readonly metricFilters: Readonly<Record<AccessLogStatusMetric, MetricFilter>>;
  /** The saved Logs Insights queries, by short name (`top-401-source-ips`, ...). */
  public readonly queries: ReadonlyMap<string, QueryDefinition>;
  /** The thresholds in force (defaults merged with overrides). */
  public readonly thresholds: Readonly<ApiAlarmThresholds>;
  /** Prefix of every alarm, dashboard and query name. */
  public readonly namePrefix: string;

  private readonly stage: Stage;
  private readonly accessLogNamespace: string;
  private readonly powertoolsNamespace: string;
  private readonly alarmList: AlarmBase[] = [];
  private readonly correlationLogGroups: ILogGroup[] = [];
  private readonly monitored = new Set<string>();
  private readonly usedIds = new Set<string>();
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: ApiAlarmsProps) {
    super(scope, id);
    this.stage = props.stage;
    this.thresholds = this.resolveThresholds(props.thresholds);
    this.namePrefix = props.namePrefix ?? `${Stack.of(this).stackName}-${scope.node.id}`;
    requireProp(Token.isUnresolved(this.namePrefix) || /^[A-Za-z0-9_.-]{1,120}$/.test(this.namePrefix), this, 'namePrefix',
      `"${this.namePrefix}" must be 1-120 letters, digits, '-', '_' or '.' (it starts alarm, dashboard and query names)`);
    this.accessLogNamespace = props.accessLogMetricsNamespace ?? DEFAULT_ACCESS_LOG_METRICS_NAMESPACE;
    this.powertoolsNamespace = props.powertoolsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    this.correlationLogGroups.push(props.accessLogGroup);
    this.requireReadableAccessLog(props);

    this.topicKey = this.createTopicKey();
    this.alarmTopic = this.createTopic(props.alarmEmail);
    this.action = new SnsAction(this.alarmTopic);

    this.metricFilters = this.createMetricFilters(props.accessLogGroup);
    this.createApiAlarms();

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${this.namePrefix}-api`,
      defaultInterval: DASHBOARD_DEFAULT_INTERVAL,
    });
    this.addApiWidgets();
    this.queries = this.createQueries(props.accessLogGroup);
  }

  /**
   * The metric filters only count what the stage's access log says in the fields they read; a stage
   * that logs elsewhere or in another format would leave every access-log alarm silent. Checked now,
   * and again at synth for escape-hatch edits or tokens that resolve late.
   */
  private requireReadableAccessLog(props: ApiAlarmsProps): void {
    const verdict = checkStageAccessLog(props.stage, props.accessLogGroup);
    if (verdict.kind === 'wrong') throw new SecureApiConfigError(this, verdict.prop, verdict.message);
    if (verdict.kind === 'unknown') {
      Annotations.of(this).addWarningV2('secure-rest-api:access-log-format-unverified',
        `The access log of ${props.stage.node.path} could not be checked at synth (${verdict.why}); the 401/403/429/5xx alarms count only lines in the format of accessLogFormatString().`);
    }
    this.node.addValidation({
      validate: () => {
        const late = checkStageAccessLog(props.stage, props.accessLogGroup);
        return late.kind === 'wrong' ? [new SecureApiConfigError(this, late.prop, late.message).message] : [];
      },
    });
  }

  /** Every alarm created so far. */
  public get alarms(): readonly AlarmBase[] {
    return [...this.alarmList];
  }

  /**
   * The access-log counter of one status class, summed per {@link ALARM_PERIOD}, for the API id and stage
   * (the dimensions the metric filters attach).
   */
  public statusMetric(which: AccessLogStatusMetric, period: Duration = ALARM_PERIOD): Metric {
    const filter = ACCESS_LOG_STATUS_FILTERS[which];
    return new Metric({
      namespace: this.accessLogNamespace,
      metricName: filter.metricName,
      dimensionsMap: { ApiId: this.stage.restApi.restApiId, Stage: this.stage.stageName },
      statistic: 'Sum',
      period,
      label: filter.label,
    });
  }

  /**
   * Alarms on a Lambda function: errors, throttles and p99 duration near its timeout; adds its row to the
   * dashboard and its log group to the correlation-id query. Monitoring the same function twice is a no-op.
   */
  public monitorFunction(fn: IFunction, options: FunctionAlarmOptions = {}): void {
    if (!this.once(`fn:${fn.node.addr}`)) return;
    const label = options.label ?? fn.node.id;
    const id = this.childId('Fn', label, fn.node.addr);
    const logGroup = options.logGroup ?? (fn instanceof SecureFunction ? fn.functionLogGroup : undefined);
    if (logGroup) this.correlationLogGroups.push(logGroup);
    const t = this.thresholds;

    this.addStaticAlarm(`${id}Errors`, {
      name: `lambda-${label}-errors`,
      metric: fn.metricErrors({ statistic: 'Sum', period: ALARM_PERIOD }),
      threshold: t.lambdaErrorsPer5Min,
      evaluation: SPIKE_EVALUATION,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      meaning: `Function ${label} threw or timed out ${t.lambdaErrorsPer5Min}+ times in 5 minutes. Handlers turn expected failures into 4xx envelopes, so this is an unhandled bug, a timeout or a dependency outage; callers got a 5xx.`,
      firstCheck: `Run the saved query "${this.namePrefix}/5xx-by-route", then the function's log group for level ERROR and "Task timed out"; compare with the last deployment.`,
    });
    this.addStaticAlarm(`${id}Throttles`, {
      name: `lambda-${label}-throttles`,
      metric: fn.metricThrottles({ statistic: 'Sum', period: ALARM_PERIOD }),
      threshold: t.lambdaThrottlesPer5Min,
      evaluation: SPIKE_EVALUATION,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      meaning: `Function ${label} was throttled (no concurrency left): the request got a 5xx without running.`,
      firstCheck: 'Compare ConcurrentExecutions with the reserved concurrency and the account limit; check the traffic-spike alarm (a flood exhausts concurrency).',
    });

    const timeout = options.timeout ?? (isLambdaFunction(fn) ? fn.timeout : undefined);
    const durationMetric = fn.metricDuration({ statistic: 'p99', period: ALARM_PERIOD });
    if (timeout === undefined || Token.isUnresolved(timeout.toSeconds())) {
      Annotations.of(this).addWarningV2('secure-rest-api:function-timeout-unknown',
        `The timeout of ${fn.node.path} is unknown, so no "duration near timeout" alarm was created for it; pass \`timeout\` to monitorFunction().`);
    } else {
      const limitMs = Math.round(timeout.toMilliseconds() * t.lambdaDurationTimeoutRatio);
      this.addStaticAlarm(`${id}Duration`, {
        name: `lambda-${label}-duration-near-timeout`,
        metric: durationMetric,
        threshold: limitMs,
        evaluation: SUSTAINED_EVALUATION,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        meaning: `p99 duration of ${label} is above ${limitMs} ms (${Math.round(t.lambdaDurationTimeoutRatio * 100)}% of its ${timeout.toSeconds()} s timeout): the slowest requests are about to time out.`,
        firstCheck: 'Open the X-Ray trace map for the function: a slow downstream (DynamoDB, Secrets Manager, JWKS) or a cold-start storm; then the saved query "slowest-routes".',
      });
    }

    this.dashboard.addWidgets(
      new GraphWidget({
        title: `Lambda ${label}: invocations, errors, throttles`,
        left: [
          fn.metricErrors({ statistic: 'Sum', period: Duration.minutes(1), label: 'Errors' }),
          fn.metricThrottles({ statistic: 'Sum', period: Duration.minutes(1), label: 'Throttles' }),
        ],
        right: [fn.metricInvocations({ statistic: 'Sum', period: Duration.minutes(1), label: 'Invocations' })],
        width: 12,
      }),
      new GraphWidget({
        title: `Lambda ${label}: duration (ms)`,
        left: [
          fn.metricDuration({ statistic: 'p50', period: Duration.minutes(1), label: 'p50' }),
          fn.metricDuration({ statistic: 'p99', period: Duration.minutes(1), label: 'p99' }),
        ],
        leftAnnotations: timeout && !Token.isUnresolved(timeout.toSeconds())
          ? [{ value: timeout.toMilliseconds(), label: 'timeout' }]
          : undefined,
        width: 12,
      }),
    );
  }

  /**
   * Alarms on a DynamoDB table: system errors (DynamoDB-side 5xx) and throttled requests, summed over the
   * operations the handlers use.
   */
  public monitorTable(table: ITable, options: TableAlarmOptions = {}): void {
    if (!this.once(`table:${table.node.addr}`)) return;
    const label = options.label ?? table.node.id;
    const id = this.childId('Table', label, table.node.addr);
    const operations = [...(options.operations ?? DEFAULT_DYNAMODB_OPERATIONS)];
    requireProp(operations.length >= 1 && operations.length <= 10, this, 'operations',
      `${operations.length} operations given: an alarm's metric math may use 1 to 10 metrics`);
    const systemErrors = table.metricSystemErrorsForOperations({ operations, period: ALARM_PERIOD, statistic: 'Sum' });
    const throttles = table.metricThrottledRequestsForOperations({ operations, period: ALARM_PERIOD, statistic: 'Sum' });
    const t = this.thresholds;
    this.addStaticAlarm(`${id}SystemErrors`, {
      name: `dynamodb-${label}-system-errors`,
      metric: systemErrors,
      threshold: t.dynamoSystemErrorsPer5Min,
      evaluation: SPIKE_EVALUATION,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      meaning: `DynamoDB returned ${t.dynamoSystemErrorsPer5Min}+ internal server errors for table ${label}: the handlers' requests failed on the AWS side.`,
      firstCheck: 'Check the AWS Health Dashboard for DynamoDB in this region, then the handler logs for retries that exhausted their budget.',
    });
    this.addStaticAlarm(`${id}Throttles`, {
      name: `dynamodb-${label}-throttles`,
      metric: throttles,
      threshold: t.dynamoThrottlesPer5Min,
      evaluation: SPIKE_EVALUATION,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      meaning: `Requests to table ${label} were throttled: a hot partition key or a provisioned capacity that is too low.`,
      firstCheck: 'Open CloudWatch Contributor Insights for the table (most-throttled keys) and compare consumed with provisioned capacity.',
    });
    // Two graphs: both expressions name their per-operation metrics the same way (`getitem`, ...), and
    // one graph cannot hold two metrics with one id.
    this.dashboard.addWidgets(
      new GraphWidget({ title: `DynamoDB ${label}: system errors`, left: [systemErrors], width: 12 }),
      new GraphWidget({ title: `DynamoDB ${label}: throttled requests`, left: [throttles], width: 12 }),
    );
  }

  /**
   * Alarm on failed secret fetches reported by the runtime secrets cache as the Powertools metric
   * {@link SECRET_FETCH_ERROR_METRIC} of service `serviceName` (Secrets Manager publishes no per-secret
   * error metric of its own).
   */
  public monitorSecretAccess(serviceName: string, options: PowertoolsMetricOptions = {}): void {
    requireProp(Token.isUnresolved(serviceName) || serviceName.length > 0, this, 'serviceName', 'must not be empty');
    if (!this.once(`secret:${serviceName}`)) return;
    if (options.logGroup) this.correlationLogGroups.push(options.logGroup);
    const metric = new Metric({
      namespace: options.namespace ?? this.powertoolsNamespace,
      metricName: SECRET_FETCH_ERROR_METRIC,
      dimensionsMap: { service: serviceName },
      statistic: 'Sum',
      period: ALARM_PERIOD,
      label: 'Secret fetch errors',
    });
    this.addStaticAlarm(this.childId('Secret', serviceName, serviceName) + 'FetchErrors', {
      name: `secrets-${serviceName}-fetch-errors`,
      metric,
      threshold: this.thresholds.secretErrorsPer5Min,
      evaluation: SPIKE_EVALUATION,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      meaning: `Service ${serviceName} failed to fetch a secret from Secrets Manager: requests that need it fail until the cache recovers.`,
      firstCheck: 'Check the function logs for AccessDeniedException (role or key policy changed), ResourceNotFoundException (secret renamed/deleted) or a rotation in progress.',
    });
    this.dashboard.addWidgets(new GraphWidget({ title: `Secrets: fetch errors (${serviceName})`, left: [metric], width: 24 }));
  }

  /**
   * Alarms on an HTTP backend (the counterpart of {@link monitorFunction} for routes proxied to an
   * existing service): 5xx answers of its routes (its own 5xx, and the gateway's 502/504 when it fails
   * or times out) and p99 integration latency near its timeout. Uses the function thresholds
   * (`lambdaErrorsPer5Min`, `lambdaDurationTimeoutRatio`). Monitoring the same backend twice is a no-op.
   */
  public monitorHttpBackend(label: string, options: HttpBackendAlarmOptions): void {
    requireProp(options.routes.length > 0, this, 'routes', `backend ${label} serves no route`);
    if (!this.once(`backend:${label}`)) return;
    const id = this.childId('Backend', label, label);
    const t = this.thresholds;
    const perMethod = (metricName: string, route: Pick<RouteDefinition, 'method' | 'path'>, statistic: string, period: Duration): Metric => new Metric({
      namespace: 'AWS/ApiGateway',
      metricName,
      dimensionsMap: { ApiName: this.stage.restApi.restApiName, Method: route.method, Resource: route.path, Stage: this.stage.stageName },
      statistic,
      period,
      label: `${route.method} ${route.path}`,
    });
    // An alarm's metric math may use at most 10 metrics: larger backends get one alarm per 10 routes.
    const chunks: Pick<RouteDefinition, 'method' | 'path'>[][] = [];
    for (let i = 0; i < options.routes.length; i += 10) chunks.push(options.routes.slice(i, i + 10));
    const timeoutMs = Token.isUnresolved(options.timeout.toMilliseconds()) ? undefined : options.timeout.toMilliseconds();
    chunks.forEach((chunk, n) => {
      const suffix = chunks.length > 1 ? `-${n + 1}` : '';
      const errors: Record<string, IMetric> = {};
      const latency: Record<string, IMetric> = {};
      chunk.forEach((route, i) => {
        errors[`e${i}`] = perMethod('5XXError', route, 'Sum', ALARM_PERIOD);
        latency[`l${i}`] = perMethod('IntegrationLatency', route, 'p99', ALARM_PERIOD);
      });
      const routesText = chunk.map((r) => `${r.method} ${r.path}`).join(', ');
      this.addStaticAlarm(`${id}Errors${n || ''}`, {
        name: `backend-${label}-5xx${suffix}`,
        metric: new MathExpression({ expression: Object.keys(errors).map((k) => `FILL(${k}, 0)`).join(' + '), usingMetrics: errors, period: ALARM_PERIOD, label: '5xx' }),
        threshold: t.lambdaErrorsPer5Min,
        evaluation: SPIKE_EVALUATION,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        meaning: `Routes of HTTP backend ${label} (${routesText}) answered ${t.lambdaErrorsPer5Min}+ times with a 5xx in 5 minutes: the backend's own errors, or 502/504 from the gateway when it was unreachable or too slow.`,
        firstCheck: `Run the saved query "${this.namePrefix}/5xx-by-route": integrationStatus 5xx is the backend, errorType INTEGRATION_FAILURE/INTEGRATION_TIMEOUT the connection (VPC link, TLS, DNS); then the backend's own logs by X-Request-Id.`,
      });
      if (timeoutMs !== undefined) {
        const limitMs = Math.round(timeoutMs * t.lambdaDurationTimeoutRatio);
        this.addStaticAlarm(`${id}Latency${n || ''}`, {
          name: `backend-${label}-latency-near-timeout${suffix}`,
          metric: new MathExpression({ expression: `MAX([${Object.keys(latency).join(', ')}])`, usingMetrics: latency, period: ALARM_PERIOD, label: 'p99 integration latency' }),
          threshold: limitMs,
          evaluation: SUSTAINED_EVALUATION,
          treatMissingData: TreatMissingData.NOT_BREACHING,
          meaning: `p99 integration latency of a route of HTTP backend ${label} is above ${limitMs} ms (${Math.round(t.lambdaDurationTimeoutRatio * 100)}% of its ${timeoutMs} ms timeout): the slowest requests are about to get 504.`,
          firstCheck: 'Compare the backend\'s own latency with IntegrationLatency: a gap is the network path (VPC link, load balancer); otherwise the backend or its dependencies are slow.',
        });
      }
    });
    this.dashboard.addWidgets(new GraphWidget({
      title: `HTTP backend ${label}: 5xx and p99 integration latency (ms)`,
      left: options.routes.slice(0, 10).map((r) => perMethod('5XXError', r, 'Sum', Duration.minutes(1))),
      right: options.routes.slice(0, 10).map((r) => perMethod('IntegrationLatency', r, 'p99', Duration.minutes(1))),
      rightAnnotations: timeoutMs !== undefined ? [{ value: timeoutMs, label: 'timeout' }] : undefined,
      width: 24,
    }));
  }

  /**
   * Graphs the authorizer's per-reason denials and allows (the contract of `lambda/runtime/authorizer-metrics`)
   * and alarms on token-forgery denials (bad signature, unknown key id, unsupported algorithm, wrong issuer).
   */
  public monitorAuthorizer(serviceName: string, options: PowertoolsMetricOptions = {}): void {
    requireProp(Token.isUnresolved(serviceName) || serviceName.length > 0, this, 'serviceName', 'must not be empty');
    if (!this.once(`authorizer:${serviceName}`)) return;
    if (options.logGroup) this.correlationLogGroups.push(options.logGroup);
    const namespace = options.namespace ?? this.powertoolsNamespace;
    const denial = (reason: string, period: Duration): Metric => new Metric({
      namespace,
      metricName: AUTHORIZER_DENIAL_METRIC,
      dimensionsMap: { service: serviceName, [DENIAL_REASON_DIMENSION]: reason },
      statistic: 'Sum',
      period,
      label: reason,
    });
    const usingMetrics: Record<string, IMetric> = {};
    FORGERY_DENIAL_REASONS.forEach((reason, i) => { usingMetrics[`r${i}`] = denial(reason, ALARM_PERIOD); });
    const forged = new MathExpression({
      expression: Object.keys(usingMetrics).map((k) => `FILL(${k}, 0)`).join(' + '),
      usingMetrics,
      period: ALARM_PERIOD,
      label: 'Forged or foreign tokens',
    });
    this.addStaticAlarm(this.childId('Authorizer', serviceName, serviceName) + 'ForgedTokens', {
      name: 'authorizer-forged-tokens',
      metric: forged,
      threshold: this.thresholds.forgedTokensPer5Min,
      evaluation: SPIKE_EVALUATION,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      meaning: `The authorizer denied ${this.thresholds.forgedTokensPer5Min}+ tokens in 5 minutes for ${FORGERY_DENIAL_REASONS.join(', ')}: someone is presenting tokens this API never issued (forged signatures, alg tricks, another user pool).`,
      firstCheck: `Run the saved query "${this.namePrefix}/top-401-source-ips" and block the sources in the WAF IP set if they are not a misconfigured client of ours.`,
    });
    this.dashboard.addWidgets(new GraphWidget({
      title: 'Authorizer: denials by reason',
      left: DENIAL_REASONS.map((reason) => denial(reason, Duration.minutes(1))),
      right: [new Metric({
        namespace, metricName: AUTHORIZER_ALLOW_METRIC, dimensionsMap: { service: serviceName },
        statistic: 'Sum', period: Duration.minutes(1), label: 'allowed',
      })],
      stacked: false,
      width: 24,
      height: 8,
    }));
  }

  /**
   * Alarms when the web ACL blocks more than the threshold and graphs allowed vs blocked requests.
   * @param webAclMetricName the web ACL's `visibilityConfig.metricName`: the `WebACL` dimension of its `AWS/WAFV2` metrics
   */
  public monitorWebAcl(webAclMetricName: string, options: WebAclAlarmOptions = {}): void {
    requireProp(Token.isUnresolved(webAclMetricName) || webAclMetricName.length > 0, this, 'webAclMetricName', 'must not be empty');
    if (!this.once(`waf:${webAclMetricName}`)) return;
    const waf = (metricName: string, period: Duration, label: string): Metric => new Metric({
      namespace: 'AWS/WAFV2',
      metricName,
      dimensionsMap: { WebACL: webAclMetricName, Region: options.region ?? Stack.of(this).region, Rule: 'ALL' },
      statistic: 'Sum',
      period,
      label,
    });
    this.addStaticAlarm('WafBlockedSpike', {
      name: 'waf-blocked-spike',
      metric: waf('BlockedRequests', ALARM_PERIOD, 'Blocked'),
      threshold: this.thresholds.wafBlockedPer5Min,
      evaluation: SPIKE_EVALUATION,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      meaning: `The WAF blocked ${this.thresholds.wafBlockedPer5Min}+ requests in 5 minutes: a targeted scan, an injection attempt or a flood hitting the rate rules.`,
      firstCheck: 'In the WAF console (or the WAF log group) find the terminating rule and top client IPs; if one legitimate client is blocked, it is a false positive of that rule.',
    });
    this.dashboard.addWidgets(new GraphWidget({
      title: 'WAF: allowed vs blocked',
      left: [waf('AllowedRequests', Duration.minutes(1), 'Allowed'), waf('BlockedRequests', Duration.minutes(1), 'Blocked')],
      width: 24,
    }));
  }

  private once(key: string): boolean {
    if (this.monitored.has(key)) return false;
    this.monitored.add(key);
    return true;
  }

  /** A readable construct id (`FnHealthFunction`), or one made of the node address when two labels collide. */
  private childId(kind: string, label: string, addr: string): string {
    const readable = `${kind}${label.replace(/[^A-Za-z0-9]/g, '')}`;
    const id = this.usedIds.has(readable) ? `${kind}${addr}` : readable;
    this.usedIds.add(id);
    return id;
  }

  private resolveThresholds(overrides: Partial<ApiAlarmThresholds> = {}): Readonly<ApiAlarmThresholds> {
    const merged: ApiAlarmThresholds = { ...DEFAULT_API_ALARM_THRESHOLDS, ...overrides };
    for (const [key, value] of Object.entries(merged) as [keyof ApiAlarmThresholds, number][]) {
      requireProp(typeof value === 'number' && Number.isFinite(value) && value > 0, this, `thresholds.${key}`,
        `${String(value)} must be a positive number`);
    }
    requireProp(merged.lambdaDurationTimeoutRatio < 1, this, 'thresholds.lambdaDurationTimeoutRatio',
      `${merged.lambdaDurationTimeoutRatio} must be below 1 (at 1 the alarm fires only once requests already time out)`);
    requireProp(merged.serverErrorRatePercent <= 100, this, 'thresholds.serverErrorRatePercent', 'is a percentage (0-100]');
    return Object.freeze(merged);
  }

  /**
   * The topic key: customer-managed (the AWS-managed `alias/aws/sns` key does not let CloudWatch use it),
   * rotated yearly, and usable by CloudWatch only for this account's alarms.
   */
  private createTopicKey(): Key {
    const stack = Stack.of(this);
    const key = new Key(this, 'TopicKey', {
      description: `Encrypts the alarm topic of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    key.addToResourcePolicy(new PolicyStatement({
      sid: 'AllowCloudWatchAlarmsOfThisAccount',
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': this.alarmArnPattern() },
      },
    }));
    return key;
  }

  private createTopic(alarmEmail: string | undefined): Topic {
    const topic = new Topic(this, 'Topic', {
      displayName: `Alarms of ${this.namePrefix}`,
      masterKey: this.topicKey,
      // Adds "Deny sns:Publish unless aws:SecureTransport" (cdk-nag AwsSolutions-SNS3).
      enforceSSL: true,
    });
    topic.addToResourcePolicy(new PolicyStatement({
      sid: 'AllowCloudWatchAlarmsOfThisAccountToPublish',
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        ArnLike: { 'aws:SourceArn': this.alarmArnPattern() },
      },
    }));
    // Without this, any IAM principal of the account whose identity policy allows sns:Publish could
    // send fake "all clear" messages; only AWS services (and, by the allow above, only CloudWatch) may publish.
    topic.addToResourcePolicy(new PolicyStatement({
      sid: 'DenyPublishByAnyoneButAwsServices',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: { Bool: { 'aws:PrincipalIsAWSService': 'false' } },
    }));
    if (alarmEmail !== undefined) {
      requireProp(Token.isUnresolved(alarmEmail) || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(alarmEmail), this, 'alarmEmail',
        `"${alarmEmail}" is not an e-mail address`);
      topic.addSubscription(new EmailSubscription(alarmEmail));
    }
    return topic;
  }

  private alarmArnPattern(): string {
    return Stack.of(this).formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }

  private createMetricFilters(logGroup: ILogGroup): Record<AccessLogStatusMetric, MetricFilter> {
    const filters = {} as Record<AccessLogStatusMetric, MetricFilter>;
    for (const [key, spec] of Object.entries(ACCESS_LOG_STATUS_FILTERS) as [AccessLogStatusMetric, (typeof ACCESS_LOG_STATUS_FILTERS)[AccessLogStatusMetric]][]) {
      filters[key] = new MetricFilter(this, `${spec.id}Filter`, {
        logGroup,
        metricNamespace: this.accessLogNamespace,
        metricName: spec.metricName,
        filterPattern: FilterPattern.numberValue(`$.${spec.field}`, spec.operator, spec.value),
        metricValue: '1',
        dimensions: { ...ACCESS_LOG_METRIC_DIMENSIONS },
        unit: Unit.COUNT,
      });
    }
    return filters;
  }

  private createApiAlarms(): void {
    const t = this.thresholds;
    const authFailure = (status: 401 | 403, which: 'unauthorized' | 'forbidden', threshold: number): void => {
      const meaning401 = 'Requests without a valid token were rejected. A burst is credential stuffing, token replay or a client whose token refresh broke.';
      const meaning403 = 'Authenticated callers were refused (scope/group missing, WAF block or bad API key). A burst is privilege probing or a client deployed with the wrong scopes.';
      const check = `Run the saved query "${this.namePrefix}/top-401-source-ips" (and "denials-by-reason"): many IPs and one client id is a broken client; few IPs and many ids is an attack.`;
      this.addStaticAlarm(`Status${status}Spike`, {
        name: `api-${status}-spike`,
        metric: this.statusMetric(which),
        threshold,
        evaluation: SPIKE_EVALUATION,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        meaning: `${threshold}+ responses with status ${status} in 5 minutes. ${status === 401 ? meaning401 : meaning403}`,
        firstCheck: check,
      });
      this.addAnomalyAlarm(`Status${status}Anomaly`, {
        name: `api-${status}-anomaly`,
        // Filter metrics are sparse (no data point when nothing matched): FILL makes quiet periods count as
        // zero so the model learns the real baseline instead of only the busy periods.
        metric: new MathExpression({
          expression: 'FILL(m, 0)',
          usingMetrics: { m: this.statusMetric(which) },
          period: ALARM_PERIOD,
          label: `${status} responses`,
        }),
        stdDevs: t.authFailureAnomalyStdDevs,
        meaning: `${status} responses rose above the learned band (${t.authFailureAnomalyStdDevs} standard deviations): a slow rise a static threshold misses, such as low-and-slow credential stuffing.`,
        firstCheck: check,
      });
    };
    authFailure(401, 'unauthorized', t.unauthorizedPer5Min);
    authFailure(403, 'forbidden', t.forbiddenPer5Min);

    this.addStaticAlarm('Status429Spike', {
      name: 'api-429-spike',
      metric: this.statusMetric('throttled'),
      threshold: t.throttledPer5Min,
      evaluation: SPIKE_EVALUATION,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      meaning: `${t.throttledPer5Min}+ requests in 5 minutes were throttled (stage/method throttle or usage-plan quota): abuse or scraping, or a limit set below real demand.`,
      firstCheck: 'Break 429s down by apiKeyId, sourceIp and resourcePath in the access log; one key or IP is abuse, all callers means the limit is too low.',
    });

    this.addStaticAlarm('ServerErrorRate', {
      name: 'api-5xx-rate',
      metric: this.serverErrorRate(),
      threshold: t.serverErrorRatePercent,
      evaluation: SUSTAINED_EVALUATION,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      meaning: `More than ${t.serverErrorRatePercent}% of requests failed with a 5xx in 2 of the last 3 five-minute periods (evaluated only above ${t.serverErrorMinRequests} requests per period).`,
      firstCheck: `Run the saved query "${this.namePrefix}/5xx-by-route": errorType INTEGRATION_FAILURE/TIMEOUT points to a handler (see its Lambda alarms), AUTHORIZER_* to the authorizer.`,
    });

    this.addStaticAlarm('LatencyP99', {
      name: 'api-latency-p99',
      metric: this.stage.metricLatency({ statistic: 'p99', period: ALARM_PERIOD }),
      threshold: t.latencyP99Ms,
      evaluation: SUSTAINED_EVALUATION,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      meaning: `p99 end-to-end latency of the stage is above ${t.latencyP99Ms} ms in 2 of the last 3 periods: clients are close to timing out.`,
      firstCheck: `Run the saved query "${this.namePrefix}/slowest-routes", then compare IntegrationLatency with Latency: the gap is the authorizer and the gateway, the rest the handler.`,
    });

    this.addAnomalyAlarm('TrafficAnomaly', {
      name: 'api-traffic-anomaly',
      metric: this.stage.metricCount({ statistic: 'Sum', period: ALARM_PERIOD, label: 'Requests' }),
      stdDevs: t.trafficAnomalyStdDevs,
      meaning: `Requests rose above the learned band (${t.trafficAnomalyStdDevs} standard deviations) in 2 of the last 3 periods: a flood, a scraper or a client retry storm. A drop is not alarmed here: the 5xx and latency alarms cover an outage.`,
      firstCheck: 'Group the access log by sourceIp, apiKeyId and userAgent over the spike; check the WAF blocked-requests graph and whether 429s rose with it.',
    });
  }

  /** 5xx responses as a percentage of requests, 0 below the minimum volume. */
  private serverErrorRate(): MathExpression {
    return new MathExpression({
      expression: `IF(requests >= ${this.thresholds.serverErrorMinRequests}, 100 * FILL(errors, 0) / requests, 0)`,
      usingMetrics: {
        errors: this.statusMetric('serverError'),
        requests: this.stage.metricCount({ statistic: 'Sum', period: ALARM_PERIOD }),
      },
      period: ALARM_PERIOD,
      label: '5xx rate (%)',
    });
  }

  private addStaticAlarm(id: string, spec: StaticAlarmSpec): Alarm {
    const alarm = new Alarm(this, id, {
      alarmName: `${this.namePrefix}-${spec.name}`,
      alarmDescription: describe(spec.meaning, spec.firstCheck),
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: spec.evaluation.evaluationPeriods,
      datapointsToAlarm: spec.evaluation.datapointsToAlarm,
      treatMissingData: spec.treatMissingData,
    });
    return this.wire(alarm);
  }

  /**
   * Anomaly alarms only look upward (a drop in failures or traffic is not an incident) and treat
   * missing data as not breaching: no data is no spike.
   */
  private addAnomalyAlarm(id: string, spec: { name: string; metric: IMetric; stdDevs: number; meaning: string; firstCheck: string }): AnomalyDetectionAlarm {
    const alarm = new AnomalyDetectionAlarm(this, id, {
      alarmName: `${this.namePrefix}-${spec.name}`,
      alarmDescription: describe(spec.meaning, spec.firstCheck),
      metric: spec.metric,
      stdDevs: spec.stdDevs,
      comparisonOperator: ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
      evaluationPeriods: SUSTAINED_EVALUATION.evaluationPeriods,
      datapointsToAlarm: SUSTAINED_EVALUATION.datapointsToAlarm,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    return this.wire(alarm);
  }

  /** Alarm and OK actions: on-call hears about the incident and about the recovery. */
  private wire<T extends Alarm>(alarm: T): T {
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarmList.push(alarm);
    return alarm;
  }

  private addApiWidgets(): void {
    const minute = Duration.minutes(1);
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# ${this.namePrefix}\nAlarms notify the topic \`${this.alarmTopic.node.id}\`. Runbook: docs/monitoring.md. Saved queries: Logs Insights > Queries > \`${this.namePrefix}/\`.`,
        width: 24,
        height: 2,
      }),
      new GraphWidget({
        title: 'Requests',
        left: [this.stage.metricCount({ statistic: 'Sum', period: minute, label: 'Requests' })],
        width: 12,
      }),
      new GraphWidget({
        title: 'Latency (ms)',
        left: [
          this.stage.metricLatency({ statistic: 'p50', period: minute, label: 'p50' }),
          this.stage.metricLatency({ statistic: 'p99', period: minute, label: 'p99' }),
        ],
        leftAnnotations: [{ value: this.thresholds.latencyP99Ms, label: 'p99 alarm' }],
        width: 12,
      }),
      new GraphWidget({
        title: '4xx by status (401 / 403 / 429)',
        left: [this.statusMetric('unauthorized', minute), this.statusMetric('forbidden', minute), this.statusMetric('throttled', minute)],
        width: 12,
      }),
      new GraphWidget({
        title: '5xx',
        left: [this.statusMetric('serverError', minute)],
        right: [this.serverErrorRate()],
        width: 12,
      }),
    );
  }

  private createQueries(accessLogGroup: ILogGroup): Map<string, QueryDefinition> {
    const queries = new Map<string, QueryDefinition>();
    const add = (name: string, id: string, queryString: QueryString, logGroups: ILogGroup[]): QueryDefinition => {
      const query = new QueryDefinition(this, id, { queryDefinitionName: `${this.namePrefix}/${name}`, queryString, logGroups });
      queries.set(name, query);
      return query;
    };
    add('top-401-source-ips', 'QueryTop401SourceIps', new QueryString({
      fields: ['sourceIp', 'clientId'],
      filterStatements: ['status = 401'],
      statsStatements: ['count(*) as failures, count_distinct(clientId) as clients, count_distinct(userAgent) as agents by sourceIp'],
      sort: 'failures desc',
      limit: QUERY_TOP_N,
    }), [accessLogGroup]);
    add('denials-by-reason', 'QueryDenialsByReason', new QueryString({
      filterStatements: ['status = 401 or status = 403 or status = 429'],
      statsStatements: ['count(*) as denials by status, errorType, authorizerStatus, wafResponseCode'],
      sort: 'denials desc',
      limit: QUERY_TOP_N,
    }), [accessLogGroup]);
    add('slowest-routes', 'QuerySlowestRoutes', new QueryString({
      statsStatements: ['count(*) as requests, avg(responseLatency) as avgMs, pct(responseLatency, 99) as p99Ms, max(responseLatency) as maxMs by httpMethod, resourcePath'],
      sort: 'p99Ms desc',
      limit: QUERY_TOP_N,
    }), [accessLogGroup]);
    add('5xx-by-route', 'Query5xxByRoute', new QueryString({
      filterStatements: ['status >= 500'],
      statsStatements: ['count(*) as errors by httpMethod, resourcePath, status, errorType, integrationError'],
      sort: 'errors desc',
      limit: QUERY_TOP_N,
    }), [accessLogGroup]);
    // API access lines carry requestId/correlationId; handler lines carry correlationId (Powertools
    // appendKeys) and the Lambda runtime's own lines its requestId. One query follows a request across all.
    const correlation = add('requests-by-correlation-id', 'QueryByCorrelationId', new QueryString({
      fields: ['@timestamp', '@log', 'status', 'httpMethod', 'resourcePath', 'level', 'message'],
      filterStatements: [`requestId = "${CORRELATION_ID_PLACEHOLDER}" or correlationId = "${CORRELATION_ID_PLACEHOLDER}" or correlation_id = "${CORRELATION_ID_PLACEHOLDER}"`],
      sort: '@timestamp asc',
      limit: 1000,
    }), [accessLogGroup]);
    // Functions are monitored after construction: their log groups are added when the template is rendered.
    (correlation.node.defaultChild as CfnQueryDefinition).logGroupNames = Lazy.list({
      produce: () => [...new Set(this.correlationLogGroups)].map((lg) => lg.logGroupName),
    });
    return queries;
  }
}

function describe(meaning: string, firstCheck: string): string {
  return `${meaning} First check: ${firstCheck}`;
}

function isLambdaFunction(fn: IFunction): fn is IFunction & { readonly timeout?: Duration } {
  return 'timeout' in fn && (fn as { timeout?: unknown }).timeout instanceof Duration;
}
