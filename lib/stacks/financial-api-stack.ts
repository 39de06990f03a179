import * as path from 'path';
import { CfnOutput, Stack, StackProps, Validations } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { Construct } from 'constructs';
import { ApiFirewallOptions } from '../constructs/api-firewall';
import { SecureRestApi, SecureDomainOptions } from '../constructs/secure-rest-api';
import { UsagePlanTiersOptions } from '../constructs/usage-plan-tiers';
import { RouteTable } from '../routes';
import { PAYMENTS_ROUTES } from './payments-routes';

/** Settings of the example app, read from `cdk.json` context by `bin/app.ts`. */
export interface FinancialApiStackProps extends StackProps {
  /** Browser origins allowed by CORS. */
  readonly allowedOrigins: readonly string[];
  /** @default 'v1' */
  readonly stageName?: string;
  /** Custom domain and its ACM certificate ARN. @default - no custom domain */
  readonly domain?: { readonly domainName: string; readonly certificateArn: string };
  /** Email address subscribed to the alarm topic. @default - no subscription */
  readonly alarmEmail?: string;
  /** Route table. @default PAYMENTS_ROUTES */
  readonly routes?: RouteTable;
  /** WAF web ACL options (rate limits, managed-rule overrides, IP/geo lists). @default - ApiFirewall defaults */
  readonly firewall?: ApiFirewallOptions;
  /** Usage-plan tiers and API keys. @default - DEFAULT_USAGE_TIERS (free, standard, partner), no keys */
  readonly usagePlans?: UsagePlanTiersOptions;
}

/** The example app: a payments-style API built from the library's constructs. */
export class FinancialApiStack extends Stack {
  public readonly api: SecureRestApi;

  constructor(scope: Construct, id: string, props: FinancialApiStackProps) {
    super(scope, id, props);
    const domain: SecureDomainOptions | undefined = props.domain
      ? {
        domainName: props.domain.domainName,
        certificate: Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn),
      }
      : undefined;

    this.api = new SecureRestApi(this, 'PaymentsApi', {
      routes: props.routes ?? PAYMENTS_ROUTES,
      allowedOrigins: props.allowedOrigins,
      stageName: props.stageName,
      domain,
      serviceName: 'payments-api',
      handlersDir: path.join(__dirname, '..', '..', 'lambda', 'handlers'),
      firewall: props.firewall,
      usagePlans: props.usagePlans,
    });

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.domain ? `https://${this.api.domain.domainName}/` : this.api.api.url,
      description: 'Base URL of the API',
    });
  }
}
