import * as path from 'path';
import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ApiIdentity, RouteTable, SecureRestApi } from '@secure-api/cdk';
import { AccountParams, OpenAccountBody } from '../lambda/schemas';

const routes: RouteTable = [
  { method: 'GET', path: '/status', handler: 'status', sensitivity: 'low',
    auth: { public: true, reason: 'Uptime probe for the status page' } },
  { method: 'GET', path: '/accounts/{accountId}', handler: 'get-account',
    auth: { scopes: ['accounts/read'] }, params: AccountParams },
  { method: 'POST', path: '/accounts', handler: 'open-account', sensitivity: 'high',
    auth: { scopes: ['accounts/write'] }, body: OpenAccountBody, requiredHeaders: ['Idempotency-Key'] },
];

export class AccountsStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const identity = new ApiIdentity(this, 'Identity', {
      routes,
      domainPrefix: 'accounts-consumer-auth',
      publicClient: { callbackUrls: ['https://bank.example.org/callback'] },
      machineClient: { scopes: ['accounts/read'] },
    });
    new SecureRestApi(this, 'AccountsApi', {
      routes,
      authorizer: identity.authorizer,
      allowedOrigins: ['https://bank.example.org'],
      handlersDir: path.join(__dirname, '..', 'lambda'),
      alarms: { alarmEmail: 'oncall@bank.example.org' },
    });
  }
}
