import { isIP } from 'net';
import { Annotations, ArnFormat, Names, Stack, Token } from 'aws-cdk-lib';
import { IStage } from 'aws-cdk-lib/aws-apigateway';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { ILogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnIPSet, CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { SECURITY_HEADERS } from '../../lambda/runtime/security-headers';
import { secureLogGroup } from '../common/encryption';
import { stackCreationSuffix } from '../common/unique-names';
import {
  DEFAULT_MAX_BODY_BYTES, DEFAULT_STAGE_THROTTLE, GATEWAY_ERRORS, METHOD_THROTTLE_BY_SENSITIVITY, Sensitivity, ThrottleLimits,
} from '../defaults/api';
import { DEFAULT_USAGE_TIERS, UsageTier } from '../defaults/usage-plans';
import {
  CRS_BODY_SIZE_LIMIT_BYTES, CRS_BODY_SIZE_RULE, CRS_SERVER_TO_SERVER_EXCEPTIONS, DEFAULT_IP_RATE_LIMIT, DEFAULT_SENSITIVE_RATE_LIMIT, DEFAULT_TOKEN_RATE_LIMIT,
  MANAGED_RULE_GROUPS,
  ManagedRuleGroupName, WAF_BODY_INSPECTION_LIMITS, WAF_EVALUATION_WINDOWS, WAF_LOG_GROUP_PREFIX, WAF_MAX_RATE_LIMIT,
  WAF_MIN_RATE_LIMIT, WAF_REDACTED_HEADERS, WAF_RESPONSE_BODY_KEYS, WAF_RULE_NAMES, WAF_RULE_PRIORITY, WafEvaluationWindow,
  WafRateLimit,
} from '../defaults/waf';
import { requireProp } from '../errors';
import { HttpMethod, isPublicRoute, protectionOf, routeKey, RouteDefinition, RouteTable, sensitivityOf } from '../routes';
import { planMethodThrottle } from './usage-plan-tiers';
import { stageMethodThrottle } from '../common/throttle';

/** Action a single managed rule can be overridden to. `count` only observes (weakening, warned about). */
export type ManagedRuleAction = 'count' | 'block';

/** Options of {@link ApiFirewall} that `SecureRestApi` accepts as `firewall`. */
export interface ApiFirewallOptions {
  /**
   * Per-IP rate limit for the whole API; blocked requests get 429 with the JSON error body.
   * @default DEFAULT_IP_RATE_LIMIT (3,000 per 300 s)
   */
  readonly rateLimit?: WafRateLimit;
  /**
   * Per-IP rate limit on the routes the route table marks `sensitivity: 'high'`. Must be stricter (lower
   * requests per second) than `rateLimit`.
   * @default DEFAULT_SENSITIVE_RATE_LIMIT (20 per 60 s)
   */
  readonly sensitiveRateLimit?: WafRateLimit;
  /**
   * Per-caller rate limit, keyed on the `Authorization` header (one bearer token): each signed-in user's
   * own bucket, since people share a usage plan without quota; 429 with the JSON error body.
   * @default DEFAULT_TOKEN_RATE_LIMIT (3,000 per 300 s)
   */
  readonly tokenRateLimit?: WafRateLimit;
  /**
   * Block (instead of count) requests from VPNs, proxies, Tor and hosting providers
   * (`AWSManagedRulesAnonymousIpList`). Off by default: real customers use privacy relays.
   * @default false
   */
  readonly blockAnonymousIps?: boolean;
  /**
   * Override single rules of a managed group, e.g.
   * `{ AWSManagedRulesCommonRuleSet: { SizeRestrictions_BODY: 'count' } }`. `count` weakens the ACL and
   * is reported as a warning. The Common rule set's `SizeRestrictions_BODY` is already set to count
   * automatically when the API accepts bodies above 8 KB (the firewall's own body-size rule replaces it).
   * @default - no overrides
   */
  readonly ruleActionOverrides?: Partial<Record<ManagedRuleGroupName, Readonly<Record<string, ManagedRuleAction>>>>;
  /**
   * CIDR ranges (IPv4 or IPv6) that may call the API; **every other source is blocked**. For
   * service-to-service APIs. There is deliberately no "trusted IPs skip the rules" list.
   * @default - no source restriction
   */
  readonly ipAllowList?: readonly string[];
  /** CIDR ranges (IPv4 or IPv6) that are always blocked. @default - none */
  readonly ipDenyList?: readonly string[];
  /**
   * ISO 3166-1 alpha-2 country codes that may call the API; requests from elsewhere are blocked.
   * Exclusive with `blockedCountries`.
   * @default - no geo restriction
   */
  readonly allowedCountries?: readonly string[];
  /** ISO 3166-1 alpha-2 country codes that are blocked. Exclusive with `allowedCountries`. @default - none */
  readonly blockedCountries?: readonly string[];
  /** Retention of the WAF log group. @default RetentionDays.ONE_YEAR */
  readonly logRetention?: RetentionDays;
  /** KMS key of the WAF log group. @default - the stack's logs key */
  readonly logEncryptionKey?: IKey;
  /**
   * Name of the WAF log group; must start with `aws-waf-logs-`.
   * @default - `aws-waf-logs-<unique construct name>`
   */
  readonly logGroupName?: string;
  /**
   * Headers to redact from WAF logs in addition to `authorization`, `cookie` and `x-api-key`
   * (which are always redacted).
   * @default - none
   */
  readonly additionalRedactedHeaders?: readonly string[];
  /**
   * Routes called by servers, not browsers (webhooks, machine callbacks), as route keys (`POST /webhooks/processor`).
   * On them the Common rule set's `NoUserAgent_HEADER` and `CrossSiteScripting_BODY` do not block
   * ({@link CRS_SERVER_TO_SERVER_EXCEPTIONS} says why); on every other route they still do. Every other rule
   * (rate limits, body size, IP reputation, known bad inputs, SQLi, the rest of the Common rule set) applies.
   * `[]` keeps both rules blocking everywhere.
   * @default - the public routes that take a body (server callbacks authenticated in the handler, e.g. by a signature)
   */
  readonly serverToServerRoutes?: readonly string[];
  /**
   * Create the CloudWatch Logs resource policy that lets WAF deliver logs to this log group (scoped to it,
   * with source-account and source-ARN conditions). Turn off only when the account is at its quota of
   * 10 resource policies and already has a policy WAF can use; WAF then tries to create `AWSWAF-LOGS` itself.
   * @default true
   */
  readonly createLogResourcePolicy?: boolean;
}

/** Props of {@link ApiFirewall}. */
export interface ApiFirewallProps extends ApiFirewallOptions {
  /** The route table: routes marked `sensitivity: 'high'` get the stricter rate rule. */
  readonly routes: RouteTable;
  /**
   * URI prefixes a route's path may appear behind, as WAF sees the URI: the stage (`/v1`) on the
   * execute-api endpoint, the base path (or nothing, `''`) on a custom domain. Every one is covered.
   * @default [''] - routes are matched at the root only
   */
  readonly pathPrefixes?: readonly string[];
  /**
   * Largest request body the API accepts (bytes); larger bodies are blocked with 413.
   * @default 16384
   */
  readonly maxBodyBytes?: number;
  /** Stage to associate the web ACL with. @default - none; call `associate()` */
  readonly stage?: IStage;
  /**
   * Headers added to the 429/413 responses WAF sends itself, besides the security headers (e.g. CORS).
   * @default - security headers only
   */
  readonly extraResponseHeaders?: Readonly<Record<string, string>>;
}

/** The stricter rate rule's match for one HTTP method: URI regexes of that method's sensitive routes. */
export interface SensitiveRouteMatcher {
  readonly method: HttpMethod;
  /** Anchored regexes on the lower-cased, URL-decoded, normalized URI path (each at most 512 characters). */
  readonly regexes: readonly string[];
  /** The routes this matcher covers. */
  readonly routes: readonly RouteDefinition[];
}

const WAF_REGEX_MAX = 512;
const SEGMENT_PATTERN = /^[A-Za-z0-9._-]+$/;
const COUNTRY_PATTERN = /^[A-Z]{2}$/;
const HEADER_PATTERN = /^[a-z0-9-]{1,64}$/;
const RULE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** Regex fragment of a route path: literal segments escaped and lower-cased, `{param}` as one segment. */
export function routePathPattern(path: string): string {
  if (path === '/') return '';
  return path.split('/').filter(Boolean)
    .map((segment) => (/^\{[^}]+\}$/.test(segment) ? '/[^/]+' : `/${escapeRegex(segment.toLowerCase())}`))
    .join('');
}

