/**
 * The library as another team uses it: only the public entry (`lib/index.ts`), a route table of its
 * own, and the README's example. It must synthesize with zero rule-pack findings and get the same
 * protections without setting anything security-related.
 */
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ApiIdentity, RouteTable, SecureRestApi } from '../../lib';
import { nagFindings, testApp } from '../helpers/app';

const routes: RouteTable = [
  { method: 'GET', path: '/health', handler: 'health', sensitivity: 'low', auth: { public: true, reason: 'Liveness probe for uptime monitors' } },
  { method: 'GET', path: '/accounts/{accountId}', handler: 'health', auth: { scopes: ['accounts/read'] } },
  { method: 'POST', path: '/transfers', handler: 'health', sensitivity: 'high', auth: { scopes: ['transfers/write'] }, requiredHeaders: ['Idempotency-Key'] },
];

describe('a consumer stack built from the public entry point (README example)', () => {
  const app = testApp();
  const stack = new Stack(app, 'ConsumerStack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const identity = new ApiIdentity(stack, 'Identity', {
    routes,
    domainPrefix: 'my-bank-auth',
    publicClient: { callbackUrls: ['https://app.example.com/callback'] },
    machineClient: { scopes: ['accounts/read'] },
  });
  new SecureRestApi(stack, 'Api', {
    routes,
    authorizer: identity.authorizer,
    allowedOrigins: ['https://app.example.com'],
    // The example handler stands in for the consumer's: this test is about the infrastructure.
    handlersDir: path.join(__dirname, '..', '..', 'lambda', 'example', 'handlers'),
    alarms: { alarmEmail: 'oncall@example.com' },
  });
  const findings = nagFindings(app);
  const template = Template.fromStack(stack);

  test('zero unacknowledged findings in AwsSolutions, PCI DSS 3.2.1 and NIST 800-53 r5', () => {
    expect(findings).toEqual([]);
  });

  test('gets the WAF, the authorizer on protected routes, the stricter rate rule for its high route, and alarms', () => {
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'CUSTOM' });
    const acl = JSON.stringify(template.findResources('AWS::WAFv2::WebACL'));
    expect(acl).toContain('/transfers');
    expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm')).length).toBeGreaterThan(10);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  test('its scopes become a resource server of its own', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', { Identifier: 'accounts' });
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', { Identifier: 'transfers' });
  });
});
