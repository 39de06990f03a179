import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { ApiIdentity, ApiIdentityProps, scopeEscalations, ThreatProtection } from '../../lib/constructs/api-identity';
import { isPublicRoute, RouteTable } from '../../lib/routes';
import { PAYMENTS_ROUTES } from '../../lib/stacks/payments-routes';
import { encodeRoutePolicy } from '../../lambda/functions/authorizer/route-policy';
import { exampleStack, testStack } from '../helpers/app';

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
  machineClient: { scopes: ['accounts/read'] },
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

  test('the authorizer function gets the pool, both client ids and the route policy derived from the table', () => {
    const protectedRoutes = PAYMENTS_ROUTES.filter((r) => !isPublicRoute(r)).map((r) => {
      const auth = r.auth as { scopes: string[]; groups?: string[] };
      return { method: r.method, path: r.path, scopes: [...auth.scopes], groups: [...(auth.groups ?? [])] };
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Environment: { Variables: Match.objectLike({
        USER_POOL_ID: { Ref: stack.getLogicalId(stack.identity.userPool.node.defaultChild as never) },
        USER_CLIENT_IDS: { Ref: stack.getLogicalId(stack.identity.publicClient.node.defaultChild as never) },
        MACHINE_CLIENT_IDS: { Ref: stack.getLogicalId(stack.identity.machineClient!.node.defaultChild as never) },
        ROUTE_POLICY: encodeRoutePolicy(protectedRoutes),
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
    const { stack } = identityStack({ machineClient: undefined });
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
    ['cache TTL over API Gateway limit', build({ publicClient: { ...BASE.publicClient, accessTokenValidity: Duration.hours(1) }, machineClient: undefined, authorizerCacheTtl: Duration.hours(2) }), /authorizerCacheTtl/],
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
    expect(build({ routes, machineClient: undefined })).toThrow(/routes\[1\]\.auth\.scopes.*POST \/accounts needs nothing beyond what GET \/accounts needs/);
    // Explicit opt-out, warned about.
    const { stack } = identityStack({ routes, machineClient: undefined, allowSharedScopes: true });
    Annotations.fromStack(stack).hasWarning('/TestStack/Identity', Match.stringLikeRegexp('allowSharedScopes'));
  });

  test('a route table too large for the authorizer environment is rejected', () => {
    const routes: RouteTable = Array.from({ length: 80 }, (_, i) => ({
      method: 'GET' as const, path: `/resource-number-${i}/{itemId}`, handler: 'h', auth: { scopes: [`svc/read-resource-${i}`] },
    }));
    expect(build({ routes, machineClient: undefined })).toThrow(/`routes`.*bytes/);
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
