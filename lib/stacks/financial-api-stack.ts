import * as path from 'path';
import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { Construct } from 'constructs';
import { ApiFirewallOptions } from '../constructs/api-firewall';
import { ApiIdentity, MachineIntegrationOptions } from '../constructs/api-identity';
import { PaymentsData } from './payments-data';
import { PrivateNetwork } from '../constructs/private-network';
import { SecureFunctionOptions } from '../constructs/secure-function';
import { SecureRestApi, SecureDomainOptions } from '../constructs/secure-rest-api';
import { UsagePlanTiersOptions } from '../constructs/usage-plan-tiers';
import { RouteTable } from '../routes';
import { writeOpenApiDocument } from '../openapi';
import { PAYMENT_SCOPES, PAYMENTS_ROUTES, paymentsOpenApi } from './payments-routes';

/** Powertools service name of the example app's authorizer (the `service` dimension of its metrics). */
const AUTHORIZER_SERVICE_NAME = 'api-authorizer';

/**
 * Deployment profile of the example app.
 * - `standard`: functions outside a VPC, concurrency capped by throttles (rule-pack findings
 *   acknowledged with reasons).
 * - `regulated`: what PCI DSS / NIST 800-53 ask for beyond that, at a cost: handlers and the rotation
 *   function in an isolated VPC with flow logs and service endpoints (no NAT, no internet route); reserved
 *   concurrency on every function when `reserveConcurrency` is on (opt-in: accounts with a low Lambda
 *   quota cannot reserve any).
 */
export type DeploymentProfile = 'standard' | 'regulated';

/** Reserved concurrency per function in the regulated profile with `reserveConcurrency` (172 in all: needs a quota of 272+). */
export const REGULATED_CONCURRENCY = { handler: 20, authorizer: 50, rotation: 2 } as const;

/** Settings of the example app, read from `cdk.json` context by `bin/app.ts`. */
export interface FinancialApiStackProps extends StackProps {
  /** @default 'standard' */
  readonly profile?: DeploymentProfile;
  /** Browser origins allowed by CORS. */
  readonly allowedOrigins: readonly string[];
  /** @default 'v1' */
  readonly stageName?: string;
  /** Custom domain and its ACM certificate ARN. @default - no custom domain */
  readonly domain?: { readonly domainName: string; readonly certificateArn: string };
  /**
   * Reserve concurrency per function ({@link REGULATED_CONCURRENCY}) in the regulated profile. Needs an
   * account quota of at least the total plus 100 (context `financialApi:reservedConcurrency`).
   * @default false
   */
  readonly reserveConcurrency?: boolean;
  /**
   * The account's Lambda concurrency quota, checked at synth against the reservations (context
   * `financialApi:accountConcurrencyLimit`).
   * @default - unknown (a stack that reserves concurrency gets a warning)
   */
  readonly accountConcurrencyLimit?: number;
  /** Email address subscribed to the alarm topic. @default - no subscription */
  readonly alarmEmail?: string;
  /** Route table. @default PAYMENTS_ROUTES */
  readonly routes?: RouteTable;
  /**
   * Where to write the OpenAPI 3 document of the routes at synth (deterministic; offline).
   * @default - not written (bin/app.ts passes docs/openapi.json)
   */
  readonly openApiFile?: string;
  /** WAF web ACL options (rate limits, managed-rule overrides, IP/geo lists). @default - ApiFirewall defaults */
  readonly firewall?: ApiFirewallOptions;
  /** Usage-plan tiers and API keys. @default - DEFAULT_USAGE_TIERS (free, standard, partner), no keys */
  readonly usagePlans?: UsagePlanTiersOptions;
  /**
   * Identity (issue #3): Cognito prefix domain and the app's OAuth redirect allow-lists.
   * @default - context `financialApi:authDomainPrefix`, `financialApi:callbackUrls`, `financialApi:logoutUrls`
   */
  readonly identity?: { readonly domainPrefix?: string; readonly callbackUrls: readonly string[]; readonly logoutUrls?: readonly string[] };
  /**
   * Machine integrations (partners). @default - two partners: `acme-payments` (read + write, partner tier)
   * and `globex-treasury` (read, standard tier)
   */
  readonly machineIntegrations?: Readonly<Record<string, MachineIntegrationOptions>>;
}

/** The example app: a payments-style API built from the library's constructs. */
export class FinancialApiStack extends Stack {
  public readonly api: SecureRestApi;
  /** User pool, app clients and the REQUEST authorizer of the API. */
  public readonly identity: ApiIdentity;
  /** Payments table, its KMS key and the secrets the handlers use (issue #4). */
  public readonly data: PaymentsData;
  /** The isolated VPC of the regulated profile. */
  public readonly network?: PrivateNetwork;

