import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { UserPool } from 'aws-cdk-lib/aws-cognito';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { ApiIdentity, ApiIdentityProps, scopeEscalations, ThreatProtection } from '../../lib/constructs/api-identity';
import { SecureRestApi } from '../../lib/constructs/secure-rest-api';
import { decodeIntegrations } from '../../lambda/functions/authorizer/integrations';
import { HANDLERS_DIR } from './edge-fixtures';
import { isPublicRoute, RouteTable } from '../../lib/routes';
import { PAYMENTS_ROUTES } from '../../lib/stacks/payments-routes';
import { encodeRoutePolicy } from '../../lambda/functions/authorizer/route-policy';
import { exampleStack, testApp, testStack } from '../helpers/app';

const ROUTES: RouteTable = [
  { method: 'GET', path: '/health', handler: 'health', auth: { public: true, reason: 'Liveness probe, returns a constant' } },
  { method: 'GET', path: '/accounts', handler: 'list', auth: { scopes: ['accounts/read'] } },
  { method: 'POST', path: '/accounts', handler: 'create', auth: { scopes: ['accounts/write'] }, sensitivity: 'high' },
  { method: 'DELETE', path: '/accounts/{accountId}', handler: 'close', auth: { scopes: ['accounts/admin'], groups: ['admins'] }, sensitivity: 'high' },
];

const BASE: ApiIdentityProps = {
  routes: ROUTES,
  domainPrefix: 'accounts-test-auth',
  publicClient: { callbackUrls: ['https://app.example.com/callback'], logoutUrls: ['https://app.example.com/'] },
  machineIntegrations: { 'acme-accounts': { scopes: ['accounts/read'] } },
};

/** ApiIdentity on a bare stack, its authorizer attached to a minimal REST API (an authorizer must be). */
function identityStack(overrides: Partial<ApiIdentityProps> = {}): { stack: Stack; identity: ApiIdentity } {
  const stack = testStack();
  const identity = new ApiIdentity(stack, 'Identity', { ...BASE, ...overrides });
  const api = new RestApi(stack, 'Api');
  api.root.addMethod('GET', new MockIntegration(), { authorizer: identity.authorizer });
  return { stack, identity };
}

const build = (overrides: Partial<ApiIdentityProps>) => () => identityStack(overrides);
const client = (overrides: Partial<ApiIdentityProps['publicClient']>) => build({ publicClient: { ...BASE.publicClient, ...overrides } });

describe('ApiIdentity in the example stack: user pool', () => {
  const { template } = exampleStack();

  test('self sign-up is off (admin-created users only)', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', { AdminCreateUserConfig: { AllowAdminCreateUserOnly: true } });
  });

  test('password policy: 12+ characters, every character class, history, short-lived temporary passwords', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      Policies: { PasswordPolicy: {
        MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true,
        PasswordHistorySize: 4, TemporaryPasswordValidityDays: 3,
      } },
    });
  });

  test('MFA required, TOTP only (no SMS factor, no SMS configuration)', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      SmsConfiguration: Match.absent(),
    });
  });

  test('email is the sign-in name, case-insensitive, verified automatically, and changes only once verified', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UsernameAttributes: ['email'],
      UsernameConfiguration: { CaseSensitive: false },
      AutoVerifiedAttributes: ['email'],
      UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
    });
  });

  test('account recovery by verified email only', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
    });
  });

  test('deletion protection on and RETAIN', () => {
    template.hasResource('AWS::Cognito::UserPool', {
      Properties: Match.objectLike({ DeletionProtection: 'ACTIVE' }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('PLUS plan with threat protection enforced for standard and custom authentication', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED', AdvancedSecurityAdditionalFlows: { CustomAuthMode: 'ENFORCED' } },
    });
  });

  test('a Cognito prefix domain serves the OAuth endpoints, named after the stack and account (never a constant)', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: 'financial-api-stack-123456789012',
      UserPoolId: { Ref: Match.stringLikeRegexp('IdentityUserPool') },
    });
  });
});

