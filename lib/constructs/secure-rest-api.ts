import * as path from 'path';
import { Annotations, Duration, Names, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat, ApiKeySourceType, AuthorizationType, CfnClientCertificate, CfnMethod, CfnStage, ConnectionType, DomainName,
  EndpointAccessMode, EndpointType, HttpIntegration, IAuthorizer, IModel, Integration, LambdaIntegration, LogGroupLogDestination,
  Method, MethodDeploymentOptions, MethodLoggingLevel, MockIntegration, MTLSConfig, RequestValidator, RestApi, SecurityPolicy, Stage,
} from 'aws-cdk-lib/aws-apigateway';
import { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { IFunction } from 'aws-cdk-lib/aws-lambda';
import { ILogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { toJSONSchema, type $ZodType } from 'zod/v4/core';
import { CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS, SECURITY_HEADERS } from '../../lambda/runtime/security-headers';
import { secureLogGroup } from '../common/encryption';
import { findHandlerEntry } from '../common/handler-entry';
import { routePolicyMismatches, routePolicyOfAuthorizer } from '../common/library-authorizer';
import { kebab, pascal } from '../common/naming';
import { requireValidThrottle, stageMethodThrottle } from '../common/throttle';
import { acknowledgeRule } from '../compliance/acknowledge';
import {
  DEFAULT_MAX_BODY_BYTES, DEFAULT_STAGE_NAME, DEFAULT_STAGE_THROTTLE, GATEWAY_ERRORS,
  METHOD_THROTTLE_BY_SENSITIVITY, Sensitivity, ThrottleLimits,
} from '../defaults/api';
import { DRAFT4_STRING_FORMATS } from '../defaults/api-models';
import { accessLogFormatString } from '../defaults/logging';
import { requireProp, SecureApiConfigError } from '../errors';
import { Preflight, PreflightOptions } from '../preflight';
import {
  isPublicRoute, pathParameters, routeKey, RouteDefinition, RouteTable, routeTableProblems, sensitivityOf,
} from '../routes';
import { ApiAlarms, ApiAlarmsOptions } from './api-alarms';
import { ApiFirewall, ApiFirewallOptions } from './api-firewall';
import { HttpBackend } from './http-backend';
import { SecureFunction, SecureFunctionOptions } from './secure-function';
import { UsagePlanTiers, UsagePlanTiersOptions } from './usage-plan-tiers';

/** TLS policies a custom domain may use: TLS 1.2 or newer, regional. */
const ALLOWED_SECURITY_POLICIES: readonly SecurityPolicy[] = [
  SecurityPolicy.TLS_1_2,
  SecurityPolicy.TLS13_1_3_2025_09,
  SecurityPolicy.TLS13_1_3_FIPS_2025_09,
  SecurityPolicy.TLS13_1_2_PQ_2025_09,
  SecurityPolicy.TLS13_1_2_PFS_PQ_2025_09,
];

/** A custom domain for the API. */
export interface SecureDomainOptions {
  /** Fully qualified domain name, e.g. `api.example.com`. */
  readonly domainName: string;
  /** ACM certificate for the domain (same region as the API). */
  readonly certificate: ICertificate;
  /**
   * TLS policy. Only TLS 1.2+ policies are accepted.
   * @default SecurityPolicy.TLS_1_2
   */
  readonly securityPolicy?: SecurityPolicy;
  /**
   * Mutual TLS: clients must present a certificate signed by a CA in this truststore (PEM bundle in S3).
   * @default - no mutual TLS
   */
  readonly mtls?: MTLSConfig;
  /** Base path mapping. @default - the API is mapped at the root */
  readonly basePath?: string;
}

/** Why a foreign authorizer is acceptable: see `SecureRestApiProps.unsafeAcceptForeignAuthorizer`. */
export interface ForeignAuthorizerAcceptance {
  /**
   * Why this authorizer enforces what the route table declares (at least 10 characters), e.g. which
   * team reviewed it and where its scope checks are tested. Shown in the warning and the security report.
   */
  readonly reason: string;
}

/** Props of {@link SecureRestApi}. */
export interface SecureRestApiProps {
  /** The route table: the single place where routes are declared. */
  readonly routes: RouteTable;
  /**
   * Browser origins allowed by CORS, e.g. `['https://app.example.com']`. `*` is rejected; an empty list
   * means no browser may call the API cross-origin (no preflight resources are created).
   */
  readonly allowedOrigins: readonly string[];
  /**
   * Send `Access-Control-Allow-Credentials: true` (cookies). Bearer tokens do not need it.
   * @default false
   */
  readonly allowCredentials?: boolean;
  /**
   * Functions to use per handler name; handlers not listed are built from `handlersDir`.
   * @default - every handler is built from `handlersDir`
   */
  readonly handlers?: Readonly<Record<string, IFunction>>;
  /**
   * Existing HTTPS services per handler name: a route whose `handler` names one is proxied to it
   * (`HTTP_PROXY`) instead of a Lambda function, with the same authorizer, model, parameters, throttles,
   * WAF rules, alarms and OpenAPI as any route. A name may not be in both `handlers` and `backends`.
   * See {@link HttpBackend} and docs/backends.md for what such a backend must do itself.
   * @default - no HTTP backends
   */
  readonly backends?: Readonly<Record<string, HttpBackend>>;
  /**
   * Directory holding one entry file per handler, `<handler>.ts`, `.mts`, `.js`, `.mjs` or `.cjs`, built
   * as {@link SecureFunction}s with the consumer's esbuild. A TypeScript source wins over a compiled `.js`
   * beside it; two sources of one language (`x.ts` and `x.mts`) or a missing entry fail synth.
   * @default - none: every handler must be in `handlers`
   */
  readonly handlersDir?: string;
  /** Options for every function built from `handlersDir`. @default - SecureFunction defaults */
  readonly functionDefaults?: SecureFunctionOptions;
  /** Powertools service name of the built functions. @default - the construct id in kebab case */
  readonly serviceName?: string;
  /**
   * Authorizer for every route that is not public. Required as soon as one route is protected.
   *
   * Only an authorizer that enforces this route table is accepted: `ApiIdentity.authorizer` built from
   * the same routes (every scope of a route required, plus one of its groups). A Cognito user-pools
   * authorizer (`CognitoUserPoolsAuthorizer`) is refused: it accepts a token holding any one of a
   * method's scopes and ignores groups. IAM authorization is refused. Another TOKEN/REQUEST authorizer is
   * refused unless `unsafeAcceptForeignAuthorizer` says why it is safe.
   * @default - none (only public routes allowed)
   */
  readonly authorizer?: IAuthorizer;
  /**
   * Accept a Lambda TOKEN/REQUEST authorizer that the library did not build. The gateway then enforces
   * whatever that authorizer decides, not the route table's scopes and groups; the handler kit still
   * needs the authorizer context of `lambda/runtime/authorizer-context.ts`. Warned at synth
   * (`secure-rest-api:foreign-authorizer`) and the reason is recorded on every protected method's
   * acknowledgement, so it shows in the security report. Never accepts a Cognito or IAM authorizer.
   * @default - only the library's own authorizer is accepted
   */
  readonly unsafeAcceptForeignAuthorizer?: ForeignAuthorizerAcceptance;
  /** @default 'v1' */
  readonly stageName?: string;
  /**
   * Stage-wide throttle for every caller, with or without a usage plan.
   * @default { rateLimit: 100, burstLimit: 200 }
   */
  readonly throttle?: ThrottleLimits;
  /**
   * Stage-level per-method throttle by route sensitivity (overrides merge with the defaults).
   * @default METHOD_THROTTLE_BY_SENSITIVITY (high 10/20, standard 50/100, low 100/200)
   */
  readonly methodThrottle?: Partial<Record<Sensitivity, ThrottleLimits>>;
  /** Custom domain with a TLS 1.2+ policy; disables the default execute-api endpoint. @default - none */
  readonly domain?: SecureDomainOptions;
  /** Key for the access-log group. @default - the stack's logs key */
  readonly logEncryptionKey?: IKey;
  /** @default RetentionDays.ONE_YEAR */
  readonly logRetention?: RetentionDays;
  /**
   * Largest request body in bytes (handlers and WAF enforce the same number).
   * @default 16384
   */
  readonly maxBodyBytes?: number;
  /**
   * Create the account-level CloudWatch role that API Gateway needs for execution logs, and point the
   * region's `AWS::ApiGateway::Account` setting at it. That setting is one per account and region: it
   * replaces a role the account already has (common in landing-zone accounts, where the platform team
   * owns it), and the role is retained when the stack is deleted. Turn it on in an account where no API
   * Gateway CloudWatch role is set yet (a fresh account): without one, creating a stage with execution
   * logging fails ("CloudWatch Logs role ARN must be set in account settings"). docs/deploy.md has the check.
   * @default false
   */
  readonly cloudWatchRole?: boolean;
  /**
   * Name of the REST API (the `ApiName` dimension of its CloudWatch metrics, alarms and dashboard). Must be
   * unique in the account and region, or metrics of two APIs merge.
   * @default - derived from the stack and construct path (`Names.uniqueResourceName`)
   */
  readonly restApiName?: string;
  /** @default - a description naming the construct */
  readonly description?: string;
  /**
   * Options of the deploy preflight this API applies to its stack (`Preflight.of(stack)`): what the template
   * cannot know about the target account, e.g. its Lambda concurrency quota.
   * @default - context `secure-api:accountConcurrencyLimit`, no skipped checks
   */
  readonly preflight?: PreflightOptions;

  // ---- Edge protection (issue #5): WAF web ACL and usage-plan tiers ----
  /**
   * Options of the WAFv2 web ACL built for the stage (rate limits, managed-rule overrides, IP/geo lists).
   * The stricter rate rule and the body-size rule derive from `routes` and `maxBodyBytes`.
   * @default - ApiFirewall defaults
   */
  readonly firewall?: ApiFirewallOptions;
  /**
   * Associate this existing web ACL instead of building one (its rules are then the owner's
   * responsibility; a warning says so). Exclusive with `firewall`.
   * @default - an ApiFirewall is built
   */
  readonly webAclArn?: string;
  /**
   * Usage-plan tiers and API keys. Per-method throttles inside each plan derive from the routes marked
   * `apiKeyRequired` and their sensitivity. API keys never authorize.
   * @default - UsagePlanTiers defaults (free, standard, partner)
   */
  readonly usagePlans?: UsagePlanTiersOptions;
  /**
   * Where API Gateway reads the usage-plan key. `AUTHORIZER`: from the authorizer's `usageIdentifierKey`
   * (`ApiIdentity` returns each integration's own key and the people plan's key for users), so no key
   * ships to any client. `HEADER` (`x-api-key`) makes the key a value every client must hold — in a
   * browser app it is public — and is warned about.
   * @default ApiKeySourceType.AUTHORIZER
   */
  readonly apiKeySource?: ApiKeySourceType;
  // ---- end edge protection ----

  // ---- Monitoring (issue #6): ApiAlarms ----
  /**
   * Alarm thresholds, alarm e-mail and names of the monitoring every API gets (metric filters, alarms
   * to an encrypted SNS topic, dashboard, saved queries). Monitoring itself cannot be turned off.
   * @default - ApiAlarms defaults (DEFAULT_API_ALARM_THRESHOLDS, no e-mail subscription)
   */
  readonly alarms?: ApiAlarmsOptions;
  // ---- end monitoring ----
}

/**
 * An API Gateway REST API that is secure by default, built from a route table.
 *
 * - REGIONAL endpoint; JSON access log per request to a KMS-encrypted log group; execution logs at
 *   ERROR without data tracing; X-Ray tracing; detailed metrics.
 * - A body + parameter request validator on every method, with a JSON-schema model derived from
 *   each route's Zod body schema.
 * - CORS from an explicit origin allow-list only; gateway responses with a uniform JSON error body and
 *   security headers; stage and per-method throttles by route sensitivity.
 * - Optional custom domain with TLS 1.2+ (and optional mTLS), which disables the execute-api endpoint.
 * - An authorizer on every route the table does not mark public.
 *
 * @example
 * new SecureRestApi(this, 'Payments', {
 *   allowedOrigins: ['https://app.example.com'],
 *   handlersDir: path.join(__dirname, '../lambda/example/handlers'),
 *   routes: [{ method: 'GET', path: '/health', handler: 'health', auth: { public: true, reason: 'Load balancer probe' } }],
 * });
 */
export class SecureRestApi extends Construct {
  /** The REST API. */
  public readonly api: RestApi;
  /** The deployed stage. */
  public readonly stage: Stage;
  /** The access-log group (JSON, one line per request). */
  public readonly accessLogGroup: ILogGroup;
  /**
   * The execution-log group `API-Gateway-Execution-Logs_<restApiId>/<stage>`, created by the stack (KMS,
   * retention, RETAIN) before the stage, so API Gateway never creates it unencrypted and never expiring.
   */
  public readonly executionLogGroup: ILogGroup;
  /** The validator every method uses (body + parameters). */
  public readonly requestValidator: RequestValidator;
  /** The route table this API was built from. */
  public readonly routes: RouteTable;
  /** Largest accepted request body in bytes. */
  public readonly maxBodyBytes: number;
  /** Origins allowed by CORS. */
  public readonly allowedOrigins: readonly string[];
  /** The function behind each handler name. */
  public readonly functions: ReadonlyMap<string, IFunction>;
  /** The HTTP backend behind each handler name that routes to one. */
  public readonly backends: ReadonlyMap<string, HttpBackend>;
  /**
   * The client certificate the stage presents to HTTP backends (created when there is one): a backend
   * reachable from the internet must accept only requests that present it. API Gateway issues it for
   * 365 days; rotate it before it expires.
   */
  public readonly backendClientCertificate?: CfnClientCertificate;
  /** The API Gateway method of each route, by `routeKey` (`POST /payments`). */
  public readonly methods: ReadonlyMap<string, Method>;
  /** The custom domain, if any. */
  public readonly domain?: DomainName;
  /** The WAF web ACL built for the stage (`undefined` when an existing `webAclArn` was given). */
  public readonly firewall?: ApiFirewall;
  /** The usage-plan tiers of the stage. */
  public readonly usagePlans: UsagePlanTiers;
  /** Monitoring of the stage: metric filters, alarms, alarm topic, dashboard, saved queries. */
  public readonly alarms: ApiAlarms;

  private readonly functionsByName = new Map<string, IFunction>();
  private readonly props: SecureRestApiProps;

  constructor(scope: Construct, id: string, props: SecureRestApiProps) {
    super(scope, id);
    this.props = props;
    this.routes = props.routes;
    this.functions = this.functionsByName;
    this.backends = new Map(Object.entries(props.backends ?? {}).filter(([name]) => props.routes.some((r) => r.handler === name)));
    this.allowedOrigins = this.validateOrigins(props.allowedOrigins, props.allowCredentials ?? false);
    this.maxBodyBytes = props.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    requireProp(Number.isInteger(this.maxBodyBytes) && this.maxBodyBytes > 0 && this.maxBodyBytes <= 10 * 1024 * 1024,
      this, 'maxBodyBytes', 'must be a positive integer no larger than 10 MiB (API Gateway payload limit)');
    this.validateRoutes(props);
    const stageThrottle = props.throttle ?? DEFAULT_STAGE_THROTTLE;
    requireValidThrottle(this, 'throttle', stageThrottle);
    const methodThrottle = { ...METHOD_THROTTLE_BY_SENSITIVITY, ...props.methodThrottle };
    for (const [sensitivity, limits] of Object.entries(methodThrottle)) {
      requireValidThrottle(this, `methodThrottle.${sensitivity}`, limits);
    }
    if (props.domain) this.validateDomain(props.domain);
    if (props.apiKeySource === ApiKeySourceType.HEADER) {
      Annotations.of(this).addWarningV2('secure-rest-api:api-key-header',
        'apiKeySource is HEADER: every client must hold its API key (public in a browser app), so one caller can burn a quota others share; AUTHORIZER keeps keys inside AWS.');
    }

    this.accessLogGroup = secureLogGroup(this, 'AccessLogs', {
      encryptionKey: props.logEncryptionKey,
      retention: props.logRetention,
    });

    const methodOptions: Record<string, MethodDeploymentOptions> = {};
    for (const route of props.routes) {
      const limits = stageMethodThrottle(sensitivityOf(route), stageThrottle, methodThrottle);
      // A per-method entry does not inherit the stage's `/*/*` settings: without these three it runs
      // with execution logs and detailed metrics off.
      methodOptions[`${route.path}/${route.method}`] = {
        throttlingRateLimit: limits.rateLimit,
        throttlingBurstLimit: limits.burstLimit,
        loggingLevel: MethodLoggingLevel.ERROR,
        metricsEnabled: true,
        dataTraceEnabled: false,
      };
    }
    const restApiName = props.restApiName ?? Names.uniqueResourceName(this, { maxLength: 255, separator: '-' });

    this.api = new RestApi(this, 'Api', {
      restApiName,
      description: props.description ?? `Secure REST API ${this.node.path}`,
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      // With a custom domain, the execute-api URL would bypass its TLS policy and mTLS.
      disableExecuteApiEndpoint: props.domain !== undefined,
      // The authorizer hands API Gateway the caller's usage key: no key ever ships to a client.
      apiKeySourceType: props.apiKeySource ?? ApiKeySourceType.AUTHORIZER,
      cloudWatchRole: props.cloudWatchRole ?? false,
      // The account setting keeps pointing at the role after the stack is gone: deleting it would break
      // execution logs of every API in the region.
      ...(props.cloudWatchRole === true ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      failOnWarnings: true,
      deployOptions: {
        stageName: props.stageName ?? DEFAULT_STAGE_NAME,
        accessLogDestination: new LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: AccessLogFormat.custom(accessLogFormatString()),
        // ERROR only and no data trace: execution logs must never contain bodies or tokens.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
        throttlingRateLimit: stageThrottle.rateLimit,
        throttlingBurstLimit: stageThrottle.burstLimit,
        methodOptions,
      },
      // No defaultCorsPreflightOptions: its mock would allow every method of the API on every resource and
      // carry none of the security headers. addCorsPreflights() builds one per routed resource instead.
    });
    this.stage = this.api.deploymentStage;
    this.executionLogGroup = this.addExecutionLogGroup(props);

    this.requestValidator = this.api.addRequestValidator('BodyAndParams', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    this.addGatewayResponses();
    if (this.backends.size > 0) this.backendClientCertificate = this.addBackendClientCertificate();
    this.methods = this.addRoutes(props);
    if (this.allowedOrigins.length > 0) this.addCorsPreflights(props);
    this.acknowledgeFindings();

    if (props.domain) {
      const enhanced = (props.domain.securityPolicy ?? SecurityPolicy.TLS_1_2) !== SecurityPolicy.TLS_1_2;
      this.domain = this.api.addDomainName('Domain', {
        domainName: props.domain.domainName,
        certificate: props.domain.certificate,
        endpointType: EndpointType.REGIONAL,
        securityPolicy: props.domain.securityPolicy ?? SecurityPolicy.TLS_1_2,
        // Enhanced policies: STRICT refuses clients that negotiate anything weaker than the policy.
        ...(enhanced ? { endpointAccessMode: EndpointAccessMode.STRICT } : {}),
        mtls: props.domain.mtls,
        basePath: props.domain.basePath,
      });
    }

    // ---- Edge protection (issue #5): WAF web ACL and usage-plan tiers, both derived from the route table ----
    this.firewall = this.addFirewall(props);
    this.usagePlans = new UsagePlanTiers(this, 'UsagePlans', {
      ...props.usagePlans,
      api: this.api,
      stage: this.stage,
      routes: props.routes,
      methods: this.methods,
      stageThrottle,
    });
    // ---- end edge protection ----

    // ---- Monitoring (issue #6): access-log metric filters, alarms, dashboard, saved queries ----
    this.alarms = new ApiAlarms(this, 'Alarms', {
      ...props.alarms,
      stage: this.stage,
      accessLogGroup: this.accessLogGroup,
    });
    for (const fn of new Set(this.functionsByName.values())) this.alarms.monitorFunction(fn);
    for (const [name, backend] of this.backends) {
      this.alarms.monitorHttpBackend(name, {
        routes: props.routes.filter((r) => r.handler === name),
        timeout: backend.timeout,
      });
    }
    if (this.firewall) this.alarms.monitorWebAcl(this.firewall.metricName);
    // ---- end monitoring ----

    // What would only fail at deploy or run time fails (or warns) at synth, for the whole stack.
    Preflight.of(this, props.preflight);
  }

  /** The function behind a handler name (throws if unknown). */
  public functionFor(handler: string): IFunction {
    const fn = this.functionsByName.get(handler);
    if (!fn && this.backends.has(handler)) {
      throw new SecureApiConfigError(this, `backends.${handler}`, `"${handler}" is an HTTP backend, not a function (see \`backends\`)`);
    }
    if (!fn) throw new SecureApiConfigError(this, 'routes', `no route uses handler "${handler}"`);
    return fn;
  }

  /** The method of a route (`POST /payments`). */
  public methodFor(route: Pick<RouteDefinition, 'method' | 'path'>): Method {
    const method = this.methods.get(routeKey(route));
    if (!method) throw new SecureApiConfigError(this, 'routes', `no route ${routeKey(route)}`);
    return method;
  }

  private addRoutes(props: SecureRestApiProps): Map<string, Method> {
    const methods = new Map<string, Method>();
    const integrations = new Map<string, Integration>();
    props.routes.forEach((route, i) => {
      const backend = this.backends.get(route.handler);
      let integration = backend ? undefined : integrations.get(route.handler);
      if (backend) {
        // One integration per route: the backend URL carries the route's own path.
        integration = backendIntegration(route, backend);
      } else if (!integration) {
        const fn = this.resolveHandler(route, i, props);
        // allowTestInvoke: false keeps the console test-invoke permission (which skips the authorizer) off.
        integration = new LambdaIntegration(fn, { proxy: true, allowTestInvoke: false });
        integrations.set(route.handler, integration);
      }
      const resource = this.api.root.resourceForPath(route.path);
      const requestParameters: Record<string, boolean> = {};
      for (const name of pathParameters(route.path)) requestParameters[`method.request.path.${name}`] = true;
      for (const header of route.requiredHeaders ?? []) requestParameters[`method.request.header.${header}`] = true;
      // Declared query parameters (required ones enforced by the validator, all of them documented).
      for (const [name, required] of queryParameters(route, this, i)) requestParameters[`method.request.querystring.${name}`] = required;
      const requestModels: Record<string, IModel> | undefined = route.body
        ? { 'application/json': this.bodyModel(route, i) }
        : undefined;
      const isPublic = isPublicRoute(route);
      const method = resource.addMethod(route.method, integration, {
        operationName: operationName(route),
        requestValidator: this.requestValidator,
        requestParameters,
        requestModels,
        apiKeyRequired: route.apiKeyRequired ?? false,
        ...(isPublic
          ? { authorizationType: AuthorizationType.NONE }
          : { authorizer: props.authorizer, authorizationType: props.authorizer?.authorizationType ?? AuthorizationType.CUSTOM }),
      });
      if (isPublic) {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `Public by decision in the route table: ${route.auth.reason}`,
        });
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-COG4',
          reason: `Public by decision in the route table: ${route.auth.reason}`,
        });
      } else if (props.unsafeAcceptForeignAuthorizer) {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-COG4',
          reason: `Protected by a Lambda authorizer the library did not build, accepted by unsafeAcceptForeignAuthorizer: ${props.unsafeAcceptForeignAuthorizer.reason}`,
        });
      } else {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-COG4',
          reason: 'Protected by a Lambda REQUEST authorizer that verifies Cognito access tokens with aws-jwt-verify: unlike the Cognito authorizer it enforces all required scopes (AND) plus group membership per route and returns a policy that stays correct under caching.',
        });
      }
      if (backend?.connection.kind === 'vpc-link-v2') {
        // CDK 2.276's Integration has no VPC link V2 target: set it on the L1, and make a change of
        // link or load balancer produce a new deployment like any other method change.
        const cfn = method.node.defaultChild as CfnMethod;
        cfn.addPropertyOverride('Integration.ConnectionType', ConnectionType.VPC_LINK);
        cfn.addPropertyOverride('Integration.ConnectionId', backend.connection.vpcLinkId);
        cfn.addPropertyOverride('Integration.IntegrationTarget', backend.connection.loadBalancerArn);
        this.api.latestDeployment?.addToLogicalId({ [routeKey(route)]: { vpcLinkV2: backend.connection.vpcLinkId, target: backend.connection.loadBalancerArn } });
      }
      methods.set(routeKey(route), method);
    });
    return methods;
  }

  /**
   * One OPTIONS mock per resource that has routes: `Access-Control-Allow-Methods` lists that resource's own
   * methods only, and the answer carries the security headers like every other response. With several
   * allowed origins the static header is the first one and a velocity template swaps in the request's
   * Origin only when it is another member of the list (CDK's own technique): a foreign origin never gets
   * echoed, and never `*`.
   */
  private addCorsPreflights(props: SecureRestApiProps): void {
    const byPath = new Map<string, Set<string>>();
    for (const route of props.routes) byPath.set(route.path, (byPath.get(route.path) ?? new Set()).add(route.method));
    const [first, ...others] = this.allowedOrigins;
    const statusCode = '204';
    for (const [routePath, methods] of byPath) {
      const headers: Record<string, string> = {
        'Access-Control-Allow-Origin': `'${first as string}'`,
        Vary: "'Origin'",
        'Access-Control-Allow-Methods': `'${[...methods].sort().join(',')},OPTIONS'`,
        'Access-Control-Allow-Headers': `'${CORS_ALLOWED_HEADERS.join(',')}'`,
        'Access-Control-Expose-Headers': `'${CORS_EXPOSED_HEADERS.join(',')}'`,
        'Access-Control-Max-Age': `'${Duration.minutes(10).toSeconds()}'`,
      };
      if (props.allowCredentials) headers['Access-Control-Allow-Credentials'] = "'true'";
      Object.assign(headers, staticSecurityHeaders());
      const responseParameters: Record<string, string> = {};
      const methodResponseParameters: Record<string, boolean> = {};
      for (const [name, value] of Object.entries(headers)) {
        responseParameters[`method.response.header.${name}`] = value;
        methodResponseParameters[`method.response.header.${name}`] = true;
      }
      const responseTemplates = others.length === 0 ? undefined : {
        'application/json': [
          '#set($origin = $input.params().header.get("Origin"))',
          '#if($origin == "")',
          '  #set($origin = $input.params().header.get("origin"))',
          '#end',
          `#if(${others.map((o) => `$origin == "${o}"`).join(' || ')})`,
          '  #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)',
          '#end',
        ].join('\n'),
      };
      this.api.root.resourceForPath(routePath).addMethod('OPTIONS', new MockIntegration({
        requestTemplates: { 'application/json': '{ statusCode: 200 }' },
        integrationResponses: [{ statusCode, responseParameters, responseTemplates }],
      }), {
        authorizationType: AuthorizationType.NONE,
        apiKeyRequired: false,
        methodResponses: [{ statusCode, responseParameters: methodResponseParameters }],
      });
    }
  }

  /** Presented by the stage to HTTP backends, so they can refuse anything that did not come through the gateway. */
  private addBackendClientCertificate(): CfnClientCertificate {
    const certificate = new CfnClientCertificate(this, 'BackendClientCertificate', {
      description: `Client certificate ${this.node.path} presents to its HTTP backends`,
    });
    (this.stage.node.defaultChild as CfnStage).clientCertificateId = certificate.attrClientCertificateId;
    return certificate;
  }

  /** Backends: names unique across `handlers`, used by a route, reached over TLS; credential forwarding warned. */
  private validateBackends(props: SecureRestApiProps): void {
    for (const [name, backend] of Object.entries(props.backends ?? {})) {
      const prop = `backends.${name}`;
      requireProp(backend instanceof HttpBackend, this, prop, 'must be built with HttpBackend.fromUrl / fromVpcLink / fromVpcLinkV2');
      requireProp(props.handlers?.[name] === undefined, this, prop, `"${name}" is also in \`handlers\`; a handler name targets one function or one backend`);
      requireProp(props.routes.some((r) => r.handler === name), this, prop, `no route uses "${name}" (a route targets a backend by naming it as its \`handler\`)`);
      backend.validate(this, prop);
      if (backend.forwardCredentials) {
        Annotations.of(this).addWarningV2('secure-rest-api:backend-forwards-credentials',
          `${prop}.forwardCredentials: the client's Authorization token and API key reach the backend ${backend.baseUrl}; it must keep them out of its logs.`);
      }
    }
  }

  private resolveHandler(route: RouteDefinition, index: number, props: SecureRestApiProps): IFunction {
    const existing = this.functionsByName.get(route.handler) ?? props.handlers?.[route.handler];
    if (existing) {
      this.functionsByName.set(route.handler, existing);
      return existing;
    }
    if (!props.handlersDir) {
      throw new SecureApiConfigError(this, `routes[${index}].handler`,
        `handler "${route.handler}" is not in \`handlers\` and no \`handlersDir\` is set`);
    }
    const entry = this.handlerEntry(route, index, props.handlersDir);
    const fn = new SecureFunction(this, `${pascal(route.handler)}Function`, {
      ...props.functionDefaults,
      entry,
      serviceName: props.serviceName ?? kebab(this.node.id),
      description: `Handler ${route.handler} of ${this.node.path}`,
      environment: {
        ALLOWED_ORIGINS: this.allowedOrigins.join(','),
        MAX_BODY_BYTES: String(this.maxBodyBytes),
        ...props.functionDefaults?.environment,
      },
    });
    this.functionsByName.set(route.handler, fn);
    return fn;
  }

  /** `<handlersDir>/<handler>.{ts,mts,js,mjs,cjs}`; a missing or ambiguous entry fails synth here, not in esbuild. */
  private handlerEntry(route: RouteDefinition, index: number, handlersDir: string): string {
    requireProp(!Token.isUnresolved(handlersDir), this, 'handlersDir', 'must be a literal path (it is read at synth)');
    const found = findHandlerEntry(handlersDir, route.handler);
    if (found.kind === 'ambiguous') {
      throw new SecureApiConfigError(this, `routes[${index}].handler`,
        `handler "${route.handler}" of ${routeKey(route)} has several entry files (${found.candidates.map((c) => path.basename(c)).join(', ')}) in ${handlersDir}; keep one`);
    }
    if (found.kind === 'missing') {
      throw new SecureApiConfigError(this, `routes[${index}].handler`,
        `no entry for handler "${route.handler}" of ${routeKey(route)}: none of ${found.searched.join(', ')} exists in ${handlersDir} (or put the function in \`handlers\`)`);
    }
    return found.entry;
  }

  private bodyModel(route: RouteDefinition, index: number): IModel {
    const schema = jsonSchemaDraft4(route.body as $ZodType, this, `routes[${index}].body`);
    return this.api.addModel(`${pascal(operationName(route))}Body`, {
      contentType: 'application/json',
      description: `Request body of ${routeKey(route)}`,
      // The draft-4 document produced by Zod passes through CDK's schema mapper unchanged.
      schema,
    });
  }

  private addExecutionLogGroup(props: SecureRestApiProps): ILogGroup {
    const stageName = props.stageName ?? DEFAULT_STAGE_NAME;
    // The name API Gateway writes execution logs to. It carries the REST API id, which is new on every
    // creation, so the retained group of a deleted stack never blocks the next deployment.
    const group = secureLogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${stageName}`,
      encryptionKey: props.logEncryptionKey,
      retention: props.logRetention,
    });
    this.stage.node.addDependency(group);
    return group;
  }

  private addGatewayResponses(): void {
    const headers: Record<string, string> = staticSecurityHeaders();
    headers['Content-Type'] = "'application/json'";
    // Gateway responses cannot pick one origin from a list: with exactly one allowed origin it is
    // static, with several the browser gets no CORS header on gateway errors (never a reflected origin).
    if (this.allowedOrigins.length === 1) {
      headers['Access-Control-Allow-Origin'] = `'${this.allowedOrigins[0]}'`;
      headers.Vary = "'Origin'";
      if (this.props.allowCredentials) headers['Access-Control-Allow-Credentials'] = "'true'";
    }
    for (const spec of GATEWAY_ERRORS) {
      this.api.addGatewayResponse(`Gw${pascal(spec.type.responseType.toLowerCase())}`, {
        type: spec.type,
        statusCode: spec.statusCode,
        responseHeaders: headers,
        templates: {
          'application/json': JSON.stringify({
            error: { code: spec.code, message: spec.message, requestId: '$context.requestId' },
          }),
        },
      });
    }
  }

  private acknowledgeFindings(): void {
    const stageResource = this.api.deploymentStage.node.defaultChild ?? this.api.deploymentStage;
    acknowledgeRule(stageResource, 'APIGWCacheEnabledAndEncrypted',
      'No response cache on purpose: responses carry one customer\'s financial data and a stage cache keyed without the caller would serve it to another; with no cache there is no cached data to encrypt.',
      ['PCI.DSS.321', 'NIST.800.53.R5']);
    if (!this.backendClientCertificate) {
      acknowledgeRule(stageResource, 'APIGWSSLEnabled',
        'The rule asks for a backend client certificate, which API Gateway presents only to HTTP integrations; every integration here is AWS_PROXY to Lambda, invoked over AWS\'s signed internal path.',
        ['PCI.DSS.321', 'NIST.800.53.R5']);
    }
    const cwRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cwRole) {
      Validations.of(cwRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'The account-level role API Gateway assumes to write execution logs; AWS documents this managed policy as the way to grant it.',
      });
    }
    // CORS preflight (OPTIONS) must stay unauthenticated: browsers never send credentials on a preflight.
    for (const child of this.api.methods) {
      if (child.httpMethod === 'OPTIONS') {
        Validations.of(child).acknowledge({ id: 'AwsSolutions-APIG4', reason: 'CORS preflight: browsers send OPTIONS without credentials; the mock integration only answers allow-listed origins.' });
        Validations.of(child).acknowledge({ id: 'AwsSolutions-COG4', reason: 'CORS preflight: browsers send OPTIONS without credentials; the mock integration only answers allow-listed origins.' });
      }
    }
  }

  // ---- Edge protection (issue #5) ----
  private addFirewall(props: SecureRestApiProps): ApiFirewall | undefined {
    if (props.webAclArn !== undefined) {
      requireProp(props.firewall === undefined, this, 'firewall', 'set either `firewall` (the web ACL built here) or `webAclArn` (an existing one), not both');
      Annotations.of(this).addWarningV2('secure-rest-api:existing-web-acl',
        'webAclArn: the stage uses an existing web ACL; its rules (managed groups, sensitive-route rate limit, body size) are not checked by this library.');
      new CfnWebACLAssociation(this, 'WebAclAssociation', { resourceArn: this.stage.stageArn, webAclArn: props.webAclArn });
      return undefined;
    }
    const stageName = props.stageName ?? DEFAULT_STAGE_NAME;
    requireProp(!Token.isUnresolved(stageName), this, 'stageName', 'must be a literal: the WAF route matchers include it');
    // WAF sees the URI as the client sent it: /<stage>/... on the execute-api endpoint, /<basePath>/... (or
    // the bare path for a root mapping) on the custom domain. Both are covered.
    const prefixes = [`/${stageName}`];
    if (props.domain) prefixes.push(props.domain.basePath ? `/${props.domain.basePath}` : '');
    // WAF's own 429/413 answers carry the same CORS header as the gateway responses (one static origin only).
    const cors: Record<string, string> = {};
    if (this.allowedOrigins.length === 1) {
      cors['Access-Control-Allow-Origin'] = this.allowedOrigins[0] as string;
      cors.Vary = 'Origin';
      if (props.allowCredentials) cors['Access-Control-Allow-Credentials'] = 'true';
    }
    return new ApiFirewall(this, 'Firewall', {
      ...props.firewall,
      routes: props.routes,
      pathPrefixes: prefixes,
      maxBodyBytes: this.maxBodyBytes,
      stage: this.stage,
      extraResponseHeaders: cors,
    });
  }
  // ---- end edge protection ----

  private validateOrigins(origins: readonly string[], allowCredentials: boolean): readonly string[] {
    origins.forEach((origin, i) => {
      const prop = `allowedOrigins[${i}]`;
      requireProp(!Token.isUnresolved(origin), this, prop, 'must be a literal origin, not a token');
      requireProp(!origin.includes('*'), this, prop,
        `"${origin}" is a wildcard; list every allowed origin explicitly${allowCredentials ? ' (a wildcard with allowCredentials would let any site read authenticated responses)' : ''}`);
      let url: URL;
      try {
        url = new URL(origin);
      } catch {
        throw new SecureApiConfigError(this, prop, `"${origin}" is not an origin like https://app.example.com`);
      }
      requireProp(url.origin === origin, this, prop, `"${origin}" must be a bare origin (scheme://host[:port], no path or trailing slash)`);
      const localhost = url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1');
      requireProp(url.protocol === 'https:' || localhost, this, prop, `"${origin}" must use https (http is allowed for localhost only)`);
      if (localhost) {
        Annotations.of(this).addWarningV2('secure-rest-api:localhost-origin',
          `allowedOrigins contains ${origin}: meant for local development only, remove it for production stages.`);
      }
    });
    requireProp(new Set(origins).size === origins.length, this, 'allowedOrigins', 'contains duplicates');
    return Object.freeze([...origins]);
  }

  private validateRoutes(props: SecureRestApiProps): void {
    requireProp(props.routes.length > 0, this, 'routes', 'the route table is empty');
    const problems = routeTableProblems(props.routes);
    const first = problems[0];
    if (first) throw new SecureApiConfigError(this, first.prop, first.message);
    const protectedIndex = props.routes.findIndex((r) => !isPublicRoute(r));
    if (protectedIndex >= 0) {
      requireProp(props.authorizer !== undefined, this, 'authorizer',
        `routes[${protectedIndex}] (${routeKey(props.routes[protectedIndex] as RouteDefinition)}) is protected but no authorizer is set; mark it \`auth: { public: true, reason }\` or pass an authorizer`);
    }
    this.validateAuthorizer(props);
    this.validateBackends(props);
  }

  /** Refuses any authorizer that would not enforce the route table's scopes (all) and groups (any). */
  private validateAuthorizer(props: SecureRestApiProps): void {
    const { authorizer, unsafeAcceptForeignAuthorizer: acceptance } = props;
    if (!authorizer) {
      requireProp(acceptance === undefined, this, 'unsafeAcceptForeignAuthorizer', 'is set but no `authorizer` is given; remove it');
      return;
    }
    const policy = routePolicyOfAuthorizer(authorizer);
    if (policy) {
      requireProp(acceptance === undefined, this, 'unsafeAcceptForeignAuthorizer',
        'the authorizer is the library\'s own (ApiIdentity); remove the opt-out so the route table stays enforced');
      const mismatch = routePolicyMismatches(props.routes, policy)[0];
      if (mismatch) {
        throw new SecureApiConfigError(this, 'authorizer',
          `was built from another route table: ${mismatch.message} (${mismatch.prop}); build the ApiIdentity from the same \`routes\``);
      }
      return;
    }
    const type = authorizer.authorizationType;
    if (type === AuthorizationType.COGNITO) {
      throw new SecureApiConfigError(this, 'authorizer',
        'a Cognito user-pools authorizer lets through a token that holds any one of a method\'s scopes and ignores groups, so the route table\'s scopes (all required) and groups would not be enforced; use ApiIdentity (it can take an existing user pool) and pass `identity.authorizer`');
    }
    if (type !== undefined && type !== AuthorizationType.CUSTOM) {
      throw new SecureApiConfigError(this, 'authorizer',
        `${type} authorization does not check the route table's scopes and groups; use ApiIdentity and pass \`identity.authorizer\``);
    }
    requireProp(acceptance !== undefined, this, 'authorizer',
      'is not the authorizer of an ApiIdentity built from these routes, so nothing guarantees that the route table\'s scopes (all required) and groups are enforced; pass `identity.authorizer`, or set `unsafeAcceptForeignAuthorizer: { reason }` if your own Lambda authorizer enforces them');
    requireProp(Token.isUnresolved(acceptance.reason) || acceptance.reason.trim().length >= 10, this, 'unsafeAcceptForeignAuthorizer.reason',
      'say why the foreign authorizer enforces the route table (at least 10 characters)');
    Annotations.of(this).addWarningV2('secure-rest-api:foreign-authorizer',
      `unsafeAcceptForeignAuthorizer: protected routes use an authorizer the library did not build; the route table's scopes and groups are enforced only if it does so itself. Reason given: ${acceptance.reason}`);
  }

  private validateDomain(domain: SecureDomainOptions): void {
    const policy = domain.securityPolicy ?? SecurityPolicy.TLS_1_2;
    requireProp(ALLOWED_SECURITY_POLICIES.includes(policy), this, 'domain.securityPolicy',
      `${policy} is not allowed: use TLS_1_2 or a regional TLS 1.3 policy`);
    requireProp(Token.isUnresolved(domain.domainName) || isDomainName(domain.domainName),
      this, 'domain.domainName', `"${domain.domainName}" is not a fully qualified domain name`);
    if (domain.mtls) {
      // API Gateway refuses mutual TLS on a domain with an enhanced (SecurityPolicy_*) policy.
      requireProp(policy === SecurityPolicy.TLS_1_2, this, 'domain.mtls',
        `mutual TLS requires securityPolicy TLS_1_2 (API Gateway does not support mTLS with ${policy})`);
      requireProp(Token.isUnresolved(domain.mtls.key) || (domain.mtls.key.length > 0 && !domain.mtls.key.startsWith('/')), this, 'domain.mtls.key',
        'must be the S3 object key of the truststore PEM bundle, e.g. truststore/ca.pem');
    }
  }
}

