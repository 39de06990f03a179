/* eslint-disable @typescript-eslint/no-deprecated -- this construct implements its own deprecated `machineClient` prop */
import { Annotations, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { CfnBasePathMapping, CfnBasePathMappingV2, CfnDomainName, CfnDomainNameV2, CfnMethod, IdentitySource, RequestAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import {
  AccountRecovery, CfnUserPoolClient, ClientAttributes, CustomThreatProtectionMode, FeaturePlan, IUserPool, Mfa, OAuthFlows,
  OAuthScope, ResourceServerScope, StandardThreatProtectionMode, UserPool, UserPoolClient, UserPoolClientIdentityProvider, UserPoolDomain,
  UserPoolGroup, UserPoolResourceServer,
} from 'aws-cdk-lib/aws-cognito';
import { IKey, Key } from 'aws-cdk-lib/aws-kms';
import { ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { libraryFunctionCode } from '../common/library-functions';
import {
  canonicalDn, encodeIntegrations, INTEGRATION_PRINCIPAL_PREFIX, IntegrationRule, normalizeThumbprint,
} from '../../lambda/functions/authorizer/integrations';
import { AUTHORIZER_ENV, encodeRoutePolicy, RouteRule, usageKeyEnv } from '../../lambda/functions/authorizer/route-policy';
import {
  DEFAULT_INTEGRATION_CLIENTS, DEFAULT_INTEGRATION_TIER, LAMBDA_ENVIRONMENT_MAX_BYTES, MAX_INTEGRATION_CLIENTS,
  MIN_STEP_UP_WINDOW, USAGE_KEY_LENGTH,
} from '../defaults/identity';
import { PEOPLE_TIER } from '../defaults/usage-plans';
import type { UsagePlanTiers } from './usage-plan-tiers';
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
import { markRouteTableAuthorizer, routePolicyFor } from '../common/library-authorizer';
import { defaultCognitoDomainPrefix } from '../common/unique-names';

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

/**
 * The client certificate a machine integration's tokens are bound to (mutual TLS on the custom
 * domain required). A token of the integration is then refused (401) on a connection without a
 * certificate or with another one, so a stolen token is useless without the partner's private key.
 * Every condition given must hold; at least one is required.
 */
export interface ClientCertificateBinding {
  /**
   * SHA-256 thumbprints of the certificate's DER encoding: hex (`openssl x509 -noout -fingerprint
   * -sha256`, colons optional) or the base64url `x5t#S256` form of RFC 8705. Several allow a rollover.
   * @default - any thumbprint (then `subject` is required)
   */
  readonly sha256Thumbprints?: readonly string[];
  /**
   * Subject distinguished name, `CN=acme-payments,O=Acme GmbH,C=DE` (attribute order does not matter;
   * values with `,` `+` `"` `\` are not supported). Weaker than a thumbprint when the truststore's
   * CA issues certificates to others: anyone it certifies with this subject passes.
   * @default - any subject (then `sha256Thumbprints` is required)
   */
  readonly subject?: string;
}

/**
 * One machine integration (a partner or a service of your own): its own client-credentials
 * client(s), scopes, usage tier and optional certificate binding. The principal of its tokens is
 * `integration:<id>`, stable across client rotation.
 */
export interface MachineIntegrationOptions {
  /**
   * Service scopes the integration may request. Each must unlock at least one route without a group
   * requirement (client-credentials tokens carry no groups).
   */
  readonly scopes: readonly string[];
  /**
   * Usage-plan tier the integration is metered in (its own API key, see `attachUsagePlans`).
   * @default 'partner'
   */
  readonly usageTier?: string;
  /**
   * Names of the integration's app clients. Rotation: add a second name, hand its credentials to the
   * partner, then remove the first; both clients' tokens have the same principal meanwhile.
   * @default ['primary']
   */
  readonly clients?: readonly string[];
  /** @default Duration.minutes(15) (at most 1 hour) */
  readonly accessTokenValidity?: Duration;
  /** Bind the integration's tokens to its mTLS client certificate. @default - not bound */
  readonly clientCertificate?: ClientCertificateBinding;
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
   * An existing user pool to use instead of building one. Resource servers, scopes, groups, clients and
   * the authorizer are still derived from the route table and created in it; the pool's own settings
   * (MFA, password policy, threat protection) are its owner's (a warning says so), so `threatProtection`
   * and `selfSignUp` cannot be set with it. Its resource-server identifiers and group names must not
   * exist in the pool yet.
   * @default - a new user pool with the secure defaults
   */
  readonly userPool?: IUserPool;
  /**
   * Prefix of the Cognito domain `https://<prefix>.auth.<region>.amazoncognito.com` that serves the
   * OAuth endpoints (`/oauth2/authorize`, `/oauth2/token`, `/oauth2/revoke`). Globally unique per region;
   * lowercase letters, digits and hyphens; must not contain `aws`, `amazon` or `cognito`.
   * With an existing `userPool`, omit it when the pool already has a domain.
   * @default - a new pool gets `<stack name>-<account id>` ({@link defaultCognitoDomainPrefix}), unique per
   * account and region; an existing `userPool` gets no domain
   */
  readonly domainPrefix?: string;
  /** The browser/mobile app client (authorization code + PKCE). */
  readonly publicClient: PublicClientOptions;
  /**
   * Machine integrations by id (`acme-payments`: lower-case letters, digits, hyphens): one
   * client-credentials identity per partner or service, each the owner of its own objects.
   * @default - no machine integrations
   */
  readonly machineIntegrations?: Readonly<Record<string, MachineIntegrationOptions>>;
  /**
   * The single machine-to-machine client (client credentials).
   * @deprecated Use `machineIntegrations`. Its tokens' principal is the client id, so every caller
   *   sharing it shares one owner and rotating to a new client orphans earlier objects. Kept working
   *   (with a warning) for stacks that already store data under that client id.
   * @default - no machine client
   */
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
  /** The user pool (built here, or the existing one passed as `userPool`). */
  public readonly userPool: IUserPool;
  /** The Cognito domain serving the OAuth endpoints (absent for an existing pool without `domainPrefix`). */
  public readonly domain?: UserPoolDomain;
  /** The browser/mobile client (authorization code + PKCE). */
  public readonly publicClient: UserPoolClient;
  /**
   * The machine client (client credentials), if configured.
   * @deprecated Use `integrations`.
   */
  public readonly machineClient?: UserPoolClient;
  /** Machine integrations by id, with their app clients (in the order of `clients`). */
  public readonly integrations: ReadonlyMap<string, { readonly clients: readonly UserPoolClient[]; readonly usageTier: string; readonly principalId: string }>;
  /**
   * The usage-plan API key values, each generated in its own secret (never in the template): one per
   * integration (by id) and one for people (`PEOPLE_TIER`). Empty when no route requires an API key.
   */
  public readonly usageKeySecrets: ReadonlyMap<string, ISecret>;
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
  /** `https://<prefix>.auth.<region>.amazoncognito.com/oauth2/token` (absent without a domain). */
  public readonly tokenEndpoint?: string;

  private readonly usageTiers = new Map<string, string>();
  private usagePlansAttached = false;

  constructor(scope: Construct, id: string, props: ApiIdentityProps) {
    super(scope, id);
    this.validateRoutes(props);
    if (props.domainPrefix !== undefined) this.validateDomainPrefix(props.domainPrefix);
    // A fixed prefix collides with every other account that deployed it: derive one for a new pool unless given.
    const domainPrefix = props.domainPrefix ?? (props.userPool === undefined ? defaultCognitoDomainPrefix(this) : undefined);
    const routeScopes = new Set(props.routes.flatMap((r) => protectionOf(r)?.scopes ?? []));

    const client = props.publicClient;
    const accessTokenValidity = client.accessTokenValidity ?? DEFAULT_ACCESS_TOKEN_VALIDITY;
    const idTokenValidity = client.idTokenValidity ?? DEFAULT_ACCESS_TOKEN_VALIDITY;
    const refreshTokenValidity = client.refreshTokenValidity ?? DEFAULT_REFRESH_TOKEN_VALIDITY;
    const rotationGrace = client.refreshTokenRotationGracePeriod ?? DEFAULT_REFRESH_TOKEN_ROTATION_GRACE;
    this.validatePublicClient(client, routeScopes, { accessTokenValidity, idTokenValidity, refreshTokenValidity, rotationGrace });
    const machineTokenValidity = props.machineClient?.accessTokenValidity ?? DEFAULT_MACHINE_TOKEN_VALIDITY;
    if (props.machineClient) {
      this.validateMachineClient('machineClient', props.machineClient, props.routes, machineTokenValidity);
      Annotations.of(this).addWarningV2('secure-rest-api:machine-client-deprecated',
        'machineClient is deprecated: its tokens\' principal is the client id, so every caller sharing it owns the same objects and a new client orphans them. Use machineIntegrations (one identity per partner, stable across client rotation).');
    }
    const integrationEntries = Object.entries(props.machineIntegrations ?? {});
    for (const [name, integration] of integrationEntries) {
      this.validateIntegration(name, integration, props.routes);
    }
    const integrationValidities = integrationEntries.map(([, o]) => (o.accessTokenValidity ?? DEFAULT_MACHINE_TOKEN_VALIDITY).toSeconds());

    const cacheTtl = props.authorizerCacheTtl ?? DEFAULT_AUTHORIZER_CACHE_TTL;
    const shortestToken = Math.min(accessTokenValidity.toSeconds(), props.machineClient ? machineTokenValidity.toSeconds() : Infinity, ...integrationValidities);
    requireProp(cacheTtl.toSeconds() >= 0 && cacheTtl.toSeconds() <= MAX_AUTHORIZER_CACHE_TTL.toSeconds(), this, 'authorizerCacheTtl',
      `${cacheTtl.toSeconds()} s is outside 0..${MAX_AUTHORIZER_CACHE_TTL.toSeconds()} s (API Gateway's limit)`);
    requireProp(cacheTtl.toSeconds() <= shortestToken, this, 'authorizerCacheTtl',
      `${cacheTtl.toSeconds()} s exceeds the shortest access-token lifetime (${shortestToken} s): an expired token would keep working from the cache`);
    this.validateStepUp(props.routes, cacheTtl);

    if (props.userPool) {
      requireProp(props.threatProtection === undefined, this, 'threatProtection', 'is a setting of the user pool; an existing userPool keeps its own');
      requireProp(props.selfSignUp === undefined, this, 'selfSignUp', 'is a setting of the user pool; an existing userPool keeps its own');
      Annotations.of(this).addWarningV2('secure-rest-api:existing-user-pool',
        'userPool: an existing user pool is used; its own settings (MFA, password policy, threat protection, sign-up, recovery) are not set or checked by this library.');
    }
    this.userPool = props.userPool ?? this.createUserPool(props);

    if (domainPrefix !== undefined) {
      this.domain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix } });
      this.tokenEndpoint = `${this.domain.baseUrl()}/oauth2/token`;
    }

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

    const legacyClient = props.machineClient ? this.addMachineClient('MachineClient', props.machineClient.scopes, machineTokenValidity) : undefined;
    this.machineClient = legacyClient;
    const integrations = new Map<string, { clients: UserPoolClient[]; usageTier: string; principalId: string }>();
    for (const [name, options] of integrationEntries) {
      const clients = (options.clients ?? DEFAULT_INTEGRATION_CLIENTS).map((clientName) => this.addMachineClient(
        `Integration${pascal(name)}Client${pascal(clientName)}`, options.scopes, options.accessTokenValidity ?? DEFAULT_MACHINE_TOKEN_VALIDITY));
      integrations.set(name, { clients, usageTier: options.usageTier ?? DEFAULT_INTEGRATION_TIER, principalId: `${INTEGRATION_PRINCIPAL_PREFIX}${name}` });
    }
    this.integrations = integrations;

    // Metering (API key source AUTHORIZER): the authorizer hands each caller's key to API Gateway,
    // so no key ships to a client. Each value is generated in its own secret and reaches the API key
    // and the authorizer as a CloudFormation dynamic reference: it never appears in the template.
    const metered = props.routes.some((r) => r.apiKeyRequired === true);
    const usageKeySecrets = new Map<string, ISecret>();
    const usageEnv: Record<string, string> = {};
    const rules: IntegrationRule[] = [];
    let keyEncryption: IKey | undefined;
    const usageSecret = (name: string, description: string): ISecret => {
      keyEncryption ??= new Key(this, 'UsageKeyEncryption', {
        description: `Encrypts the usage-plan API key values of ${this.node.path}`,
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const secret = new Secret(this, `UsageKey${pascal(name)}`, {
        description,
        encryptionKey: keyEncryption,
        generateSecretString: { passwordLength: USAGE_KEY_LENGTH, excludePunctuation: true, includeSpace: false },
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const reason = 'A usage-plan API key value, not a credential: with API key source AUTHORIZER no caller can present it (API Gateway takes it from the authorizer only), and CloudFormation resolves it into the API key and the authorizer at deploy, so a new value takes effect with a stack update, not by a rotation Lambda.';
      Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason });
      Validations.of(secret).acknowledge({ id: 'NIST.800.53.R5-SecretsManagerRotationEnabled', reason });
      usageKeySecrets.set(name, secret);
      return secret;
    };
    if (legacyClient) {
      // The deprecated client keeps its principal (the client id) so existing data stays owned; it is
      // metered in the partner tier like an integration.
      const entry: IntegrationRule = { id: 'machine-client', clientIds: [legacyClient.userPoolClientId], principal: 'client' };
      if (metered) {
        const env = usageKeyEnv(rules.length);
        usageEnv[env] = usageSecret('machine-client', 'API key value of the deprecated machineClient (usage plan metering only)').secretValue.unsafeUnwrap();
        this.usageTiers.set('machine-client', DEFAULT_INTEGRATION_TIER);
        rules.push({ ...entry, usageKeyEnv: env });
      } else {
        rules.push(entry);
      }
    }
    for (const [name, options] of integrationEntries) {
      const integration = integrations.get(name);
      if (!integration) continue;
      const certificate = options.clientCertificate ? this.certificateBinding(name, options.clientCertificate) : undefined;
      let usageKey: string | undefined;
      if (metered) {
        usageKey = usageKeyEnv(rules.length);
        usageEnv[usageKey] = usageSecret(name, `API key value of integration ${name} (usage plan metering only)`).secretValue.unsafeUnwrap();
        this.usageTiers.set(name, integration.usageTier);
      }
      rules.push({
        id: name,
        clientIds: integration.clients.map((c) => c.userPoolClientId),
        principal: 'integration',
        ...(usageKey ? { usageKeyEnv: usageKey } : {}),
        ...(certificate ? { certificate } : {}),
      });
    }
    if (metered) {
      usageEnv[AUTHORIZER_ENV.userUsageKey] = usageSecret(PEOPLE_TIER, 'API key value of the people usage plan (signed-in users; metering only)').secretValue.unsafeUnwrap();
      this.usageTiers.set(PEOPLE_TIER, PEOPLE_TIER);
      this.node.addValidation({
        validate: () => (this.usagePlansAttached ? [] : [
          `${this.node.path}: routes require an API key (apiKeyRequired) but the usage keys of ApiIdentity were never attached to usage plans: call identity.attachUsagePlans(api.usagePlans); without it every keyed route answers 403`,
        ]),
      });
    }
    this.usageKeySecrets = usageKeySecrets;

    // The same derivation SecureRestApi checks the authorizer against (one function, so the two cannot drift).
    this.routePolicy = routePolicyFor(props.routes);
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
        [AUTHORIZER_ENV.machineClientIds]: legacyClient?.userPoolClientId ?? '',
        [AUTHORIZER_ENV.routePolicy]: routePolicy,
        ...(rules.length > 0 ? { [AUTHORIZER_ENV.machineIntegrations]: encodeIntegrations(rules) } : {}),
        [AUTHORIZER_ENV.cacheTtlSeconds]: String(cacheTtl.toSeconds()),
        ...usageEnv,
      },
    });
    this.requireEnvironmentFits(routePolicy, rules, Object.keys(usageEnv).length);

    const bound = rules.some((r) => r.certificate !== undefined);
    this.authorizer = new RequestAuthorizer(this, 'Authorizer', {
      handler: this.authorizerFunction,
      // The token is the cache key: the policy therefore covers every route (see lambda/functions/authorizer).
      // With certificate-bound integrations the client certificate is part of the key too, so a
      // decision cached for one certificate is never served to a connection with another.
      identitySources: bound
        ? [IdentitySource.header('Authorization'), IdentitySource.context('identity.clientCert.clientCertPem')]
        : [IdentitySource.header('Authorization')],
      resultsCacheTtl: cacheTtl,
      authorizerName: `${Stack.of(this).stackName}-${this.node.id}`.slice(0, 128),
    });
    if (bound) this.node.addValidation({ validate: () => this.mtlsProblems(rules) });
    // SecureRestApi accepts only an authorizer that enforces its route table: this one, for these rules.
    markRouteTableAuthorizer(this.authorizer, this.routePolicy);
  }

  /**
   * Creates the usage-plan API keys in `tiers` (one per integration in its tier, one for people in
   * the people plan), each with its secret's value, so the `usageIdentifierKey` the authorizer returns
   * meters the caller. Call once, with the usage plans of the API this identity protects.
   */
  public attachUsagePlans(tiers: UsagePlanTiers): void {
    requireProp(!this.usagePlansAttached, this, 'attachUsagePlans', 'is called once, with the usage plans of the API this identity protects');
    for (const [name, tier] of this.usageTiers) {
      const secret = this.usageKeySecrets.get(name);
      if (!secret) continue;
      const at = name === PEOPLE_TIER || name === 'machine-client' ? 'machineClient' : `machineIntegrations.${name}.usageTier`;
      requireProp(tier === PEOPLE_TIER || tiers.plans.has(tier), this, at, `unknown tier "${tier}" (tiers: ${[...tiers.plans.keys()].join(', ')})`);
      tiers.addApiKey(`${pascal(this.node.id)}${pascal(name)}Key`, tier, {
        description: name === PEOPLE_TIER
          ? 'Usage key of signed-in people (returned by the authorizer; no quota): metering only, never authorization'
          : `Usage key of ${name} (returned by the authorizer): metering only, never authorization`,
        value: secret.secretValue.unsafeUnwrap(),
      });
    }
    this.usagePlansAttached = true;
  }

  private addMachineClient(id: string, scopes: readonly string[], validity: Duration): UserPoolClient {
    const client = this.userPool.addClient(id, {
      generateSecret: true,
      oAuth: {
        flows: { clientCredentials: true },
        scopes: scopes.map((s) => this.oauthScope(s)),
      },
      accessTokenValidity: validity,
      enableTokenRevocation: true,
      preventUserExistenceErrors: true,
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
    });
    // No user sign-in through a machine client: without an explicit list Cognito would allow SRP
    // and custom auth. Client credentials issue no refresh token, so this list enables nothing.
    (client.node.defaultChild as CfnUserPoolClient).explicitAuthFlows = ['ALLOW_REFRESH_TOKEN_AUTH'];
    return client;
  }

  private certificateBinding(name: string, binding: ClientCertificateBinding): IntegrationRule['certificate'] {
    const at = `machineIntegrations.${name}.clientCertificate`;
    const sha256 = (binding.sha256Thumbprints ?? []).map((t, i) => {
      const hex = normalizeThumbprint(t);
      requireProp(hex !== undefined, this, `${at}.sha256Thumbprints[${i}]`, `"${t}" is not a SHA-256 thumbprint (64 hex digits, or base64url x5t#S256)`);
      return hex;
    });
    let subject: string | undefined;
    if (binding.subject !== undefined) {
      subject = canonicalDn(binding.subject, ',');
      requireProp(subject !== undefined, this, `${at}.subject`, `"${binding.subject}" is not a distinguished name like CN=acme-payments,O=Acme GmbH,C=DE`);
    }
    requireProp(sha256.length > 0 || subject !== undefined, this, at, 'needs sha256Thumbprints or subject');
    return subject === undefined ? { sha256 } : { sha256, subject };
  }

  /**
   * Certificate bindings need mutual TLS on every custom domain that serves an API using this
   * authorizer, and the execute-api endpoint off; otherwise the bound integration could never call
   * (no certificate reaches the authorizer) or callers could bypass mTLS.
   */
  private mtlsProblems(rules: readonly IntegrationRule[]): string[] {
    const bound = rules.filter((r) => r.certificate).map((r) => r.id);
    const prop = `machineIntegrations.${bound[0] ?? ''}.clientCertificate`;
    const all = this.node.root.node.findAll();
    const authorizerId = this.authorizer.authorizerId;
    const apiIds = new Set(all.filter((c): c is CfnMethod => c instanceof CfnMethod && c.authorizerId === authorizerId).map((m) => m.restApiId));
    if (apiIds.size === 0) return [];
    const domainRefs = new Set<string>();
    for (const c of all) {
      if (c instanceof CfnBasePathMapping && c.restApiId !== undefined && apiIds.has(c.restApiId)) domainRefs.add(c.domainName);
      if (c instanceof CfnBasePathMappingV2 && apiIds.has(c.restApiId)) domainRefs.add(c.domainNameArn);
    }
    const domains = all.filter((c): c is CfnDomainName | CfnDomainNameV2 => (c instanceof CfnDomainName && domainRefs.has(c.ref))
      || (c instanceof CfnDomainNameV2 && domainRefs.has(c.attrDomainNameArn)));
    const problems: string[] = [];
    if (domains.length === 0) {
      problems.push(`${this.node.path}: ${prop} binds tokens to a client certificate, but the API has no custom domain with mutual TLS (SecureRestApi domain.mtls): no certificate would ever reach the authorizer`);
    }
    for (const d of domains) {
      if (d instanceof CfnDomainName && !d.mutualTlsAuthentication) {
        problems.push(`${this.node.path}: ${prop} needs mutual TLS on custom domain ${d.node.path} (SecureRestApi domain.mtls)`);
      }
    }
    return problems;
  }

  /** Lambda caps a function's environment at 4 KB: checked here, at synth, with the sizes CloudFormation will resolve. */
  private requireEnvironmentFits(routePolicy: string, rules: readonly IntegrationRule[], usageKeys: number): void {
    // Tokens resolve to ids of known length: app client ids are 26 characters, key values USAGE_KEY_LENGTH.
    const CLIENT_ID_LENGTH = 26;
    const literal = encodeIntegrations(rules.map((r) => ({ ...r, clientIds: r.clientIds.map(() => 'x'.repeat(CLIENT_ID_LENGTH)) })));
    let bytes = Buffer.byteLength(routePolicy) + (rules.length > 0 ? Buffer.byteLength(literal) : 0) + usageKeys * (USAGE_KEY_LENGTH + 16);
    bytes += 55 /* pool id */ + CLIENT_ID_LENGTH * 2 + 200 /* names, TTL, SecureFunction's own variables */;
    requireProp(bytes <= LAMBDA_ENVIRONMENT_MAX_BYTES, this, 'machineIntegrations',
      `the authorizer's environment would be about ${bytes} bytes; Lambda allows ${LAMBDA_ENVIRONMENT_MAX_BYTES} (fewer clients or integrations per API)`);
  }

  /** The user pool with the library's secure defaults (see the class documentation). */
  private createUserPool(props: ApiIdentityProps): UserPool {
    const threatProtection = props.threatProtection ?? ThreatProtection.FULL_FUNCTION;
    if (threatProtection !== ThreatProtection.FULL_FUNCTION) {
      Annotations.of(this).addWarningV2('secure-rest-api:threat-protection',
        `threatProtection is ${threatProtection}: compromised credentials and risky sign-ins are ${threatProtection === ThreatProtection.OFF ? 'not detected' : 'detected but not blocked'}.`);
    }
    if (props.selfSignUp) {
      Annotations.of(this).addWarningV2('secure-rest-api:self-sign-up',
        'selfSignUp is on: anyone can create an account; make sure every route checks object-level ownership.');
    }

    return new UserPool(this, 'UserPool', {
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

  private validateIntegration(name: string, integration: MachineIntegrationOptions, routes: RouteTable): void {
    const at = `machineIntegrations.${name}`;
    requireProp(/^[a-z][a-z0-9-]{0,62}$/.test(name), this, at, `"${name}" must be lower-case letters, digits and hyphens (it becomes the owner id integration:${name})`);
    requireProp(name !== 'machine-client', this, at, '"machine-client" is reserved for the deprecated machineClient');
    this.validateMachineClient(at, integration, routes, integration.accessTokenValidity ?? DEFAULT_MACHINE_TOKEN_VALIDITY);
    const clients = integration.clients ?? DEFAULT_INTEGRATION_CLIENTS;
    requireProp(clients.length >= 1 && clients.length <= MAX_INTEGRATION_CLIENTS, this, `${at}.clients`,
      `needs 1..${MAX_INTEGRATION_CLIENTS} client names (two during a rotation)`);
    clients.forEach((c, i) => {
      requireProp(/^[a-z][a-z0-9-]{0,31}$/.test(c), this, `${at}.clients[${i}]`, `"${c}" must be lower-case letters, digits and hyphens`);
    });
    requireProp(new Set(clients).size === clients.length, this, `${at}.clients`, 'contains duplicates');
    if (integration.usageTier !== undefined) {
      requireProp(integration.usageTier !== PEOPLE_TIER, this, `${at}.usageTier`, `"${PEOPLE_TIER}" is the plan of signed-in people, not of an integration`);
    }
  }

  /**
   * Step-up routes: `maxAuthAge` only on group-gated routes (client-credentials tokens have no sign-in),
   * and longer than the authorizer cache TTL: the policy allows such a route only while the sign-in
   * stays recent for the whole TTL, so the effective window is `maxAuthAge - authorizerCacheTtl`.
   */
  private validateStepUp(routes: RouteTable, cacheTtl: Duration): void {
    routes.forEach((route, i) => {
      const auth = protectionOf(route);
      if (!auth?.maxAuthAge) return;
      const at = `routes[${i}].auth.maxAuthAge`;
      if (Token.isUnresolved(auth.maxAuthAge.toSeconds())) throw new SecureApiConfigError(this, at, 'must be a literal duration');
      requireProp((auth.groups ?? []).length > 0, this, at, `${routeKey(route)}: a recent sign-in can only be required on group-gated routes (machine tokens have no sign-in)`);
      requireProp(auth.maxAuthAge.toSeconds() >= cacheTtl.toSeconds() + MIN_STEP_UP_WINDOW.toSeconds(), this, at,
        `${auth.maxAuthAge.toHumanString()} leaves less than ${MIN_STEP_UP_WINDOW.toHumanString()} after the authorizer cache TTL (${cacheTtl.toHumanString()}): the policy allows the route only while the sign-in stays recent for the whole TTL`);
    });
  }

  private validateMachineClient(prop: string, machine: Pick<MachineClientOptions, 'scopes'>, routes: RouteTable, validity: Duration): void {
    requireProp(machine.scopes.length > 0, this, `${prop}.scopes`, 'a machine client needs at least one service scope');
    machine.scopes.forEach((scope, i) => {
      const usable = routes.some((r) => {
        const auth = protectionOf(r);
        return auth !== undefined && auth.scopes.includes(scope) && (auth.groups ?? []).length === 0;
      });
      requireProp(usable, this, `${prop}.scopes[${i}]`,
        `"${scope}" opens no route a machine can call (it is unused, or only on routes that require a group, and client-credentials tokens carry no groups)`);
    });
    this.validateDuration(`${prop}.accessTokenValidity`, validity, MIN_ACCESS_TOKEN_VALIDITY, MAX_ACCESS_TOKEN_VALIDITY);
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