describe('ApiIdentity in the example stack: scopes, groups, clients', () => {
  const { stack, template } = exampleStack();
  const serverRef = { Ref: stack.getLogicalId(stack.identity.resourceServers.get('payments')!.node.defaultChild as never) };
  const scope = (name: string): unknown => ({ 'Fn::Join': ['', [serverRef, `/${name}`]] });

  test('one resource server per scope prefix, with exactly the scopes the route table requires', () => {
    template.resourceCountIs('AWS::Cognito::UserPoolResourceServer', 1);
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'payments',
      Scopes: [
        { ScopeName: 'admin', ScopeDescription: 'Grants GET /admin/payments' },
        { ScopeName: 'read', ScopeDescription: 'Grants GET /payments, GET /payments/{paymentId}' },
        { ScopeName: 'write', ScopeDescription: 'Grants POST /payments' },
      ],
    });
  });

  test('one group per role a route requires', () => {
    template.resourceCountIs('AWS::Cognito::UserPoolGroup', 1);
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'admins' });
  });

  test('public client: authorization code + PKCE only, no secret, allow-listed redirects, identity + API scopes only', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['openid', 'email', scope('admin'), scope('read'), scope('write')],
      CallbackURLs: ['https://app.example.com/auth/callback'],
      LogoutURLs: ['https://app.example.com/'],
      SupportedIdentityProviders: ['COGNITO'],
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH'],
    });
  });

  test('public client: 15-minute access/ID tokens, 30-day refresh with rotation, revocation, no user-existence errors', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AccessTokenValidity: 15,
      IdTokenValidity: 15,
      RefreshTokenValidity: 30 * 24 * 60,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'minutes' },
      RefreshTokenRotation: { Feature: 'ENABLED', RetryGracePeriodSeconds: 10 },
      EnableTokenRevocation: true,
      PreventUserExistenceErrors: 'ENABLED',
    });
  });

  test('no client can use the implicit grant or password flows', () => {
    const clients = template.findResources('AWS::Cognito::UserPoolClient');
    for (const c of Object.values(clients)) {
      expect(c.Properties.AllowedOAuthFlows).not.toContain('implicit');
      expect(c.Properties.ExplicitAuthFlows).toBeDefined(); // never Cognito's default list (SRP + CUSTOM + REFRESH)
      expect(c.Properties.ExplicitAuthFlows).not.toEqual(expect.arrayContaining(['ALLOW_USER_PASSWORD_AUTH']));
      expect(c.Properties.ExplicitAuthFlows).not.toEqual(expect.arrayContaining(['ALLOW_ADMIN_USER_PASSWORD_AUTH']));
      expect(c.Properties.ExplicitAuthFlows).not.toEqual(expect.arrayContaining(['ALLOW_CUSTOM_AUTH']));
      expect(c.Properties.AllowedOAuthScopes).not.toContain('aws.cognito.signin.user.admin');
    }
  });

  test('machine client: client credentials with a generated secret and service scopes only (no admin scope)', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: true,
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthScopes: [scope('read'), scope('write')],
      AccessTokenValidity: 15,
      EnableTokenRevocation: true,
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
    });
  });
});

describe('ApiIdentity in the example stack: authorizer', () => {
  const { stack, template } = exampleStack();
  const authorizerId = stack.getLogicalId(stack.identity.authorizer.node.defaultChild as never);
  const fnId = stack.getLogicalId(stack.identity.authorizerFunction.node.defaultChild as never);

  test('REQUEST authorizer keyed on the Authorization header, results cached 300 s', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
      AuthorizerUri: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([{ 'Fn::GetAtt': [fnId, 'Arn'] }])]) }),
    });
  });

  test('every non-public route uses the authorizer; public routes are exactly the ones the table marks public', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'))
      .filter((m) => m.Properties.HttpMethod !== 'OPTIONS');
    expect(methods).toHaveLength(PAYMENTS_ROUTES.length);
    const open = methods.filter((m) => m.Properties.AuthorizationType === 'NONE');
    expect(open).toHaveLength(PAYMENTS_ROUTES.filter(isPublicRoute).length);
    for (const m of methods.filter((x) => x.Properties.AuthorizationType !== 'NONE')) {
      expect(m.Properties.AuthorizationType).toBe('CUSTOM');
      expect(m.Properties.AuthorizerId).toEqual({ Ref: authorizerId });
    }
  });

  test('the authorizer function gets the pool, the client ids and the route policy derived from the table', () => {
    const protectedRoutes = PAYMENTS_ROUTES.filter((r) => !isPublicRoute(r)).map((r) => {
      const auth = r.auth as { scopes: string[]; groups?: string[]; maxAuthAge?: Duration };
      const rule = { method: r.method, path: r.path, scopes: [...auth.scopes], groups: [...(auth.groups ?? [])] };
      return auth.maxAuthAge ? { ...rule, maxAuthAgeSeconds: auth.maxAuthAge.toSeconds() } : rule;
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Environment: { Variables: Match.objectLike({
        USER_POOL_ID: { Ref: stack.getLogicalId(stack.identity.userPool.node.defaultChild as never) },
        USER_CLIENT_IDS: { Ref: stack.getLogicalId(stack.identity.publicClient.node.defaultChild as never) },
        // No deprecated single machine client in the example: its partners are integrations.
        MACHINE_CLIENT_IDS: '',
        ROUTE_POLICY: encodeRoutePolicy(protectedRoutes),
        AUTHORIZER_CACHE_TTL_SECONDS: '300',
        POWERTOOLS_SERVICE_NAME: 'api-authorizer',
        POWERTOOLS_LOGGER_LOG_EVENT: 'false',
      }) },
    });
  });

  test('only this API\'s authorizer may invoke the function', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
      SourceArn: { 'Fn::Join': ['', Match.arrayWith(['/authorizers/', { Ref: authorizerId }])] },
    });
  });
});