/**
 * Converts a Zod schema (classic or `zod/mini`) to the JSON Schema draft-4 document API Gateway models
 * require: input side (what the client sends, before transforms), `enum` instead of `const`, boolean
 * `exclusiveMinimum`. A type JSON Schema cannot express (a date object, a bigint, a custom type) throws
 * at synth rather than becoming an accept-anything `{}`; refinements (IBAN checksum) stay handler-only.
 */
export function jsonSchemaDraft4(schema: $ZodType, scope: Construct, prop: string): Record<string, unknown> {
  let doc: Record<string, unknown>;
  try {
    doc = toJSONSchema(schema, { target: 'draft-04', io: 'input', unrepresentable: 'throw' });
  } catch (err) {
    throw new SecureApiConfigError(scope, prop, `cannot be expressed as JSON Schema: ${(err as Error).message}`);
  }
  return stripUnsupportedFormats(doc);
}

const SCHEMA_MAP_KEYWORDS = new Set(['properties', 'patternProperties', 'definitions']);
const SCHEMA_KEYWORDS = new Set(['items', 'additionalItems', 'additionalProperties', 'not', 'allOf', 'anyOf', 'oneOf']);

/**
 * A copy of a draft-4 schema without the `format` keywords API Gateway would misjudge: every format
 * draft 4 does not define, and a draft-4 format where a `pattern` already states the shape (Zod emits
 * both; API Gateway implements the draft-4 formats only partially, so the pattern is the one contract
 * handlers and gateway share). Properties that happen to be named `format` are kept.
 */
