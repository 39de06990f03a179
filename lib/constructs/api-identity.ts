import { Annotations, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { IdentitySource, RequestAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import {
  AccountRecovery, CfnUserPoolClient, ClientAttributes, CustomThreatProtectionMode, FeaturePlan, Mfa, OAuthFlows,
  OAuthScope, ResourceServerScope, StandardThreatProtectionMode, UserPool, UserPoolClient, UserPoolClientIdentityProvider, UserPoolDomain,
  UserPoolGroup, UserPoolResourceServer,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { libraryFunctionCode } from '../common/library-functions';
import { AUTHORIZER_ENV, encodeRoutePolicy, RouteRule } from '../../lambda/functions/authorizer/route-policy';
import {
  DEFAULT_ACCESS_TOKEN_VALIDITY, DEFAULT_AUTHORIZER_CACHE_TTL, DEFAULT_MACHINE_TOKEN_VALIDITY,
  DEFAULT_PASSWORD_HISTORY_SIZE, DEFAULT_PASSWORD_MIN_LENGTH, DEFAULT_REFRESH_TOKEN_ROTATION_GRACE,
  DEFAULT_REFRESH_TOKEN_VALIDITY, DEFAULT_TEMP_PASSWORD_VALIDITY, MAX_ACCESS_TOKEN_VALIDITY, MAX_AUTHORIZER_CACHE_TTL,
  MAX_REFRESH_TOKEN_ROTATION_GRACE, MAX_REFRESH_TOKEN_VALIDITY, MAX_ROUTE_POLICY_BYTES, MIN_ACCESS_TOKEN_VALIDITY,
  MIN_REFRESH_TOKEN_VALIDITY, PUBLIC_CLIENT_OIDC_SCOPES, RESERVED_DOMAIN_WORDS,
} from '../defaults/identity';
import { requireProp, SecureApiConfigError } from '../errors';
import { protectionOf, routeKey, RouteDefinition, RouteTable, routeTableProblems } from '../routes';
import { SecureFunction, SecureFunctionOptions } from './secure-function';
import { pascal } from '../common/naming';

/** How much of Cognito's threat protection (PLUS feature plan) is on. */
export enum ThreatProtection {
  /**
   * PLUS plan; compromised-credential detection and adaptive authentication block risky sign-ins
   * (standard and custom auth). cdk-nag AwsSolutions-COG8 asks for it.
   */
  FULL_FUNCTION = 'FULL_FUNCTION',
  /** PLUS plan; risks are detected and published as metrics but nothing is blocked. */
  AUDIT_ONLY = 'AUDIT_ONLY',
  /** ESSENTIALS plan: no threat protection at all (cheaper; cdk-nag COG8 then reports the pool). */
  OFF = 'OFF',
}

/** The browser/mobile app client: OAuth 2.0 authorization code grant with PKCE, no secret. */
export interface PublicClientOptions {
  /**
   * Redirect URIs the authorization server may send a code to (exact match). `https://` only;
   * `http://localhost` / `http://127.0.0.1` are accepted for local development (with a warning).
   * Custom schemes (`myapp://callback`) are accepted for native apps.
   */
  readonly callbackUrls: readonly string[];
  /** Where sign-out may redirect to; same rules as `callbackUrls`. @default - none */
  readonly logoutUrls?: readonly string[];
  /**
   * API scopes the app may request. Each must be a scope of the route table.
   * @default - every scope of every protected route
   */
  readonly scopes?: readonly string[];
  /** @default Duration.minutes(15) (at most 1 hour) */
  readonly accessTokenValidity?: Duration;
  /** @default Duration.minutes(15) (at most 1 hour) */
  readonly idTokenValidity?: Duration;
  /** @default Duration.days(30) (at most 30 days) */
  readonly refreshTokenValidity?: Duration;
  /**
   * Refresh-token rotation grace period (0..60 s): rotation is always on; this is how long the
   * previous refresh token keeps working so a lost refresh response can be retried.
   * @default Duration.seconds(10)
   */
  readonly refreshTokenRotationGracePeriod?: Duration;
  /**
   * OAuth flows. Only `{ authorizationCodeGrant: true }` is accepted: the implicit grant leaks
   * tokens in URLs and client credentials belong to the machine client. Present so that a
   * configuration asking for more fails loudly instead of being silently narrowed.
   * @default { authorizationCodeGrant: true }
   */
  readonly oAuthFlows?: OAuthFlows;
  /**
   * Must stay `false`: a browser or mobile app cannot keep a secret, PKCE protects the code instead.
   * @default false
   */
  readonly generateSecret?: boolean;
}

/** The machine-to-machine client: OAuth 2.0 client credentials grant with a generated secret. */
export interface MachineClientOptions {
  /**
   * Service scopes the client may request. Each must unlock at least one route without a group
   * requirement (client-credentials tokens carry no groups).
   */
  readonly scopes: readonly string[];
  /** @default Duration.minutes(15) (at most 1 hour) */
  readonly accessTokenValidity?: Duration;
}

/** Props of {@link ApiIdentity}. */
export interface ApiIdentityProps {
  /** The API's route table: scopes, resource servers, groups and the authorizer's policy derive from it. */
  readonly routes: RouteTable;
  /**
   * Prefix of the Cognito domain `https://<prefix>.auth.<region>.amazoncognito.com` that serves the
   * OAuth endpoints (`/oauth2/authorize`, `/oauth2/token`, `/oauth2/revoke`). Globally unique per region;
   * lowercase letters, digits and hyphens; must not contain `aws`, `amazon` or `cognito`.
   */
  readonly domainPrefix: string;
  /** The browser/mobile app client (authorization code + PKCE). */
  readonly publicClient: PublicClientOptions;
  /** The machine-to-machine client (client credentials). @default - no machine client */
  readonly machineClient?: MachineClientOptions;
  /**
   * Threat protection level. Opting down from `FULL_FUNCTION` is explicit and warned about:
   * `AUDIT_ONLY` keeps detection (metrics) without blocking, `OFF` also drops the PLUS plan.
   * @default ThreatProtection.FULL_FUNCTION
   */
  readonly threatProtection?: ThreatProtection;
  /**
   * Let anyone create an account. Off: a financial API onboards users deliberately (admin invite or
   * a verified onboarding flow).
   * @default false
   */
  readonly selfSignUp?: boolean;
  /**
   * Accept route tables where a write or high-sensitivity route needs no scope beyond those of a
   * read or lower-sensitivity route (so every reader can write). Only for APIs designed that way.
   * @default false
   */
  readonly allowSharedScopes?: boolean;
  /**
   * How long API Gateway caches the authorizer's policy per `Authorization` header. At most the
   * shortest access-token lifetime (an expired token must not live on in the cache); 0 disables caching.
   * @default Duration.minutes(5)
   */
  readonly authorizerCacheTtl?: Duration;
  /** Options of the authorizer function (memory, log key, ...). @default - SecureFunction defaults */
  readonly authorizerFunction?: SecureFunctionOptions;
  /** Powertools service name of the authorizer. @default 'api-authorizer' */
  readonly serviceName?: string;
}

/**
 * Identity and authorization for a {@link SecureRestApi}, derived from its route table:
 *
 * - a Cognito user pool, secure by default: admin-created users, password >= 12 with every character
 *   class and history, MFA required with TOTP (no SMS), email sign-in (case-insensitive), recovery by
 *   verified email only, PLUS plan with threat protection enforced, deletion protection + RETAIN;
 * - one resource server per scope prefix with exactly the scopes routes require, and one group per
 *   role routes require;
 * - a public client (authorization code + PKCE, no secret, 15-minute tokens, 30-day refresh with
 *   rotation, revocation on, no user-existence errors) and an optional machine client (client
 *   credentials, generated secret, service scopes only);
 * - a Cognito domain for the OAuth endpoints;
 * - a Lambda REQUEST authorizer (aws-jwt-verify) that enforces every route's scopes (all) and groups
 *   (any) and returns a policy that stays correct while API Gateway caches it.
 *
 * @example
 * const identity = new ApiIdentity(this, 'Identity', {
 *   routes: PAYMENTS_ROUTES,
 *   domainPrefix: 'payments-example-auth',
 *   publicClient: { callbackUrls: ['https://app.example.com/callback'] },
 *   machineClient: { scopes: ['payments/read'] },
 * });
 * new SecureRestApi(this, 'Api', { routes: PAYMENTS_ROUTES, authorizer: identity.authorizer, ... });
 */
export class ApiIdentity extends Construct {
  /** The user pool. */
  public readonly userPool: UserPool;
  /** The Cognito domain serving the OAuth endpoints. */
  public readonly domain: UserPoolDomain;
  /** The browser/mobile client (authorization code + PKCE). */
  public readonly publicClient: UserPoolClient;
  /** The machine client (client credentials), if configured. */
  public readonly machineClient?: UserPoolClient;
  /** Resource servers by identifier (`payments` for `payments/read`). */
  public readonly resourceServers: ReadonlyMap<string, UserPoolResourceServer>;
  /** Groups (roles) by name, one per group a route requires. */
  public readonly groups: ReadonlyMap<string, UserPoolGroup>;
  /** The authorizer function. */
  public readonly authorizerFunction: SecureFunction;
  /** The REQUEST authorizer to pass to `SecureRestApi`. */
  public readonly authorizer: RequestAuthorizer;
  /** The route policy the authorizer enforces (protected routes only). */
  public readonly routePolicy: readonly RouteRule[];
  /** `https://<prefix>.auth.<region>.amazoncognito.com/oauth2/token`. */
  public readonly tokenEndpoint: string;

  constructor(scope: Construct, id: string, props: ApiIdentityProps) {
    super(scope, id);
    this.validateRoutes(props);
    this.validateDomainPrefix(props.domainPrefix);
    const routeScopes = new Set(props.routes.flatMap((r) => protectionOf(r)?.scopes ?? []));

    const client = props.publicClient;
    const accessTokenValidity = client.accessTokenValidity ?? DEFAULT_ACCESS_TOKEN_VALIDITY;
    const idTokenValidity = client.idTokenValidity ?? DEFAULT_ACCESS_TOKEN_VALIDITY;
    const refreshTokenValidity = client.refreshTokenValidity ?? DEFAULT_REFRESH_TOKEN_VALIDITY;
    const rotationGrace = client.refreshTokenRotationGracePeriod ?? DEFAULT_REFRESH_TOKEN_ROTATION_GRACE;
    this.validatePublicClient(client, routeScopes, { accessTokenValidity, idTokenValidity, refreshTokenValidity, rotationGrace });
    const machineTokenValidity = props.machineClient?.accessTokenValidity ?? DEFAULT_MACHINE_TOKEN_VALIDITY;
    if (props.machineClient) this.validateMachineClient(props.machineClient, props.routes, machineTokenValidity);

    const cacheTtl = props.authorizerCacheTtl ?? DEFAULT_AUTHORIZER_CACHE_TTL;
    const shortestToken = Math.min(accessTokenValidity.toSeconds(), props.machineClient ? machineTokenValidity.toSeconds() : Infinity);
    requireProp(cacheTtl.toSeconds() >= 0 && cacheTtl.toSeconds() <= MAX_AUTHORIZER_CACHE_TTL.toSeconds(), this, 'authorizerCacheTtl',
      `${cacheTtl.toSeconds()} s is outside 0..${MAX_AUTHORIZER_CACHE_TTL.toSeconds()} s (API Gateway's limit)`);
    requireProp(cacheTtl.toSeconds() <= shortestToken, this, 'authorizerCacheTtl',
      `${cacheTtl.toSeconds()} s exceeds the shortest access-token lifetime (${shortestToken} s): an expired token would keep working from the cache`);

    const threatProtection = props.threatProtection ?? ThreatProtection.FULL_FUNCTION;
    if (threatProtection !== ThreatProtection.FULL_FUNCTION) {
      Annotations.of(this).addWarningV2('secure-rest-api:threat-protection',
        `threatProtection is ${threatProtection}: compromised credentials and risky sign-ins are ${threatProtection === ThreatProtection.OFF ? 'not detected' : 'detected but not blocked'}.`);
    }
    if (props.selfSignUp) {
      Annotations.of(this).addWarningV2('secure-rest-api:self-sign-up',
        'selfSignUp is on: anyone can create an account; make sure every route checks object-level ownership.');
    }

    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: props.selfSignUp ?? false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      // An email change only takes effect once the new address is verified: an attacker with a
      // session cannot redirect recovery mail to an unverified address.
      keepOriginal: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      mfa: Mfa.REQUIRED,
      // TOTP only: SMS is open to SIM swap; email OTP needs an SES sending configuration the
      // library cannot assume (Cognito's default email sender cannot deliver MFA codes).
      mfaSecondFactor: { sms: false, otp: true, email: false },
      passwordPolicy: {
        minLength: DEFAULT_PASSWORD_MIN_LENGTH,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: DEFAULT_TEMP_PASSWORD_VALIDITY,
        passwordHistorySize: DEFAULT_PASSWORD_HISTORY_SIZE,
      },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: threatProtection === ThreatProtection.OFF ? FeaturePlan.ESSENTIALS : FeaturePlan.PLUS,
      ...(threatProtection === ThreatProtection.OFF ? {} : {
        standardThreatProtectionMode: threatProtection === ThreatProtection.FULL_FUNCTION
          ? StandardThreatProtectionMode.FULL_FUNCTION : StandardThreatProtectionMode.AUDIT_ONLY,
        customThreatProtectionMode: threatProtection === ThreatProtection.FULL_FUNCTION
          ? CustomThreatProtectionMode.FULL_FUNCTION : CustomThreatProtectionMode.AUDIT_ONLY,
      }),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.domain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: props.domainPrefix } });
    this.tokenEndpoint = `${this.domain.baseUrl()}/oauth2/token`;

    this.resourceServers = this.addResourceServers(props.routes);
    this.groups = this.addGroups(props.routes);

    const apiScopes = client.scopes ?? [...routeScopes].sort();
    this.publicClient = this.userPool.addClient('PublicClient', {
      generateSecret: false,
      // SRP lets a native app sign in through the SDK without sending the password (MFA still
      // required). An explicit list also keeps Cognito's defaults (CUSTOM_AUTH, REFRESH_TOKEN_AUTH,
      // the latter incompatible with rotation) off; managed login does not depend on it.
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        callbackUrls: [...client.callbackUrls],
        logoutUrls: [...(client.logoutUrls ?? [])],
        scopes: [...PUBLIC_CLIENT_OIDC_SCOPES.map((s) => OAuthScope.custom(s)), ...apiScopes.map((s) => this.oauthScope(s))],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      accessTokenValidity,
      idTokenValidity,
      refreshTokenValidity,
      refreshTokenRotationGracePeriod: rotationGrace,
      enableTokenRevocation: true,
      preventUserExistenceErrors: true,
      authSessionValidity: Duration.minutes(3),
      readAttributes: new ClientAttributes().withStandardAttributes({ email: true, emailVerified: true }),
      writeAttributes: new ClientAttributes().withStandardAttributes({ email: true }),
    });

    if (props.machineClient) {
      this.machineClient = this.userPool.addClient('MachineClient', {
        generateSecret: true,
        oAuth: {
          flows: { clientCredentials: true },
          scopes: props.machineClient.scopes.map((s) => this.oauthScope(s)),
        },
        accessTokenValidity: machineTokenValidity,
        enableTokenRevocation: true,
        preventUserExistenceErrors: true,
        supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      });
      // No user sign-in through the machine client: without an explicit list Cognito would allow SRP
      // and custom auth. Client credentials issue no refresh token, so this list enables nothing.
      (this.machineClient.node.defaultChild as CfnUserPoolClient).explicitAuthFlows = ['ALLOW_REFRESH_TOKEN_AUTH'];
    }

    this.routePolicy = props.routes.flatMap((r): RouteRule[] => {
      const auth = protectionOf(r);
      return auth ? [{ method: r.method, path: r.path, scopes: [...auth.scopes], groups: [...(auth.groups ?? [])] }] : [];
    });
    const routePolicy = encodeRoutePolicy(this.routePolicy);
    requireProp(Buffer.byteLength(routePolicy) <= MAX_ROUTE_POLICY_BYTES, this, 'routes',
      `the route policy is ${Buffer.byteLength(routePolicy)} bytes; the authorizer's environment allows ${MAX_ROUTE_POLICY_BYTES} (split the API)`);

    this.authorizerFunction = new SecureFunction(this, 'AuthorizerFunction', {
      ...props.authorizerFunction,
      code: libraryFunctionCode('authorizer'),
      serviceName: props.serviceName ?? 'api-authorizer',
      description: `Cognito access-token REQUEST authorizer of ${this.node.path}`,
      environment: {
        ...props.authorizerFunction?.environment,
        [AUTHORIZER_ENV.userPoolId]: this.userPool.userPoolId,
        [AUTHORIZER_ENV.userClientIds]: this.publicClient.userPoolClientId,
        [AUTHORIZER_ENV.machineClientIds]: this.machineClient?.userPoolClientId ?? '',
        [AUTHORIZER_ENV.routePolicy]: routePolicy,
      },
    });

    this.authorizer = new RequestAuthorizer(this, 'Authorizer', {
      handler: this.authorizerFunction,
      // The token alone is the cache key: the policy therefore covers every route (see lambda/functions/authorizer).
      identitySources: [IdentitySource.header('Authorization')],
      resultsCacheTtl: cacheTtl,
      authorizerName: `${Stack.of(this).stackName}-${this.node.id}`.slice(0, 128),
    });
  }

  private oauthScope(scope: string): OAuthScope {
    const [server, name] = scope.split('/') as [string, string];
    const resourceServer = this.resourceServers.get(server);
    if (!resourceServer) throw new SecureApiConfigError(this, 'routes', `no resource server for scope ${scope}`);
    // Referencing the resource server orders its creation before the client's.
    return OAuthScope.resourceServer(resourceServer, new ResourceServerScope({ scopeName: name, scopeDescription: name }));
  }

  private addResourceServers(routes: RouteTable): Map<string, UserPoolResourceServer> {
    const byServer = new Map<string, Map<string, string[]>>();
    for (const route of routes) {
      for (const scope of protectionOf(route)?.scopes ?? []) {
        const [server, name] = scope.split('/') as [string, string];
        const scopes = byServer.get(server) ?? new Map<string, string[]>();
        scopes.set(name, [...(scopes.get(name) ?? []), routeKey(route)]);
        byServer.set(server, scopes);
      }
    }
    const servers = new Map<string, UserPoolResourceServer>();
    for (const [identifier, scopes] of [...byServer].sort(([a], [b]) => a.localeCompare(b))) {
      servers.set(identifier, this.userPool.addResourceServer(`ResourceServer${pascal(identifier)}`, {
        identifier,
        userPoolResourceServerName: identifier,
        scopes: [...scopes].sort(([a], [b]) => a.localeCompare(b)).map(([scopeName, usedBy]) => new ResourceServerScope({
          scopeName,
          // Shown on consent/admin screens: which routes the scope opens.
          scopeDescription: truncate(`Grants ${usedBy.join(', ')}`, 256),
        })),
      }));
    }
    return servers;
  }

  private addGroups(routes: RouteTable): Map<string, UserPoolGroup> {
    const usage = new Map<string, string[]>();
    for (const route of routes) {
      for (const group of protectionOf(route)?.groups ?? []) usage.set(group, [...(usage.get(group) ?? []), routeKey(route)]);
    }
    const groups = new Map<string, UserPoolGroup>();
    for (const [name, usedBy] of [...usage].sort(([a], [b]) => a.localeCompare(b))) {
      groups.set(name, this.userPool.addGroup(`Group${pascal(name)}`, {
        groupName: name,
        description: truncate(`Role required by ${usedBy.join(', ')}`, 2048),
      }));
    }
    return groups;
  }

  private validateRoutes(props: ApiIdentityProps): void {
    const first = routeTableProblems(props.routes)[0];
    if (first) throw new SecureApiConfigError(this, first.prop, first.message);
    props.routes.forEach((route, i) => {
      (protectionOf(route)?.groups ?? []).forEach((group, j) => {
        requireProp(/^[A-Za-z0-9_.:@+=-]{1,128}$/.test(group), this, `routes[${i}].auth.groups[${j}]`,
          `"${group}" is not a group name (letters, digits and _.:@+=- only, at most 128)`);
      });
    });
    if (props.allowSharedScopes) {
      Annotations.of(this).addWarningV2('secure-rest-api:shared-scopes',
        'allowSharedScopes is on: some write or high-sensitivity routes are open to every caller of a read route.');
      return;
    }
    const problem = scopeEscalations(props.routes)[0];
    if (problem) throw new SecureApiConfigError(this, problem.prop, problem.message);
  }

  private validateDomainPrefix(prefix: string): void {
    requireProp(!Token.isUnresolved(prefix), this, 'domainPrefix', 'must be a literal string');
    requireProp(prefix.length >= 1 && prefix.length <= 63 && /^[a-z0-9-]+$/.test(prefix) && !prefix.startsWith('-') && !prefix.endsWith('-'), this, 'domainPrefix',
      `"${prefix}" must be 1-63 lowercase letters, digits or hyphens, not starting or ending with a hyphen`);
    const reserved = RESERVED_DOMAIN_WORDS.find((w) => prefix.includes(w));
    requireProp(reserved === undefined, this, 'domainPrefix', `"${prefix}" contains "${reserved}", which Cognito refuses in a prefix domain`);
  }

  private validatePublicClient(
    client: PublicClientOptions,
    routeScopes: ReadonlySet<string>,
    v: { accessTokenValidity: Duration; idTokenValidity: Duration; refreshTokenValidity: Duration; rotationGrace: Duration },
  ): void {
    const flows = client.oAuthFlows ?? { authorizationCodeGrant: true };
    requireProp(!flows.implicitCodeGrant, this, 'publicClient.oAuthFlows.implicitCodeGrant',
      'the implicit grant returns tokens in the redirect URL (browser history, Referer, logs); use the authorization code grant with PKCE');
    requireProp(!flows.clientCredentials, this, 'publicClient.oAuthFlows.clientCredentials',
      'client credentials need a secret a public client cannot keep; use `machineClient`');
    requireProp(flows.authorizationCodeGrant === true, this, 'publicClient.oAuthFlows.authorizationCodeGrant',
      'the public client signs users in with the authorization code grant (PKCE); it cannot be off');
    requireProp(client.generateSecret !== true, this, 'publicClient.generateSecret',
      'a browser or mobile app cannot keep a client secret; PKCE protects the authorization code instead');
    requireProp(client.callbackUrls.length > 0, this, 'publicClient.callbackUrls', 'at least one callback URL is required');
    this.validateRedirectUrls('publicClient.callbackUrls', client.callbackUrls);
    this.validateRedirectUrls('publicClient.logoutUrls', client.logoutUrls ?? []);
    this.validateDuration('publicClient.accessTokenValidity', v.accessTokenValidity, MIN_ACCESS_TOKEN_VALIDITY, MAX_ACCESS_TOKEN_VALIDITY);
    this.validateDuration('publicClient.idTokenValidity', v.idTokenValidity, MIN_ACCESS_TOKEN_VALIDITY, MAX_ACCESS_TOKEN_VALIDITY);
    this.validateDuration('publicClient.refreshTokenValidity', v.refreshTokenValidity, MIN_REFRESH_TOKEN_VALIDITY, MAX_REFRESH_TOKEN_VALIDITY);
    this.validateDuration('publicClient.refreshTokenRotationGracePeriod', v.rotationGrace, Duration.seconds(0), MAX_REFRESH_TOKEN_ROTATION_GRACE);
    (client.scopes ?? []).forEach((scope, i) => {
      requireProp(routeScopes.has(scope), this, `publicClient.scopes[${i}]`,
        `"${scope}" is not required by any route; a client only gets scopes that open a route`);
    });
  }

  private validateMachineClient(machine: MachineClientOptions, routes: RouteTable, validity: Duration): void {
    requireProp(machine.scopes.length > 0, this, 'machineClient.scopes', 'a machine client needs at least one service scope');
    machine.scopes.forEach((scope, i) => {
      const usable = routes.some((r) => {
        const auth = protectionOf(r);
        return auth !== undefined && auth.scopes.includes(scope) && (auth.groups ?? []).length === 0;
      });
      requireProp(usable, this, `machineClient.scopes[${i}]`,
        `"${scope}" opens no route a machine can call (it is unused, or only on routes that require a group, and client-credentials tokens carry no groups)`);
    });
    this.validateDuration('machineClient.accessTokenValidity', validity, MIN_ACCESS_TOKEN_VALIDITY, MAX_ACCESS_TOKEN_VALIDITY);
  }

  private validateRedirectUrls(prop: string, urls: readonly string[]): void {
    urls.forEach((raw, i) => {
      const at = `${prop}[${i}]`;
      requireProp(!Token.isUnresolved(raw), this, at, 'must be a literal URL');
      requireProp(!raw.includes('*'), this, at, `"${raw}" contains a wildcard; redirect URIs are matched exactly`);
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new SecureApiConfigError(this, at, `"${raw}" is not a URL`);
      }
      requireProp(url.hash === '' && !raw.includes('#'), this, at, `"${raw}" has a fragment, which OAuth 2.0 forbids in redirect URIs`);
      const localhost = url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1');
      const customScheme = !['http:', 'https:', 'javascript:', 'data:', 'file:'].includes(url.protocol);
      requireProp(url.protocol === 'https:' || localhost || customScheme, this, at,
        `"${raw}" must use https (http is allowed for localhost only)`);
      if (localhost) {
        Annotations.of(this).addWarningV2('secure-rest-api:localhost-redirect',
          `${prop} contains ${raw}: meant for local development only, remove it for production stages.`);
      }
    });
    requireProp(new Set(urls).size === urls.length, this, prop, 'contains duplicates');
  }

  private validateDuration(prop: string, value: Duration, min: Duration, max: Duration): void {
    if (Token.isUnresolved(value.toSeconds())) return;
    requireProp(value.toSeconds() >= min.toSeconds() && value.toSeconds() <= max.toSeconds(), this, prop,
      `${value.toHumanString()} is outside ${min.toHumanString()}..${max.toHumanString()}`);
  }
}