describe('ApiIdentity options', () => {
  test('threatProtection AUDIT_ONLY: PLUS, audit mode, and a warning', () => {
    const { stack } = identityStack({ threatProtection: ThreatProtection.AUDIT_ONLY });
    Template.fromStack(stack).hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'PLUS', UserPoolAddOns: { AdvancedSecurityMode: 'AUDIT', AdvancedSecurityAdditionalFlows: { CustomAuthMode: 'AUDIT' } },
    });
    Annotations.fromStack(stack).hasWarning('/TestStack/Identity', Match.stringLikeRegexp('threatProtection is AUDIT_ONLY'));
  });

  test('threatProtection OFF: ESSENTIALS plan, no add-ons, and a warning', () => {
    const { stack } = identityStack({ threatProtection: ThreatProtection.OFF });
    Template.fromStack(stack).hasResourceProperties('AWS::Cognito::UserPool', { UserPoolTier: 'ESSENTIALS', UserPoolAddOns: Match.absent() });
    Annotations.fromStack(stack).hasWarning('/TestStack/Identity', Match.stringLikeRegexp('threatProtection is OFF'));
  });

  test('the default (FULL_FUNCTION) raises no warning', () => {
    const { stack } = identityStack();
    Annotations.fromStack(stack).hasNoWarning('/TestStack/Identity', Match.anyValue());
  });

  test('selfSignUp is an explicit, warned opt-in', () => {
    const { stack } = identityStack({ selfSignUp: true });
    Template.fromStack(stack).hasResourceProperties('AWS::Cognito::UserPool', { AdminCreateUserConfig: { AllowAdminCreateUserOnly: false } });
    Annotations.fromStack(stack).hasWarning('/TestStack/Identity', Match.stringLikeRegexp('selfSignUp is on'));
  });

  test('http://localhost callback is accepted for development, with a warning', () => {
    const { stack } = identityStack({ publicClient: { callbackUrls: ['http://localhost:5173/callback'] } });
    Template.fromStack(stack).hasResourceProperties('AWS::Cognito::UserPoolClient', { CallbackURLs: ['http://localhost:5173/callback'] });
    Annotations.fromStack(stack).hasWarning('/TestStack/Identity', Match.stringLikeRegexp('local development only'));
  });

  test('no machine client unless asked for', () => {
    const { stack } = identityStack({ machineIntegrations: undefined });
    Template.fromStack(stack).resourceCountIs('AWS::Cognito::UserPoolClient', 1);
  });

  test('custom lifetimes and cache TTL within the bounds', () => {
    const { stack } = identityStack({
      publicClient: { ...BASE.publicClient, accessTokenValidity: Duration.minutes(10), refreshTokenValidity: Duration.days(7), refreshTokenRotationGracePeriod: Duration.seconds(0) },
      authorizerCacheTtl: Duration.minutes(2),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AccessTokenValidity: 10, RefreshTokenValidity: 7 * 24 * 60, RefreshTokenRotation: { Feature: 'ENABLED', RetryGracePeriodSeconds: 0 },
    });
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 120 });
  });
});