export function stripUnsupportedFormats<T>(node: T): T {
  if (Array.isArray(node)) return node.map((n: unknown) => stripUnsupportedFormats(n)) as T;
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  const source = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(source)) {
    if (key === 'format') {
      if (typeof value === 'string' && DRAFT4_STRING_FORMATS.includes(value) && source.pattern === undefined) out[key] = value;
    } else if (SCHEMA_MAP_KEYWORDS.has(key) && value !== null && typeof value === 'object') {
      out[key] = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, stripUnsupportedFormats(v)]));
    } else if (SCHEMA_KEYWORDS.has(key)) {
      out[key] = stripUnsupportedFormats(value);
    } else {
      out[key] = value;
    }
  }
  return out as T;
}

/** Query parameters a route's `query` schema declares, with whether each is required. */
export function queryParameters(route: Pick<RouteDefinition, 'query'>, scope: Construct, index: number): [string, boolean][] {
  if (!route.query) return [];
  const doc = jsonSchemaDraft4(route.query, scope, `routes[${index}].query`);
  requireProp(doc.type === 'object' && typeof doc.properties === 'object', scope, `routes[${index}].query`, 'must be an object schema');
  const required = new Set(Array.isArray(doc.required) ? doc.required as string[] : []);
  return Object.keys(doc.properties as object).sort().map((name) => [name, required.has(name)]);
}