/**
 * The URI matchers of the stricter rate rule, derived from the route table: one per HTTP method that has a
 * `high` route, each an anchored regex `^(?:<prefixes>)(?:<paths>)/?$`. Split into several regexes when
 * one would exceed WAF's 512-character limit.
 */
export function sensitiveRouteMatchers(routes: RouteTable, pathPrefixes: readonly string[] = ['']): SensitiveRouteMatcher[] {
  return routeMatchers(routes.filter((r) => sensitivityOf(r) === 'high'), pathPrefixes);
}

/** URI matchers (one per HTTP method, anchored regexes split at WAF's 512-character limit) of the given routes. */
export function routeMatchers(routes: RouteTable, pathPrefixes: readonly string[] = ['']): SensitiveRouteMatcher[] {
  const prefixes = [...new Set(pathPrefixes)];
  const named = prefixes.filter((p) => p !== '').map((p) => escapeRegex(p.toLowerCase()));
  const optional = prefixes.includes('');
  const prefixGroup = named.length === 0 ? '' : `(?:${named.join('|')})${optional ? '?' : ''}`;
  const byMethod = new Map<HttpMethod, RouteDefinition[]>();
  for (const route of routes) {
    byMethod.set(route.method, [...(byMethod.get(route.method) ?? []), route]);
  }
  return [...byMethod.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([method, methodRoutes]) => {
    const paths = [...new Set(methodRoutes.map((r) => routePathPattern(r.path)))].sort();
    const regexes: string[] = [];
    let chunk: string[] = [];
    const render = (parts: string[]): string => `^${prefixGroup}(?:${parts.join('|')})/?$`;
    for (const p of paths) {
      if (chunk.length > 0 && render([...chunk, p]).length > WAF_REGEX_MAX) {
        regexes.push(render(chunk));
        chunk = [];
      }
      chunk.push(p);
    }
    if (chunk.length > 0) regexes.push(render(chunk));
    return { method, regexes, routes: methodRoutes };
  });
}