describe('ApiIdentity rejects insecure configuration at synth (the error names the prop)', () => {
  test.each([
    ['implicit grant', client({ oAuthFlows: { implicitCodeGrant: true, authorizationCodeGrant: true } }), /publicClient\.oAuthFlows\.implicitCodeGrant/],
    ['client credentials on the public client', client({ oAuthFlows: { authorizationCodeGrant: true, clientCredentials: true } }), /publicClient\.oAuthFlows\.clientCredentials/],
    ['no authorization code grant', client({ oAuthFlows: { authorizationCodeGrant: false } }), /publicClient\.oAuthFlows\.authorizationCodeGrant/],
    ['a PKCE client with a secret', client({ generateSecret: true }), /publicClient\.generateSecret/],
    ['http:// callback other than localhost', client({ callbackUrls: ['http://app.example.com/callback'] }), /publicClient\.callbackUrls\[0\].*https/],
    ['http:// logout URL other than localhost', client({ logoutUrls: ['http://app.example.com/'] }), /publicClient\.logoutUrls\[0\]/],
    ['wildcard callback', client({ callbackUrls: ['https://*.example.com/callback'] }), /publicClient\.callbackUrls\[0\].*wildcard/],
    ['callback with a fragment', client({ callbackUrls: ['https://app.example.com/#/callback'] }), /publicClient\.callbackUrls\[0\].*fragment/],
    ['javascript: callback', client({ callbackUrls: ['javascript:alert(1)'] }), /publicClient\.callbackUrls\[0\]/],
    ['no callback', client({ callbackUrls: [] }), /publicClient\.callbackUrls/],
    ['access token over 1 hour', client({ accessTokenValidity: Duration.hours(2) }), /publicClient\.accessTokenValidity/],
    ['ID token over 1 hour', client({ idTokenValidity: Duration.hours(24) }), /publicClient\.idTokenValidity/],
    ['refresh token over 30 days', client({ refreshTokenValidity: Duration.days(90) }), /publicClient\.refreshTokenValidity/],
    ['rotation grace over 60 s', client({ refreshTokenRotationGracePeriod: Duration.minutes(5) }), /publicClient\.refreshTokenRotationGracePeriod/],
    ['public scope no route needs', client({ scopes: ['accounts/everything'] }), /publicClient\.scopes\[0\]/],
    ['machine scope only on group-gated routes', build({ machineClient: { scopes: ['accounts/admin'] } }), /machineClient\.scopes\[0\].*groups/],
    ['machine scope no route needs', build({ machineClient: { scopes: ['accounts/none'] } }), /machineClient\.scopes\[0\]/],
    ['machine token over 1 hour', build({ machineClient: { scopes: ['accounts/read'], accessTokenValidity: Duration.hours(12) } }), /machineClient\.accessTokenValidity/],
    ['cache TTL longer than the token', build({ authorizerCacheTtl: Duration.minutes(30) }), /authorizerCacheTtl.*expired token/],
    ['cache TTL over API Gateway limit', build({ publicClient: { ...BASE.publicClient, accessTokenValidity: Duration.hours(1) }, machineIntegrations: undefined, authorizerCacheTtl: Duration.hours(2) }), /authorizerCacheTtl/],
    ['domain prefix with a reserved word', build({ domainPrefix: 'my-cognito-login' }), /domainPrefix.*cognito/],
    ['domain prefix with capitals', build({ domainPrefix: 'MyLogin' }), /domainPrefix/],
    ['invalid group name', build({ routes: [...ROUTES, { method: 'GET', path: '/x', handler: 'x', auth: { scopes: ['accounts/x'], groups: ['bad group'] } }] }), /routes\[4\]\.auth\.groups\[0\]/],
    ['invalid route table', build({ routes: [{ method: 'GET', path: 'no-slash', handler: 'x', auth: { scopes: ['a/b'] } }] }), /routes\[0\]\.path/],
  ])('%s', (_name, make, message) => {
    expect(make).toThrow(message);
  });

  test('a write route that every reader may call is rejected (scopes shared by accident)', () => {
    const routes: RouteTable = [
      { method: 'GET', path: '/accounts', handler: 'list', auth: { scopes: ['accounts/read'] } },
      { method: 'POST', path: '/accounts', handler: 'create', auth: { scopes: ['accounts/read'] } },
    ];
    expect(build({ routes, machineIntegrations: undefined })).toThrow(/routes\[1\]\.auth\.scopes.*POST \/accounts needs nothing beyond what GET \/accounts needs/);
    // Explicit opt-out, warned about.
    const { stack } = identityStack({ routes, machineIntegrations: undefined, allowSharedScopes: true });
    Annotations.fromStack(stack).hasWarning('/TestStack/Identity', Match.stringLikeRegexp('allowSharedScopes'));
  });

  test('a route table too large for the authorizer environment is rejected', () => {
    const routes: RouteTable = Array.from({ length: 80 }, (_, i) => ({
      method: 'GET' as const, path: `/resource-number-${i}/{itemId}`, handler: 'h', auth: { scopes: [`svc/read-resource-${i}`] },
    }));
    expect(build({ routes, machineIntegrations: undefined })).toThrow(/`routes`.*bytes/);
  });
});

describe('scopeEscalations (pure)', () => {
  test('the example route table has none', () => {
    expect(scopeEscalations(PAYMENTS_ROUTES)).toEqual([]);
  });

  test('a group sets a stronger route apart', () => {
    expect(scopeEscalations([
      { method: 'GET', path: '/a', handler: 'a', auth: { scopes: ['s/read'] } },
      { method: 'DELETE', path: '/a', handler: 'b', auth: { scopes: ['s/read'], groups: ['admins'] } },
    ])).toEqual([]);
  });

  test('a high-sensitivity read behind the same scope as a standard read is flagged', () => {
    expect(scopeEscalations([
      { method: 'GET', path: '/a', handler: 'a', auth: { scopes: ['s/read'] } },
      { method: 'GET', path: '/b', handler: 'b', auth: { scopes: ['s/read'] }, sensitivity: 'high' },
    ])).toEqual([expect.objectContaining({ prop: 'routes[1].auth.scopes' })]);
  });
});