  constructor(scope: Construct, id: string, props: FinancialApiStackProps) {
    super(scope, id, props);
    const domain: SecureDomainOptions | undefined = props.domain
      ? {
        domainName: props.domain.domainName,
        certificate: Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn),
      }
      : undefined;

    const regulated = (props.profile ?? 'standard') === 'regulated';
    this.network = regulated ? new PrivateNetwork(this, 'Network') : undefined;
    const reserve = regulated && props.reserveConcurrency === true;
    const inVpc = (reservedConcurrentExecutions: number): SecureFunctionOptions =>
      (this.network ? { vpc: this.network.vpc, ...(reserve ? { reservedConcurrentExecutions } : {}) } : {});

    // Identity (issue #3): scopes, groups and the authorizer's policy derive from the same route table.
    this.identity = new ApiIdentity(this, 'Identity', {
      authorizerFunction: regulated ? {
        ...(reserve ? { reservedConcurrentExecutions: REGULATED_CONCURRENCY.authorizer } : {}),
        vpcExemptionReason: 'The authorizer downloads the user pool\'s JWKS from Cognito\'s public endpoint. A user pool with a domain (needed for the OAuth endpoints) cannot be reached through a Cognito VPC endpoint, so inside a VPC it would need a NAT route to the internet, a wider path than none. It reads no data store and holds no secret.',
      } : undefined,
      routes: props.routes ?? PAYMENTS_ROUTES,
      // Named here because the alarms read the authorizer's metrics by this `service` dimension.
      serviceName: AUTHORIZER_SERVICE_NAME,
      // Unset: `<stack name>-<account id>`, unique per account and region (a constant collides across accounts).
      domainPrefix: props.identity?.domainPrefix,
      publicClient: {
        callbackUrls: props.identity?.callbackUrls ?? ['https://app.example.com/auth/callback'],
        logoutUrls: props.identity?.logoutUrls ?? ['https://app.example.com/'],
      },
      // Two partner back ends, each its own identity (owner of its own payments) and its own usage key;
      // never the admin scope. Bind each to its mTLS certificate with `clientCertificate` once the
      // custom domain has a truststore (domain.mtls).
      machineIntegrations: props.machineIntegrations ?? {
        'acme-payments': { scopes: [PAYMENT_SCOPES.read, PAYMENT_SCOPES.write], usageTier: 'partner' },
        'globex-treasury': { scopes: [PAYMENT_SCOPES.read], usageTier: 'standard' },
      },
    });

    this.api = new SecureRestApi(this, 'PaymentsApi', {
      authorizer: this.identity.authorizer,
      routes: props.routes ?? PAYMENTS_ROUTES,
      allowedOrigins: props.allowedOrigins,
      stageName: props.stageName,
      domain,
      serviceName: 'payments-api',
      handlersDir: path.join(__dirname, '..', '..', 'lambda', 'example', 'handlers'),
      functionDefaults: inVpc(REGULATED_CONCURRENCY.handler),
      firewall: props.firewall,
      // Keys are never handed out: the authorizer returns each integration's own key and the people
      // plan's key for users (API key source AUTHORIZER); metering and throttling, never authorization.
      usagePlans: props.usagePlans,
      // Monitoring (issue #6): alarm e-mail from context `financialApi:alarmEmail`.
      alarms: { alarmEmail: props.alarmEmail },
      preflight: { accountConcurrencyLimit: props.accountConcurrencyLimit },
    });

    this.identity.attachUsagePlans(this.api.usagePlans);

    // Issue #4: table + secrets, each handler granted only what it uses; OpenAPI written at synth.
    this.data = new PaymentsData(this, 'PaymentsData', { rotationFunction: inVpc(REGULATED_CONCURRENCY.rotation) });
    this.data.connect(this.api);

    // Monitoring (issue #6): resources beyond the API's own handlers (those SecureRestApi monitors itself).
    this.api.alarms.monitorFunction(this.identity.authorizerFunction);
    this.api.alarms.monitorAuthorizer(AUTHORIZER_SERVICE_NAME, { logGroup: this.identity.authorizerFunction.functionLogGroup });
    this.api.alarms.monitorFunction(this.data.rotationFunction);
    this.api.alarms.monitorTable(this.data.table, { label: 'Payments' });
    // The secrets cache of the payments handlers counts failed fetches (lambda/runtime/secret-metrics.ts).
    this.api.alarms.monitorSecretAccess('payments-api');
    if (props.openApiFile !== undefined) writeOpenApiDocument(props.openApiFile, paymentsOpenApi(props.routes ?? PAYMENTS_ROUTES));

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.domain ? `https://${this.api.domain.domainName}/` : this.api.api.url,
      description: 'Base URL of the API',
    });
  }
}