/**
 * An AWS WAFv2 web ACL (REGIONAL, default ALLOW) for an API Gateway stage, derived from the route table.
 *
 * Rules, in fixed priority order ({@link WAF_RULE_PRIORITY}), each with CloudWatch metrics and sampled
 * requests: optional IP deny list, IP allow list and geo restriction; a stricter per-IP rate limit on
 * `high`-sensitivity routes and a per-IP rate limit for the whole API (both 429 with the JSON error body);
 * a body-size limit equal to the API's `maxBodyBytes` (413); Amazon IP reputation; anonymous IPs (count by
 * default); the Common, Known-bad-inputs and SQLi managed rule groups.
 *
 * Requests blocked by the managed groups, the IP lists and the geo rule get API Gateway's `WAF_FILTERED`
 * gateway response (403 with the JSON envelope and request id), which `SecureRestApi` configures.
 *
 * Full logs go to a KMS-encrypted `aws-waf-logs-*` log group with `authorization`, `cookie` and
 * `x-api-key` redacted.
 *
 * @example
 * const firewall = new ApiFirewall(this, 'Firewall', {
 *   routes, stage: api.deploymentStage, pathPrefixes: ['/v1'],
 *   ruleActionOverrides: { AWSManagedRulesCommonRuleSet: { GenericLFI_BODY: 'count' } },
 * });
 */
export class ApiFirewall extends Construct {
  /** The web ACL. */
  public readonly webAcl: CfnWebACL;
  /** The log group WAF writes full request logs to. */
  public readonly logGroup: ILogGroup;
  /** The logging configuration (with redacted fields). */
  public readonly loggingConfiguration: CfnLoggingConfiguration;
  /** The ARN of the web ACL. */
  public readonly webAclArn: string;
  /** CloudWatch metric name of the web ACL (dimension `WebACL`). */
  public readonly metricName: string;
  /** Rule names in priority order (each is also its CloudWatch metric name, dimension `Rule`). */
  public readonly ruleNames: readonly string[];
  /** The URI matchers of the stricter rate rule (empty when no route is `high`). */
  public readonly sensitiveMatchers: readonly SensitiveRouteMatcher[];
  /** Route keys exempt from {@link CRS_SERVER_TO_SERVER_EXCEPTIONS} (see `serverToServerRoutes`). */
  public readonly serverToServerRoutes: readonly string[];
  /** The effective per-IP limits. */
  public readonly rateLimit: Required<WafRateLimit>;
  /** The effective per-IP limit of sensitive routes. */
  public readonly sensitiveRateLimit: Required<WafRateLimit>;
  /** Body size enforced by the `BodySizeLimit` rule, or `undefined` when WAF cannot inspect that far. */
  public readonly maxBodyBytes?: number;

  private readonly associations: CfnWebACLAssociation[] = [];