/** ApiIdentity plus a SecureRestApi using its authorizer (keyed routes, optional custom domain with mTLS). */
function identityAndApi(overrides: Partial<ApiIdentityProps> = {}, options: { mtls?: boolean; domain?: boolean; attach?: boolean; app?: App } = {}): { stack: Stack; identity: ApiIdentity; api: SecureRestApi } {
  const stack = testStack(options.app ?? testApp());
  const routes: RouteTable = [
    ...ROUTES.filter((r) => r.path !== '/accounts' || r.method !== 'GET'),
    { method: 'GET' as const, path: '/accounts', handler: 'health', auth: { scopes: ['accounts/read'] }, apiKeyRequired: true },
  ].map((r) => ({ ...r, handler: 'health' }));
  const identity = new ApiIdentity(stack, 'Identity', { ...BASE, routes, ...overrides });
  const api = new SecureRestApi(stack, 'Api', {
    routes,
    allowedOrigins: ['https://app.example.com'],
    handlersDir: HANDLERS_DIR,
    authorizer: identity.authorizer,
    ...(options.domain || options.mtls ? {
      domain: {
        domainName: 'api.example.com',
        certificate: Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000'),
        ...(options.mtls ? { mtls: { bucket: Bucket.fromBucketName(stack, 'Truststore', 'example-truststore'), key: 'mtls/ca-bundle.pem' } } : {}),
      },
    } : {}),
  });
  if (options.attach ?? true) identity.attachUsagePlans(api.usagePlans);
  return { stack, identity, api };
}

const THUMBPRINT = 'AB:'.repeat(31) + 'AB';

describe('machine integrations in the example stack (issue 14.1, 14.3)', () => {
  const { stack, template } = exampleStack();
  const fn = (): { Properties: { Environment: { Variables: Record<string, unknown> } } } => {
    const fns = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { ROUTE_POLICY: Match.anyValue() } } } }));
    expect(fns).toHaveLength(1);
    return fns[0] as never;
  };

  test('two partner integrations, each its own client-credentials client; their principals differ', () => {
    expect([...stack.identity.integrations.keys()]).toEqual(['acme-payments', 'globex-treasury']);
    expect([...stack.identity.integrations.values()].map((i) => i.principalId)).toEqual(['integration:acme-payments', 'integration:globex-treasury']);
    const machine = Object.values(template.findResources('AWS::Cognito::UserPoolClient', { Properties: { AllowedOAuthFlows: ['client_credentials'] } }));
    expect(machine).toHaveLength(2);
  });

  test('the authorizer maps each client id to its integration and its usage key variable (MACHINE_INTEGRATIONS)', () => {
    const vars = fn().Properties.Environment.Variables;
    const resolved = stack.resolve(vars.MACHINE_INTEGRATIONS) as { 'Fn::Join': [string, unknown[]] };
    // Replace each client Ref by its logical id to read the JSON as the authorizer will.
    const text = resolved['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : (p as { Ref: string }).Ref)).join('');
    const rules = decodeIntegrations(text);
    const clientRef = (name: string): string => stack.getLogicalId(stack.identity.integrations.get(name)!.clients[0]!.node.defaultChild as never);
    expect(rules).toEqual([
      { id: 'acme-payments', clientIds: [clientRef('acme-payments')], principal: 'integration', usageKeyEnv: 'USAGE_KEY_0' },
      { id: 'globex-treasury', clientIds: [clientRef('globex-treasury')], principal: 'integration', usageKeyEnv: 'USAGE_KEY_1' },
    ]);
  });

  test('API keys come from the authorizer (key source AUTHORIZER): no key ships to a browser', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER' });
  });

  test('each usage key value is generated in a KMS-encrypted secret and reaches API key and authorizer only as a dynamic reference', () => {
    const secretRef = (name: string): string => stack.getLogicalId(stack.identity.usageKeySecrets.get(name)!.node.defaultChild as never);
    const dynref = (name: string): unknown => ({ 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretRef(name) }, ':SecretString:::}}']] });
    const vars = fn().Properties.Environment.Variables;
    expect(vars.USAGE_KEY_0).toEqual(dynref('acme-payments'));
    expect(vars.USAGE_KEY_1).toEqual(dynref('globex-treasury'));
    expect(vars.USER_USAGE_KEY).toEqual(dynref('people'));
    const keys = Object.values(template.findResources('AWS::ApiGateway::ApiKey'));
    expect(keys.map((k) => k.Properties.Value).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))))
      .toEqual([dynref('acme-payments'), dynref('globex-treasury'), dynref('people')].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))));
    for (const name of ['acme-payments', 'globex-treasury', 'people']) {
      template.hasResourceProperties('AWS::SecretsManager::Secret', Match.objectLike({
        GenerateSecretString: Match.objectLike({ PasswordLength: 40, ExcludePunctuation: true }),
        KmsKeyId: Match.anyValue(),
        Description: Match.stringLikeRegexp(name === 'people' ? 'people usage plan' : name),
      }));
    }
  });

  test('each key sits in its tier\'s plan; the people plan has neither quota nor throttle (no shared bucket)', () => {
    const plans = template.findResources('AWS::ApiGateway::UsagePlan');
    const planOf = (keyName: string): Record<string, unknown> => {
      const keyId = Object.entries(template.findResources('AWS::ApiGateway::ApiKey')).find(([id]) => id.includes(keyName))![0];
      const link = Object.values(template.findResources('AWS::ApiGateway::UsagePlanKey')).find((l) => (l.Properties.KeyId as { Ref: string }).Ref === keyId)!;
      return plans[(link.Properties.UsagePlanId as { Ref: string }).Ref]!.Properties as Record<string, unknown>;
    };
    expect(planOf('AcmePayments')).toMatchObject({ Throttle: { RateLimit: 50 }, Quota: { Limit: 500000 } });
    expect(planOf('GlobexTreasury')).toMatchObject({ Throttle: { RateLimit: 25 }, Quota: { Limit: 50000 } });
    const people = planOf('People');
    expect(people.Quota).toBeUndefined();
    expect(people.Throttle).toBeUndefined();
    expect(JSON.stringify(people.ApiStages)).not.toMatch(/RateLimit|BurstLimit/);
  });

  test('the admin route requires a sign-in within 15 minutes (step-up, route policy)', () => {
    const policy = JSON.parse(fn().Properties.Environment.Variables.ROUTE_POLICY as string) as unknown[][];
    expect(policy.find((r) => r[1] === '/admin/payments')).toEqual(['GET', '/admin/payments', ['payments/admin'], ['admins'], 900]);
  });
});

