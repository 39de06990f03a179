import { App } from 'aws-cdk-lib';
import { FinancialApiStackProps } from './financial-api-stack';

const PREFIX = 'financialApi:';

/** Reads the example app's settings from `cdk.json` context (`-c financialApi:allowedOrigins=...` overrides). */
export function appSettings(app: App): Omit<FinancialApiStackProps, 'env'> {
  const origins = context(app, 'allowedOrigins');
  const domainName = stringContext(app, 'domainName');
  const certificateArn = stringContext(app, 'certificateArn');
  const alarmEmail = stringContext(app, 'alarmEmail');
  const authDomainPrefix = stringContext(app, 'authDomainPrefix');
  const callbackUrls = listContext(app, 'callbackUrls');
  const profile = stringContext(app, 'profile') ?? 'standard';
  if (profile !== 'standard' && profile !== 'regulated') {
    throw new Error(`context ${PREFIX}profile must be "standard" or "regulated", got "${profile}"`);
  }
  if (domainName && !certificateArn) {
    throw new Error(`context ${PREFIX}domainName is set but ${PREFIX}certificateArn is empty: a custom domain needs its ACM certificate`);
  }
  const limit = stringContext(app, 'accountConcurrencyLimit') ?? numberContext(app, 'accountConcurrencyLimit');
  const accountConcurrencyLimit = limit === undefined ? undefined : Number(limit);
  if (accountConcurrencyLimit !== undefined && !(Number.isInteger(accountConcurrencyLimit) && accountConcurrencyLimit > 0)) {
    throw new Error(`context ${PREFIX}accountConcurrencyLimit must be a positive integer (Service Quotas: Lambda "Concurrent executions"), got "${String(limit)}"`);
  }
  const reserve = context(app, 'reservedConcurrency');
  return {
    profile,
    reserveConcurrency: reserve === true || reserve === 'true',
    accountConcurrencyLimit,
    allowedOrigins: Array.isArray(origins)
      ? origins.map(String)
      : typeof origins === 'string' && origins.length > 0 ? origins.split(',').map((o) => o.trim()) : [],
    stageName: stringContext(app, 'stageName'),
    domain: domainName && certificateArn ? { domainName, certificateArn } : undefined,
    alarmEmail,
    // No prefix in context: the stack derives `<stack name>-<account id>` (prefixes are unique across accounts).
    identity: callbackUrls.length > 0
      ? { domainPrefix: authDomainPrefix, callbackUrls, logoutUrls: listContext(app, 'logoutUrls') }
      : undefined,
  };
}

/** A list from context: a JSON array in cdk.json, or a comma-separated string from `-c`. */
function listContext(app: App, key: string): string[] {
  const value = context(app, key);
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' && value.length > 0 ? value.split(',').map((v) => v.trim()) : [];
}

function context(app: App, key: string): unknown {
  return app.node.tryGetContext(`${PREFIX}${key}`);
}

function stringContext(app: App, key: string): string | undefined {
  const value = context(app, key);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function numberContext(app: App, key: string): number | undefined {
  const value = context(app, key);
  return typeof value === 'number' ? value : undefined;
}