/** The `HTTP_PROXY` integration of one route to a backend: `<baseUrl><path>`, principal headers, timeout, connection. */
function backendIntegration(route: RouteDefinition, backend: HttpBackend): Integration {
  const connection = backend.connection;
  return new HttpIntegration(`${backend.baseUrl}${route.path}`, {
    proxy: true,
    httpMethod: route.method,
    options: {
      requestParameters: backend.requestParameters(pathParameters(route.path), isPublicRoute(route)),
      timeout: backend.timeout,
      ...(connection.kind === 'vpc-link' ? { connectionType: ConnectionType.VPC_LINK, vpcLink: connection.vpcLink } : {}),
    },
  });
}

/** A fully qualified DNS name (labels of 1..63 letters, digits, hyphens; a letter TLD), no backtracking regex. */
function isDomainName(name: string): boolean {
  const labels = name.split('.');
  return name.length <= 253 && labels.length >= 2
    && labels.every((l) => /^[a-z0-9-]{1,63}$/i.test(l) && !l.startsWith('-') && !l.endsWith('-'))
    && /^[a-z]{2,63}$/i.test(labels[labels.length - 1] ?? '');
}

/** The security headers every answer carries, as the static (single-quoted) values API Gateway mappings take. */
function staticSecurityHeaders(): Record<string, string> {
  return Object.fromEntries(Object.entries(SECURITY_HEADERS).map(([name, value]) => [name, `'${value}'`]));
}

/** `POST /payments/{paymentId}` -> `postPaymentsByPaymentId`. */
export function operationName(route: Pick<RouteDefinition, 'method' | 'path'>): string {
  const parts = route.path.split('/').filter(Boolean).map((p) => {
    const param = /^\{(.+)\}$/.exec(p);
    return param ? `By${pascal(param[1] as string)}` : pascal(p);
  });
  return `${route.method.toLowerCase()}${parts.join('')}`;
}