describe('machine integrations: options and synth checks', () => {
  test('client rotation: a second client of the integration, both mapped to the same integration', () => {
    const { stack, identity } = identityAndApi({ machineIntegrations: { 'acme-accounts': { scopes: ['accounts/read'], clients: ['primary', 'next'] } } });
    expect(identity.integrations.get('acme-accounts')!.clients).toHaveLength(2);
    Template.fromStack(stack).resourceCountIs('AWS::Cognito::UserPoolClient', 3);
  });

  test('forgetting attachUsagePlans on an API with keyed routes fails synth (every keyed route would answer 403)', () => {
    const { stack } = identityAndApi({}, { attach: false });
    expect(() => Template.fromStack(stack)).toThrow(/attachUsagePlans/);
  });

  test('an unknown usage tier is rejected, naming the prop', () => {
    expect(() => identityAndApi({ machineIntegrations: { 'acme-accounts': { scopes: ['accounts/read'], usageTier: 'gold' } } }))
      .toThrow(/machineIntegrations\.acme-accounts\.usageTier.*gold/);
  });

  test.each([
    ['an id outside the alphabet', { 'Acme Accounts': { scopes: ['accounts/read'] } }, /machineIntegrations\.Acme Accounts/],
    ['a scope only on group routes', { acme: { scopes: ['accounts/admin'] } }, /machineIntegrations\.acme\.scopes\[0\]/],
    ['three clients at once', { acme: { scopes: ['accounts/read'], clients: ['a', 'b', 'c'] } }, /machineIntegrations\.acme\.clients/],
    ['the people tier', { acme: { scopes: ['accounts/read'], usageTier: 'people' } }, /machineIntegrations\.acme\.usageTier/],
    ['a malformed thumbprint', { acme: { scopes: ['accounts/read'], clientCertificate: { sha256Thumbprints: ['abc'] } } }, /clientCertificate\.sha256Thumbprints\[0\]/],
    ['an empty binding', { acme: { scopes: ['accounts/read'], clientCertificate: {} } }, /machineIntegrations\.acme\.clientCertificate/],
    ['a subject with escapes', { acme: { scopes: ['accounts/read'], clientCertificate: { subject: 'CN=a\\,b' } } }, /clientCertificate\.subject/],
  ])('rejected: %s', (_name, machineIntegrations, message) => {
    expect(build({ machineIntegrations: machineIntegrations as ApiIdentityProps['machineIntegrations'] })).toThrow(message);
  });

  test('more integrations than the authorizer\'s 4 KB environment holds are rejected at synth, naming the prop', () => {
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`partner-number-${i}`, { scopes: ['accounts/read'], clients: ['primary', 'next'] }]));
    expect(() => identityAndApi({ machineIntegrations: many })).toThrow(/`machineIntegrations`.*4096/);
    expect(() => identityAndApi({ machineIntegrations: Object.fromEntries(Object.entries(many).slice(0, 5)) })).not.toThrow();
  });

  test('the deprecated machineClient still works (principal = client id) with a deprecation warning', () => {
    const { stack, identity } = identityStack({ machineIntegrations: undefined, machineClient: { scopes: ['accounts/read'] } });
    expect(identity.machineClient).toBeDefined();
    Annotations.fromStack(stack).hasWarning('/TestStack/Identity', Match.stringLikeRegexp('machineClient is deprecated'));
    const vars = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0]!.Properties.Environment.Variables;
    expect(vars.MACHINE_CLIENT_IDS).toEqual({ Ref: stack.getLogicalId(identity.machineClient!.node.defaultChild as never) });
    expect(JSON.stringify(stack.resolve(vars.MACHINE_INTEGRATIONS))).toContain('\\"principal\\":\\"client\\"');
  });
});

