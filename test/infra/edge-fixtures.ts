import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SecureRestApi, SecureRestApiProps } from '../../lib/constructs/secure-rest-api';
import { RouteDefinition, RouteTable } from '../../lib/routes';
import { testApp, testStack } from '../helpers/app';
import { routeTableAuthorizer } from '../helpers/authorizer';

/** Shared fixtures of the edge-protection tests (firewall, usage plans, custom domain). */
export const HANDLERS_DIR = path.join(__dirname, '..', '..', 'lambda', 'example', 'handlers');

export const HEALTH: RouteDefinition = {
  method: 'GET', path: '/health', handler: 'health', sensitivity: 'low',
  auth: { public: true, reason: 'Liveness probe for uptime monitors' },
};
export const LIST_PAYMENTS: RouteDefinition = {
  method: 'GET', path: '/payments', handler: 'health', auth: { scopes: ['payments/read'] },
};
export const CREATE_PAYMENT: RouteDefinition = {
  method: 'POST', path: '/payments', handler: 'health', sensitivity: 'high', apiKeyRequired: true,
  auth: { scopes: ['payments/write'] },
};
export const GET_PAYMENT: RouteDefinition = {
  method: 'GET', path: '/payments/{paymentId}', handler: 'health', apiKeyRequired: true,
  auth: { scopes: ['payments/read'] },
};
export const REFUND_PAYMENT: RouteDefinition = {
  method: 'POST', path: '/payments/{paymentId}/refunds', handler: 'health', sensitivity: 'high', apiKeyRequired: true,
  auth: { scopes: ['payments/write'] },
};

/** Public, standard, and two money-moving routes, three of them keyed. */
export const ROUTES: RouteTable = [HEALTH, LIST_PAYMENTS, CREATE_PAYMENT, GET_PAYMENT, REFUND_PAYMENT];

/**
 * Builds a SecureRestApi (no bundling) in a fresh stack; `props` override the defaults, and `inStack`
 * returns more overrides for props that need constructs of that stack (certificate, bucket).
 */
export function buildApi(
  props: Partial<SecureRestApiProps> = {},
  app: App = testApp(),
  inStack: (stack: Stack) => Partial<SecureRestApiProps> = () => ({}),
): { stack: Stack; api: SecureRestApi; template: () => Template } {
  const stack = testStack(app);
  const authorizer = routeTableAuthorizer(stack, props.routes ?? ROUTES);
  const api = new SecureRestApi(stack, 'Api', {
    routes: ROUTES,
    allowedOrigins: ['https://app.example.com'],
    handlersDir: HANDLERS_DIR,
    authorizer,
    ...props,
    ...inStack(stack),
  });
  let template: Template | undefined;
  return { stack, api, template: () => (template ??= Template.fromStack(stack)) };
}

/** The web ACL's rules by name. */
export function wafRules(template: Template): Map<string, Record<string, any>> {
  const acls = Object.values(template.findResources('AWS::WAFv2::WebACL'));
  if (acls.length !== 1) throw new Error(`expected one web ACL, found ${acls.length}`);
  const rules = (acls[0] as { Properties: { Rules: Record<string, any>[] } }).Properties.Rules;
  return new Map(rules.map((r) => [r.Name as string, r]));
}