/**
 * Routes that anyone allowed on a weaker route may also call "by accident": a write route (or a
 * high-sensitivity route) whose scopes are all held by every caller of a read (or lower-sensitivity)
 * route, without a group that sets it apart. Pure: used at synth and in tests.
 */
export function scopeEscalations(routes: RouteTable): { prop: string; message: string }[] {
  const problems: { prop: string; message: string }[] = [];
  const rank = { low: 0, standard: 1, high: 2 } as const;
  routes.forEach((strong, i) => {
    const sAuth = protectionOf(strong);
    if (!sAuth) return;
    for (const weak of routes) {
      const wAuth = protectionOf(weak);
      if (!wAuth || weak === strong) continue;
      const isWrite = (r: RouteDefinition): boolean => r.method !== 'GET';
      const stronger = (isWrite(strong) && !isWrite(weak))
        || rank[strong.sensitivity ?? 'standard'] > rank[weak.sensitivity ?? 'standard'];
      if (!stronger) continue;
      const scopesImplied = sAuth.scopes.every((s) => wAuth.scopes.includes(s));
      const sGroups = sAuth.groups ?? [];
      const wGroups = wAuth.groups ?? [];
      // Every caller of `weak` passes the group check of `strong` when `strong` needs no group, or
      // when `weak` needs groups that are all accepted by `strong`.
      const groupsImplied = sGroups.length === 0 || (wGroups.length > 0 && wGroups.every((g) => sGroups.includes(g)));
      if (scopesImplied && groupsImplied) {
        problems.push({
          prop: `routes[${i}].auth.scopes`,
          message: `${routeKey(strong)} needs nothing beyond what ${routeKey(weak)} needs, so every caller of the weaker route may call it; give it its own scope (or set allowSharedScopes)`,
        });
        break;
      }
    }
  });
  return problems;
}


function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