  constructor(scope: Construct, id: string, props: ApiFirewallProps) {
    super(scope, id);
    this.rateLimit = this.validateRateLimit('rateLimit', props.rateLimit ?? DEFAULT_IP_RATE_LIMIT);
    this.sensitiveRateLimit = this.validateRateLimit('sensitiveRateLimit', props.sensitiveRateLimit ?? DEFAULT_SENSITIVE_RATE_LIMIT);
    requireProp(perSecond(this.sensitiveRateLimit) < perSecond(this.rateLimit), this, 'sensitiveRateLimit.limit',
      `sensitive routes need a stricter limit than the whole API: ${this.sensitiveRateLimit.limit}/${this.sensitiveRateLimit.evaluationWindowSec}s is not below ${this.rateLimit.limit}/${this.rateLimit.evaluationWindowSec}s`);
    const prefixes = props.pathPrefixes ?? [''];
    prefixes.forEach((p, i) => {
      requireProp(!Token.isUnresolved(p) && isPathPrefix(p), this, `pathPrefixes[${i}]`, `"${p}" must be '' or a literal path like /v1`);
    });
    const bodyBytes = props.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    requireProp(Number.isInteger(bodyBytes) && bodyBytes > 0, this, 'maxBodyBytes', 'must be a positive integer');
    requireProp(props.routes.length > 0, this, 'routes', 'the route table is empty');

    const name = Names.uniqueResourceName(this, { maxLength: 100, separator: '-' });
    this.metricName = name;
    this.sensitiveMatchers = sensitiveRouteMatchers(props.routes, prefixes);
    const serverToServer = this.resolveServerToServerRoutes(props);
    this.serverToServerRoutes = serverToServer.map(routeKey);

    const headers = Object.entries({ ...SECURITY_HEADERS, ...props.extraResponseHeaders })
      .map(([headerName, value]) => ({ name: headerName, value }));
    const rules: CfnWebACL.RuleProperty[] = [];
    const add = (slot: keyof typeof WAF_RULE_NAMES, rule: Omit<CfnWebACL.RuleProperty, 'name' | 'priority' | 'visibilityConfig'>): void => {
      rules.push({ name: WAF_RULE_NAMES[slot], priority: WAF_RULE_PRIORITY[slot], visibilityConfig: visibility(WAF_RULE_NAMES[slot]), ...rule });
    };

    // Source restrictions: a plain block answers with the WAF_FILTERED gateway response (403 + request id).
    if (props.ipDenyList !== undefined) {
      add('ipDenyList', { action: { block: {} }, statement: this.ipSetStatement('ipDenyList', props.ipDenyList) });
    }
    if (props.ipAllowList !== undefined) {
      add('ipAllowList', { action: { block: {} }, statement: { notStatement: { statement: this.ipSetStatement('ipAllowList', props.ipAllowList) } } });
    }
    const geo = this.geoStatement(props);
    if (geo) add('geoRestriction', { action: { block: {} }, statement: geo });

    const tooMany = (window: number): CfnWebACL.RuleActionProperty => ({
      block: { customResponse: {
        responseCode: 429,
        customResponseBodyKey: WAF_RESPONSE_BODY_KEYS.tooManyRequests,
        // The rule lifts once the IP's rate over the window drops below the limit.
        responseHeaders: [...headers, { name: 'Retry-After', value: String(window) }],
      } },
    });
    if (this.sensitiveMatchers.length > 0) {
      add('rateLimitSensitive', {
        action: tooMany(this.sensitiveRateLimit.evaluationWindowSec),
        statement: { rateBasedStatement: {
          limit: this.sensitiveRateLimit.limit,
          evaluationWindowSec: this.sensitiveRateLimit.evaluationWindowSec,
          aggregateKeyType: 'IP',
          scopeDownStatement: anyOf(this.sensitiveMatchers.map(matcherStatement)),
        } },
      });
    }
    add('rateLimitPerIp', {
      action: tooMany(this.rateLimit.evaluationWindowSec),
      statement: { rateBasedStatement: {
        limit: this.rateLimit.limit,
        evaluationWindowSec: this.rateLimit.evaluationWindowSec,
        aggregateKeyType: 'IP',
      } },
    });

    // Per caller (issue 14): keyed on the bearer token, so a token used from many IPs is one bucket.
    const tokenLimit = this.validateRateLimit('tokenRateLimit', props.tokenRateLimit ?? DEFAULT_TOKEN_RATE_LIMIT);
    add('rateLimitPerToken', {
      action: tooMany(tokenLimit.evaluationWindowSec),
      statement: { rateBasedStatement: {
        limit: tokenLimit.limit,
        evaluationWindowSec: tokenLimit.evaluationWindowSec,
        aggregateKeyType: 'CUSTOM_KEYS',
        customKeys: [{ header: { name: 'authorization', textTransformations: [{ priority: 0, type: 'NONE' }] } }],
      } },
    });

    const inspection = WAF_BODY_INSPECTION_LIMITS.find((l) => l.bytes >= bodyBytes);
    if (inspection) {
      this.maxBodyBytes = bodyBytes;
      add('bodySize', {
        action: { block: { customResponse: { responseCode: 413, customResponseBodyKey: WAF_RESPONSE_BODY_KEYS.payloadTooLarge, responseHeaders: headers } } },
        statement: { sizeConstraintStatement: {
          // The inspection limit is at least maxBodyBytes, so a body WAF cannot see whole is larger than
          // the limit by construction: MATCH blocks it instead of inspecting only its first bytes.
          fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
          comparisonOperator: 'GT',
          size: bodyBytes,
          textTransformations: [{ priority: 0, type: 'NONE' }],
        } },
      });
    } else {
      Annotations.of(this).addWarningV2('secure-rest-api:waf-body-size-unenforced',
        `maxBodyBytes ${bodyBytes} is above the 64 KB WAF can inspect for API Gateway: WAF does not enforce the body size (API Gateway's 10 MB limit and the handlers still do) and inspects only the first 64 KB of each body.`);
    }

    const overrides = this.managedOverrides(props, inspection !== undefined || bodyBytes > CRS_BODY_SIZE_LIMIT_BYTES);
    // Rules relaxed for server-to-server routes: COUNT inside the group (unless the consumer set them),
    // blocked again by their label everywhere else.
    const relaxed = serverToServer.length === 0 ? [] : CRS_SERVER_TO_SERVER_EXCEPTIONS.filter((e) => {
      const own = props.ruleActionOverrides?.AWSManagedRulesCommonRuleSet?.[e.rule];
      return own === undefined;
    });
    if (relaxed.length > 0) {
      overrides.AWSManagedRulesCommonRuleSet = {
        ...Object.fromEntries(relaxed.map((e) => [e.rule, 'count' as const])),
        ...overrides.AWSManagedRulesCommonRuleSet,
      };
      add('commonRuleSetBrowserRoutes', {
        action: { block: {} },
        statement: { andStatement: { statements: [
          anyOf(relaxed.map((e) => ({ labelMatchStatement: { scope: 'LABEL', key: e.label } }))),
          { notStatement: { statement: anyOf(routeMatchers(serverToServer, prefixes).map(matcherStatement)) } },
        ] } },
      });
    }
    for (const group of MANAGED_RULE_GROUPS) {
      const counted = group.name === 'AWSManagedRulesAnonymousIpList' && props.blockAnonymousIps !== true;
      const ruleOverrides = Object.entries(overrides[group.name] ?? {}).map(([ruleName, action]) => ({
        name: ruleName,
        actionToUse: action === 'count' ? { count: {} } : { block: {} },
      }));
      add(group.slot, {
        overrideAction: counted ? { count: {} } : { none: {} },
        statement: { managedRuleGroupStatement: {
          vendorName: 'AWS',
          name: group.name,
          ...(ruleOverrides.length > 0 ? { ruleActionOverrides: ruleOverrides } : {}),
        } },
      });
    }
    rules.sort((a, b) => a.priority - b.priority);
    this.ruleNames = rules.map((r) => r.name);

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      name,
      description: `Web ACL of ${this.node.path}: managed rules, per-IP and sensitive-route rate limits, body size`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(name),
      customResponseBodies: {
        [WAF_RESPONSE_BODY_KEYS.tooManyRequests]: jsonBody('TOO_MANY_REQUESTS', gatewayMessage('TOO_MANY_REQUESTS')),
        [WAF_RESPONSE_BODY_KEYS.payloadTooLarge]: jsonBody('PAYLOAD_TOO_LARGE', gatewayMessage('PAYLOAD_TOO_LARGE')),
      },
      associationConfig: inspection
        ? { requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: inspection.setting } } }
        : { requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: 'KB_64' } } },
      rules,
    });
    this.webAclArn = this.webAcl.attrArn;

    const { logGroup, loggingConfiguration } = this.addLogging(props);
    this.logGroup = logGroup;
    this.loggingConfiguration = loggingConfiguration;

    if (props.stage) this.associate(props.stage);
  }

  /** Associates the web ACL with an API Gateway stage (REST API stage ARN). */
  public associate(stage: IStage): CfnWebACLAssociation {
    const stageArn = Stack.of(this).formatArn({
      service: 'apigateway',
      account: '',
      resource: 'restapis',
      resourceName: `${stage.restApi.restApiId}/stages/${stage.stageName}`,
      arnFormat: ArnFormat.SLASH_RESOURCE_SLASH_RESOURCE_NAME,
    });
    const association = new CfnWebACLAssociation(this, `Association${this.associations.length || ''}`, {
      resourceArn: stageArn,
      webAclArn: this.webAcl.attrArn,
    });
    this.associations.push(association);
    return association;
  }

  private addLogging(props: ApiFirewallProps): { logGroup: ILogGroup; loggingConfiguration: CfnLoggingConfiguration } {
    const stack = Stack.of(this);
    // The group is retained on delete: the part of the stack id makes the name new on every creation of
    // the stack, so deleting and deploying again does not fail with "already exists".
    const logGroupName = props.logGroupName
      ?? `${WAF_LOG_GROUP_PREFIX}${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}-${stackCreationSuffix()}`;
    requireProp(logGroupName.startsWith(WAF_LOG_GROUP_PREFIX) && (Token.isUnresolved(logGroupName) || /^[A-Za-z0-9._\-/#]{1,512}$/.test(logGroupName)),
      this, 'logGroupName', `"${logGroupName}" must be a log group name starting with ${WAF_LOG_GROUP_PREFIX} (WAF refuses other destinations)`);
    const extra = props.additionalRedactedHeaders ?? [];
    extra.forEach((h, i) => {
      requireProp(HEADER_PATTERN.test(h), this, `additionalRedactedHeaders[${i}]`, `"${h}" must be a lower-case header name`);
    });

    const logGroup = secureLogGroup(this, 'Logs', {
      logGroupName,
      encryptionKey: props.logEncryptionKey,
      retention: props.logRetention,
    });
    // WAF wants the log group ARN without the trailing `:*` that the CloudFormation `Arn` attribute carries.
    const logGroupArn = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const loggingConfiguration = new CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [logGroupArn],
      // The L1 types `SingleHeader` as untyped JSON: the CloudFormation key `Name` must be spelled as-is.
      redactedFields: [...new Set([...WAF_REDACTED_HEADERS, ...extra])].map((h) => ({ singleHeader: { Name: h } })),
    });
    loggingConfiguration.node.addDependency(logGroup);

    if (props.createLogResourcePolicy ?? true) {
      // Without it, WAF appends to the account-wide AWSWAF-LOGS policy, which grows with every log group
      // and fails once it reaches the 5,120-character limit. This one is scoped to this log group.
      const { policyDependable } = logGroup.addToResourcePolicy(new PolicyStatement({
        sid: 'WafLogDelivery',
        principals: [new ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${logGroupArn}:log-stream:*`],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'logs', resource: '*', arnFormat: ArnFormat.NO_RESOURCE_NAME }) },
        },
      }));
      if (policyDependable) loggingConfiguration.node.addDependency(policyDependable);
    }
    return { logGroup, loggingConfiguration };
  }

  private managedOverrides(props: ApiFirewallProps, countCrsBodySize: boolean): Partial<Record<ManagedRuleGroupName, Record<string, ManagedRuleAction>>> {
    const result: Partial<Record<ManagedRuleGroupName, Record<string, ManagedRuleAction>>> = {};
    if (countCrsBodySize) {
      // The BodySizeLimit rule enforces the API's real limit on every route (server-to-server ones too);
      // the group's fixed 8 KB rule would only disagree with it.
      result.AWSManagedRulesCommonRuleSet = { [CRS_BODY_SIZE_RULE]: 'count' };
    }
    const known = new Set<string>(MANAGED_RULE_GROUPS.map((g) => g.name));
    for (const [group, rules] of Object.entries(props.ruleActionOverrides ?? {})) {
      const prop = `ruleActionOverrides.${group}`;
      requireProp(known.has(group), this, prop, `unknown managed rule group (known: ${[...known].join(', ')})`);
      for (const [rule, action] of Object.entries(rules as Readonly<Record<string, unknown>>)) {
        requireProp(RULE_NAME_PATTERN.test(rule), this, `${prop}.${rule}`, 'is not a managed rule name');
        // Checked at run time too: JavaScript consumers get no compile-time check of the action.
        requireProp(action === 'count' || action === 'block', this, `${prop}.${rule}`, `action must be 'count' or 'block', got ${JSON.stringify(action)}`);
        if (action === 'count') {
          Annotations.of(this).addWarningV2('secure-rest-api:waf-rule-count',
            `${group} rule ${rule} only counts: matching requests are no longer blocked by it.`);
        }
        const name = group as ManagedRuleGroupName;
        result[name] = { ...result[name], [rule]: action };
      }
    }
    return result;
  }

  private resolveServerToServerRoutes(props: ApiFirewallProps): RouteDefinition[] {
    if (props.serverToServerRoutes === undefined) return props.routes.filter((r) => isPublicRoute(r) && r.body !== undefined);
    const byKey = new Map(props.routes.map((r) => [routeKey(r), r]));
    return props.serverToServerRoutes.map((key, i) => {
      const route = byKey.get(key);
      requireProp(route !== undefined, this, `serverToServerRoutes[${i}]`, `"${key}" is not a route of the route table (write it as \`METHOD /path\`)`);
      return route;
    });
  }

  private ipSetStatement(prop: 'ipAllowList' | 'ipDenyList', cidrs: readonly string[]): CfnWebACL.StatementProperty {
    requireProp(cidrs.length > 0, this, prop, prop === 'ipAllowList'
      ? 'an empty allow list would block every caller; omit the prop instead'
      : 'is empty; omit the prop instead');
    const v4: string[] = [];
    const v6: string[] = [];
    cidrs.forEach((cidr, i) => {
      const [address, bits, ...rest] = cidr.split('/');
      const version = address !== undefined ? isIP(address) : 0;
      const max = version === 4 ? 32 : 128;
      const prefix = Number(bits);
      requireProp(version !== 0 && rest.length === 0 && bits !== undefined && /^\d+$/.test(bits) && prefix >= 1 && prefix <= max,
        this, `${prop}[${i}]`, `"${cidr}" is not a CIDR range like 203.0.113.0/24 or 2001:db8::/32 (/0 is not allowed)`);
      (version === 4 ? v4 : v6).push(cidr);
    });
    const refs: CfnWebACL.StatementProperty[] = [];
    const base = prop === 'ipAllowList' ? 'AllowList' : 'DenyList';
    if (v4.length > 0) {
      const set = new CfnIPSet(this, `${base}V4`, { scope: 'REGIONAL', ipAddressVersion: 'IPV4', addresses: v4, description: `IPv4 ${prop} of ${this.node.path}` });
      refs.push({ ipSetReferenceStatement: { arn: set.attrArn } });
    }
    if (v6.length > 0) {
      const set = new CfnIPSet(this, `${base}V6`, { scope: 'REGIONAL', ipAddressVersion: 'IPV6', addresses: v6, description: `IPv6 ${prop} of ${this.node.path}` });
      refs.push({ ipSetReferenceStatement: { arn: set.attrArn } });
    }
    return anyOf(refs);
  }

  private geoStatement(props: ApiFirewallProps): CfnWebACL.StatementProperty | undefined {
    requireProp(props.allowedCountries === undefined || props.blockedCountries === undefined, this, 'allowedCountries',
      'set either allowedCountries or blockedCountries, not both');
    const check = (prop: string, codes: readonly string[]): string[] => {
      requireProp(codes.length > 0, this, prop, 'is empty; omit the prop instead');
      codes.forEach((c, i) => {
        requireProp(COUNTRY_PATTERN.test(c), this, `${prop}[${i}]`, `"${c}" is not an ISO 3166-1 alpha-2 code like DE`);
      });
      return [...new Set(codes)];
    };
    if (props.allowedCountries) {
      return { notStatement: { statement: { geoMatchStatement: { countryCodes: check('allowedCountries', props.allowedCountries) } } } };
    }
    if (props.blockedCountries) {
      return { geoMatchStatement: { countryCodes: check('blockedCountries', props.blockedCountries) } };
    }
    return undefined;
  }

  private validateRateLimit(prop: string, limits: WafRateLimit): Required<WafRateLimit> {
    const window: number = limits.evaluationWindowSec ?? 300;
    requireProp(Number.isInteger(limits.limit) && limits.limit >= WAF_MIN_RATE_LIMIT && limits.limit <= WAF_MAX_RATE_LIMIT, this, `${prop}.limit`,
      `${limits.limit} is outside what WAF accepts for a rate-based rule (an integer from ${WAF_MIN_RATE_LIMIT} to ${WAF_MAX_RATE_LIMIT} per window)`);
    requireProp((WAF_EVALUATION_WINDOWS as readonly number[]).includes(window), this, `${prop}.evaluationWindowSec`,
      `${window} is not a WAF evaluation window (${WAF_EVALUATION_WINDOWS.join(', ')} s)`);
    return { limit: limits.limit, evaluationWindowSec: window as WafEvaluationWindow };
  }
}

/** One row of the edge-protection table: how a route is protected at the edge. */
export interface EdgeProtectionRow {
  /** `POST /payments` */
  readonly route: string;
  /** `public (reason)` or the scopes (and groups) the token needs. */
  readonly auth: string;
  readonly sensitivity: Sensitivity;
  readonly apiKeyRequired: boolean;
  /** WAF rules that apply to the route (rule names), in priority order. */
  readonly wafRules: readonly string[];
  /** Throttle per tier for keyed routes (inside the usage plan); `stage` for every caller. */
  readonly throttle: Readonly<Record<string, ThrottleLimits>>;
}

/** Inputs of {@link edgeProtectionRows}; everything defaults to the library defaults. */
export interface EdgeProtectionTableOptions {
  /** @default DEFAULT_USAGE_TIERS */
  readonly tiers?: Readonly<Record<string, UsageTier>>;
  /** @default DEFAULT_STAGE_THROTTLE */
  readonly stageThrottle?: ThrottleLimits;
  /** @default METHOD_THROTTLE_BY_SENSITIVITY */
  readonly methodThrottle?: Partial<Record<Sensitivity, ThrottleLimits>>;
  /** @default DEFAULT_IP_RATE_LIMIT */
  readonly rateLimit?: WafRateLimit;
  /** @default DEFAULT_SENSITIVE_RATE_LIMIT */
  readonly sensitiveRateLimit?: WafRateLimit;
}

/**
 * The table "route -> auth -> WAF rules -> throttle per tier", derived from the route table alone
 * (the security report and docs/edge.md reuse it).
 */
export function edgeProtectionRows(routes: RouteTable, options: EdgeProtectionTableOptions = {}): EdgeProtectionRow[] {
  const tiers = options.tiers ?? DEFAULT_USAGE_TIERS;
  const stage = options.stageThrottle ?? DEFAULT_STAGE_THROTTLE;
  const methodThrottle = { ...METHOD_THROTTLE_BY_SENSITIVITY, ...options.methodThrottle };
  const everyRoute = [WAF_RULE_NAMES.rateLimitPerIp, WAF_RULE_NAMES.rateLimitPerToken, WAF_RULE_NAMES.bodySize, ...MANAGED_RULE_GROUPS.map((g) => WAF_RULE_NAMES[g.slot])];
  return routes.map((route) => {
    const sensitivity = sensitivityOf(route);
    const protection = protectionOf(route);
    const auth = isPublicRoute(route)
      ? `public (${route.auth.reason})`
      : `${protection?.scopes.join(' + ')}${protection?.groups ? ` & group ${protection.groups.join(' | ')}` : ''}`;
    const throttle: Record<string, ThrottleLimits> = { stage: stageMethodThrottle(sensitivity, stage, methodThrottle) };
    if (route.apiKeyRequired === true) {
      for (const [name, tier] of Object.entries(tiers)) throttle[name] = planMethodThrottle(tier, sensitivity);
    }
    return {
      route: routeKey(route),
      auth,
      sensitivity,
      apiKeyRequired: route.apiKeyRequired === true,
      wafRules: sensitivity === 'high' ? [WAF_RULE_NAMES.rateLimitSensitive, ...everyRoute] : everyRoute,
      throttle,
    };
  });
}

/** {@link edgeProtectionRows} as a Markdown table (rates in requests per second / burst). */
export function edgeProtectionMarkdown(routes: RouteTable, options: EdgeProtectionTableOptions = {}): string {
  const tiers = Object.keys(options.tiers ?? DEFAULT_USAGE_TIERS);
  const ip = options.rateLimit ?? DEFAULT_IP_RATE_LIMIT;
  const sensitive = options.sensitiveRateLimit ?? DEFAULT_SENSITIVE_RATE_LIMIT;
  const header = ['route', 'auth', 'sensitivity', 'API key', 'WAF rules', 'stage (all callers)', ...tiers.map((t) => `${t} plan`)];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const row of edgeProtectionRows(routes, options)) {
    const rate = (l: ThrottleLimits | undefined): string => (l ? `${l.rateLimit}/${l.burstLimit}` : 'no plan (key not read)');
    const waf = row.wafRules.includes(WAF_RULE_NAMES.rateLimitSensitive)
      ? `managed groups, body size, ${ip.limit}/${ip.evaluationWindowSec ?? 300}s per IP, **${sensitive.limit}/${sensitive.evaluationWindowSec ?? 300}s per IP (sensitive)**`
      : `managed groups, body size, ${ip.limit}/${ip.evaluationWindowSec ?? 300}s per IP`;
    const cells = [`\`${row.route}\``, row.auth.replace(/\|/g, '\\|'), row.sensitivity, row.apiKeyRequired ? 'required' : '-', waf,
      rate(row.throttle.stage), ...tiers.map((t) => rate(row.throttle[t]))];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function visibility(metricName: string): CfnWebACL.VisibilityConfigProperty {
  return { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName };
}

function matcherStatement(matcher: SensitiveRouteMatcher): CfnWebACL.StatementProperty {
  return { andStatement: { statements: [
    { byteMatchStatement: {
      fieldToMatch: { method: {} },
      positionalConstraint: 'EXACTLY',
      searchString: matcher.method.toLowerCase(),
      // HTTP methods are case-sensitive; lower-casing first means `post` is counted like `POST` whatever a
      // front end does with it, for 10 WCU.
      textTransformations: [{ priority: 0, type: 'LOWERCASE' }],
    } },
    anyOf(matcher.regexes.map((regex) => ({ regexMatchStatement: {
      fieldToMatch: { uriPath: {} },
      regexString: regex,
      // Decode and normalize first, so /v1//payments, /v1/./payments or /v1/%70ayments cannot slip past.
      textTransformations: [
        { priority: 0, type: 'URL_DECODE' },
        { priority: 1, type: 'NORMALIZE_PATH' },
        { priority: 2, type: 'LOWERCASE' },
      ],
    } }))),
  ] } };
}

function anyOf(statements: CfnWebACL.StatementProperty[]): CfnWebACL.StatementProperty {
  return statements.length === 1 ? statements[0] as CfnWebACL.StatementProperty : { orStatement: { statements } };
}

function jsonBody(code: string, message: string): CfnWebACL.CustomResponseBodyProperty {
  // WAF custom bodies are static text: they cannot carry the per-request id, so code and message only.
  return { contentType: 'APPLICATION_JSON', content: JSON.stringify({ error: { code, message } }) };
}

function gatewayMessage(code: string): string {
  const spec = GATEWAY_ERRORS.find((e) => e.code === code);
  if (!spec) throw new Error(`no gateway error with code ${code}`);
  return spec.message;
}

function perSecond(limits: Required<WafRateLimit>): number {
  return limits.limit / limits.evaluationWindowSec;
}

function isPathPrefix(p: string): boolean {
  return p === '' || (p.startsWith('/') && p.slice(1).split('/').every((segment) => SEGMENT_PATTERN.test(segment)));
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
