import * as path from 'path';
import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ApiIdentity, RouteTable, SecureRestApi } from '@secure-api/cdk';
import { AccountParams } from '../lambda/schemas';

// The route table: the one place routes are declared. Scopes, models, throttles, WAF rules, alarms and
// OpenAPI are derived from it.
const routes: RouteTable = [
  { method: 'GET', path: '/status', handler: 'status', sensitivity: 'low',
    auth: { public: true, reason: 'Uptime probe for the status page' } },
  { method: 'GET', path: '/accounts/{accountId}', handler: 'get-account',
    auth: { scopes: ['accounts/read'] }, params: AccountParams },
];

export class AccountsStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    // Cognito user pool, PKCE client, resource-server scopes and the token authorizer.
    const identity = new ApiIdentity(this, 'Identity', {
      routes,
      domainPrefix: 'accounts-consumer-auth',
      publicClient: { callbackUrls: ['https://bank.example.org/callback'] },
    });
    // REST API + WAF + usage plans + alarms; each handler is lambda/<handler>.ts, bundled by your esbuild.
    new SecureRestApi(this, 'AccountsApi', {
      routes,
      authorizer: identity.authorizer,
      allowedOrigins: ['https://bank.example.org'],
      handlersDir: path.join(__dirname, '..', 'lambda'),
      alarms: { alarmEmail: 'oncall@bank.example.org' },
    });
  }
}