describe('certificate-bound integrations (issue 14.2)', () => {
  const bound = { 'acme-accounts': { scopes: ['accounts/read'], clientCertificate: { sha256Thumbprints: [THUMBPRINT], subject: 'CN=acme-accounts,O=Acme GmbH' } } };

  test('with mTLS: the binding reaches the authorizer and the client certificate is part of the cache key', () => {
    const { stack } = identityAndApi({ machineIntegrations: bound }, { mtls: true });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      IdentitySource: 'method.request.header.Authorization,context.identity.clientCert.clientCertPem',
    });
    const vars = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { ROUTE_POLICY: Match.anyValue() } } } }))[0]!.Properties.Environment.Variables;
    const text = JSON.stringify(stack.resolve(vars.MACHINE_INTEGRATIONS));
    expect(text).toContain('ab'.repeat(32));
    expect(text).toContain('CN=acme-accounts\\\\nO=Acme GmbH');
  });

  test('without bindings the token alone is the cache key', () => {
    const { stack } = identityAndApi({}, { mtls: true });
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::Authorizer', { IdentitySource: 'method.request.header.Authorization' });
  });

  test.each([
    ['no custom domain', {}],
    ['a custom domain without mTLS', { domain: true }],
  ])('a binding without mutual TLS fails synth, naming the prop (%s)', (_name, options) => {
    const { stack } = identityAndApi({ machineIntegrations: bound }, options);
    expect(() => Template.fromStack(stack)).toThrow(/machineIntegrations\.acme-accounts\.clientCertificate.*mutual TLS/);
  });

  test('an RFC 8705 x5t#S256 (base64url) thumbprint is accepted and stored as hex', () => {
    const x5t = Buffer.from('ab'.repeat(32), 'hex').toString('base64url');
    const { stack } = identityAndApi({ machineIntegrations: { 'acme-accounts': { scopes: ['accounts/read'], clientCertificate: { sha256Thumbprints: [x5t] } } } }, { mtls: true });
    const vars = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { ROUTE_POLICY: Match.anyValue() } } } }))[0]!.Properties.Environment.Variables;
    expect(JSON.stringify(stack.resolve(vars.MACHINE_INTEGRATIONS))).toContain('ab'.repeat(32));
  });
});

describe('step-up routes (issue 14.9)', () => {
  const admin = (maxAuthAge: Duration, groups?: string[]): RouteTable => ROUTES.map((r) => (r.method === 'DELETE'
    ? { ...r, auth: { scopes: ['accounts/admin'], ...(groups ? { groups } : {}), maxAuthAge } } : r));

  test('maxAuthAge becomes maxAuthAgeSeconds in the route policy, with the cache TTL next to it', () => {
    const { stack } = identityStack({ routes: admin(Duration.minutes(20), ['admins']) });
    const vars = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0]!.Properties.Environment.Variables;
    expect(JSON.parse(vars.ROUTE_POLICY as string)).toContainEqual(['DELETE', '/accounts/{accountId}', ['accounts/admin'], ['admins'], 1200]);
    expect(vars.AUTHORIZER_CACHE_TTL_SECONDS).toBe('300');
  });

  test('only on group-gated routes, and longer than the cache TTL (+1 min), naming the prop', () => {
    expect(build({ routes: admin(Duration.minutes(20)), allowSharedScopes: true })).toThrow(/routes\[3\]\.auth\.maxAuthAge.*group-gated/);
    expect(build({ routes: admin(Duration.minutes(5), ['admins']) })).toThrow(/routes\[3\]\.auth\.maxAuthAge.*cache TTL/);
  });
});

