import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/**
 * Log retention for every log group the library creates (access, execution, Lambda, WAF).
 * One year matches PCI DSS 10.7 ("retain audit trail history for at least one year").
 */
export const DEFAULT_LOG_RETENTION = RetentionDays.ONE_YEAR;

/**
 * Fields of one API Gateway access-log line (JSON, one line per request).
 *
 * Keys are the names that metric filters and Logs Insights queries read. Numeric context
 * variables that API Gateway always fills (`status`, `responseLatency`, `requestTimeEpoch`) are
 * emitted unquoted so that filters compare numbers (`$.status = 401`); variables that can be
 * empty are quoted so the line stays valid JSON.
 *
 * Nothing here carries a request body, a token or an API key value: only identifiers.
 */
export const ACCESS_LOG_FIELDS: Readonly<Record<string, { readonly variable: string; readonly type: 'string' | 'number' }>> = Object.freeze({
  requestId: { variable: '$context.requestId', type: 'string' },
  // API id and stage are the dimensions of the access-log metric filters (ApiAlarms).
  apiId: { variable: '$context.apiId', type: 'string' },
  extendedRequestId: { variable: '$context.extendedRequestId', type: 'string' },
  requestTime: { variable: '$context.requestTime', type: 'string' },
  requestTimeEpoch: { variable: '$context.requestTimeEpoch', type: 'number' },
  sourceIp: { variable: '$context.identity.sourceIp', type: 'string' },
  userAgent: { variable: '$context.identity.userAgent', type: 'string' },
  caller: { variable: '$context.identity.caller', type: 'string' },
  user: { variable: '$context.identity.user', type: 'string' },
  principalId: { variable: '$context.authorizer.principalId', type: 'string' },
  clientId: { variable: '$context.authorizer.clientId', type: 'string' },
  apiKeyId: { variable: '$context.identity.apiKeyId', type: 'string' },
  httpMethod: { variable: '$context.httpMethod', type: 'string' },
  resourcePath: { variable: '$context.resourcePath', type: 'string' },
  path: { variable: '$context.path', type: 'string' },
  protocol: { variable: '$context.protocol', type: 'string' },
  domainName: { variable: '$context.domainName', type: 'string' },
  stage: { variable: '$context.stage', type: 'string' },
  status: { variable: '$context.status', type: 'number' },
  responseLength: { variable: '$context.responseLength', type: 'string' },
  responseLatency: { variable: '$context.responseLatency', type: 'number' },
  integrationStatus: { variable: '$context.integration.status', type: 'string' },
  integrationLatency: { variable: '$context.integration.latency', type: 'string' },
  integrationError: { variable: '$context.integration.error', type: 'string' },
  errorType: { variable: '$context.error.responseType', type: 'string' },
  errorMessage: { variable: '$context.error.message', type: 'string' },
  authorizerStatus: { variable: '$context.authorizer.status', type: 'string' },
  authorizerLatency: { variable: '$context.authorizer.latency', type: 'string' },
  authorizerError: { variable: '$context.authorizer.error', type: 'string' },
  wafResponseCode: { variable: '$context.wafResponseCode', type: 'string' },
  webAclArn: { variable: '$context.webaclArn', type: 'string' },
  correlationId: { variable: '$context.requestId', type: 'string' },
});

/** Renders {@link ACCESS_LOG_FIELDS} as the single-line JSON format string API Gateway expects. */
export function accessLogFormatString(): string {
  const parts = Object.entries(ACCESS_LOG_FIELDS).map(([key, field]) =>
    field.type === 'number' ? `"${key}":${field.variable}` : `"${key}":"${field.variable}"`,
  );
  return `{${parts.join(',')}}`;
}