describe('ApiIdentity with an existing user pool (issue 11.5)', () => {
  function existing(overrides: Partial<ApiIdentityProps> = {}): { stack: Stack; identity: ApiIdentity } {
    const stack = testStack();
    const userPool = UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-1_Existing1');
    const { domainPrefix: _drop, ...rest } = BASE;
    const identity = new ApiIdentity(stack, 'Identity', { ...rest, userPool, ...overrides });
    new RestApi(stack, 'Api').root.addMethod('GET', new MockIntegration(), { authorizer: identity.authorizer });
    return { stack, identity };
  }

  test('no pool is created; resource servers, scopes, groups, clients and the authorizer are derived from the routes in that pool', () => {
    const { stack } = existing();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    template.resourceCountIs('AWS::Cognito::UserPoolDomain', 0);
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      UserPoolId: 'eu-west-1_Existing1', Identifier: 'accounts',
      Scopes: Match.arrayWith([Match.objectLike({ ScopeName: 'admin' }), Match.objectLike({ ScopeName: 'read' }), Match.objectLike({ ScopeName: 'write' })]),
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { UserPoolId: 'eu-west-1_Existing1', GroupName: 'admins' });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', { UserPoolId: 'eu-west-1_Existing1', AllowedOAuthFlows: ['code'], GenerateSecret: false });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', { UserPoolId: 'eu-west-1_Existing1', AllowedOAuthFlows: ['client_credentials'] });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ USER_POOL_ID: 'eu-west-1_Existing1', ROUTE_POLICY: Match.stringLikeRegexp('accounts/admin') }) } });
    Annotations.fromStack(stack).hasWarning('/TestStack/Identity', Match.stringLikeRegexp('existing user pool'));
  });

  test('a domain is added only when domainPrefix is given', () => {
    const { stack, identity } = existing({ domainPrefix: 'accounts-existing-auth' });
    Template.fromStack(stack).hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'accounts-existing-auth', UserPoolId: 'eu-west-1_Existing1' });
    expect(identity.tokenEndpoint).toBeDefined();
  });

  test.each([
    ['threatProtection', { threatProtection: ThreatProtection.OFF }, /`threatProtection`/],
    ['selfSignUp', { selfSignUp: false }, /`selfSignUp`/],
  ])('pool settings cannot be set on an existing pool (they would be ignored silently): %s', (_name, overrides, message) => {
    expect(() => existing(overrides)).toThrow(message);
  });

  test('a new pool without domainPrefix still gets a domain (the derived prefix); an existing pool without it gets none', () => {
    const { domainPrefix: _drop, ...rest } = BASE;
    const stack = testStack();
    const fresh = new ApiIdentity(stack, 'Identity', rest);
    expect(fresh.domain).toBeDefined();
    expect(existing().identity.domain).toBeUndefined();
  });
  test('a new pool without domainPrefix gets one derived from the stack and account (never a constant)', () => {
    const { stack } = identityStack({ domainPrefix: undefined });
    const domain = Object.values(Template.fromStack(stack).findResources('AWS::Cognito::UserPoolDomain'))[0] as { Properties: { Domain: unknown } };
    expect(JSON.stringify(domain.Properties.Domain)).toMatch(/AWS::AccountId|-\d{12}/);
  });
});

describe('step-up is never lost between the identity and the API', () => {
  test('an API whose table requires a recent sign-in refuses an authorizer built without it (and the reverse), naming the prop', () => {
    const stepUp: RouteTable = ROUTES.map((r) => (r.method === 'DELETE' ? { ...r, auth: { scopes: ['accounts/admin'], groups: ['admins'], maxAuthAge: Duration.minutes(15) } } : r))
      .map((r) => ({ ...r, handler: 'health' }));
    const plain: RouteTable = ROUTES.map((r) => ({ ...r, handler: 'health' }));
    const apiWith = (apiRoutes: RouteTable, identityRoutes: RouteTable) => (): void => {
      const stack = testStack();
      const identity = new ApiIdentity(stack, 'Identity', { ...BASE, routes: identityRoutes, machineIntegrations: undefined });
      new SecureRestApi(stack, 'Api', { routes: apiRoutes, allowedOrigins: ['https://app.example.com'], handlersDir: HANDLERS_DIR, authorizer: identity.authorizer });
    };
    expect(apiWith(stepUp, plain)).toThrow(/`authorizer`.*a sign-in at most 900 s old but the authorizer enforces scopes \[accounts\/admin\] and groups \[admins\] \(routes\[3\]\)/);
    expect(apiWith(plain, stepUp)).toThrow(/`authorizer`.*enforces .*a sign-in at most 900 s old \(routes\[3\]\)/);
    expect(apiWith(stepUp, stepUp)).not.toThrow();
  });
});
