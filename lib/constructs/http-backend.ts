import { Duration, Token } from 'aws-cdk-lib';
import { IVpcLink } from 'aws-cdk-lib/aws-apigateway';
import type { IVpcLink as IVpcLinkV2 } from 'aws-cdk-lib/aws-apigatewayv2';
import { IConstruct } from 'constructs';
import type { AuthorizerContext } from '../../lambda/runtime/authorizer-context';
import { DEFAULT_TIMEOUT, MAX_TIMEOUT } from '../defaults/lambda';
import { requireProp, SecureApiConfigError } from '../errors';

/** Shortest integration timeout API Gateway accepts. */
export const MIN_BACKEND_TIMEOUT = Duration.millis(50);

/**
 * Request headers the gateway sets on every request to an HTTP backend, from the library authorizer's
 * context. They **overwrite** any copy the client sent (integration request parameters replace the
 * header), so a backend may trust exactly these, and only on requests that come through the gateway.
 */
export const PRINCIPAL_HEADERS: Readonly<Record<keyof AuthorizerContext, string>> = Object.freeze({
  principalId: 'X-Principal-Id',
  sub: 'X-Principal-Sub',
  clientId: 'X-Principal-Client-Id',
  scopes: 'X-Principal-Scopes',
  groups: 'X-Principal-Groups',
  principalType: 'X-Principal-Type',
  integration: 'X-Principal-Integration',
});

/** The gateway's request id, set on every backend request (overwriting a client's copy) for log correlation. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * Value of every {@link PRINCIPAL_HEADERS} header but `X-Principal-Type` on a public route (no authorizer
 * ran). Outside the runtime kit's `SAFE_ID` alphabet on purpose: a backend that validates ids like the
 * handlers do can never mistake it for a caller.
 */
export const ANONYMOUS_PRINCIPAL = '(anonymous)';

/** `X-Principal-Type` on a public route (`user` or `machine` on protected ones). */
export const ANONYMOUS_PRINCIPAL_TYPE = 'anonymous';

/**
 * Value that replaces the client's `Authorization` and `x-api-key` headers on their way to a backend
 * (unless {@link HttpBackendOptions.forwardCredentials}): the gateway has already checked both, and a
 * backend that never sees them cannot log or leak them.
 */
export const REMOVED_CREDENTIAL = '(removed-by-gateway)';

/** Options of every kind of {@link HttpBackend}. */
export interface HttpBackendOptions {
  /**
   * Integration timeout: API Gateway answers 504 when the backend takes longer. 50 ms to 29 s.
   * @default Duration.seconds(10) (DEFAULT_TIMEOUT, as for handlers)
   */
  readonly timeout?: Duration;
  /**
   * Forward the client's `Authorization` header (the bearer token) and `x-api-key` unchanged, for a
   * backend that verifies the token again itself. Off: the backend gets the gateway's principal headers
   * instead and never holds a token.
   * @default false
   */
  readonly forwardCredentials?: boolean;
}

/** How API Gateway reaches an {@link HttpBackend}. */
export type HttpBackendConnection =
  | { readonly kind: 'internet' }
  | { readonly kind: 'vpc-link'; readonly vpcLink: IVpcLink }
  | { readonly kind: 'vpc-link-v2'; readonly vpcLinkId: string; readonly loadBalancerArn: string };

/**
 * An existing HTTPS service that routes may target instead of a Lambda handler: name it in
 * `SecureRestApiProps.backends` and use that name as the route's `handler`. The route keeps everything
 * derived from the route table (authorizer, model, required parameters, throttles, WAF rules, alarms,
 * OpenAPI); the request is proxied (`HTTP_PROXY`) to `<baseUrl><route path>` with path parameters mapped,
 * the caller's principal in {@link PRINCIPAL_HEADERS}, and the gateway's client certificate presented.
 *
 * What the handler kit would have guaranteed, the backend must now provide itself: see docs/backends.md.
 *
 * @example
 * new SecureRestApi(this, 'Api', {
 *   routes: [{ method: 'GET', path: '/accounts/{accountId}', handler: 'accounts', auth: { scopes: ['accounts/read'] } }],
 *   backends: { accounts: HttpBackend.fromVpcLinkV2(vpcLink, alb.loadBalancerArn, 'https://accounts.internal.example.com') },
 *   authorizer: identity.authorizer,
 *   allowedOrigins: ['https://app.example.com'],
 * });
 */
export class HttpBackend {
  /**
   * A service reachable over the internet at an `https://` URL. It must accept only requests that
   * present the API's client certificate (`SecureRestApi.backendClientCertificate`), or anyone could
   * bypass the gateway and set the principal headers themselves.
   */
  public static fromUrl(baseUrl: string, options: HttpBackendOptions = {}): HttpBackend {
    return new HttpBackend(baseUrl, { kind: 'internet' }, options);
  }

  /**
   * A service behind a Network Load Balancer, reached through a REST API VPC link (V1). `baseUrl` is
   * `https://<name the NLB's TLS listener certificate is issued for>`: API Gateway verifies it.
   */
  public static fromVpcLink(vpcLink: IVpcLink, baseUrl: string, options: HttpBackendOptions = {}): HttpBackend {
    return new HttpBackend(baseUrl, { kind: 'vpc-link', vpcLink }, options);
  }

  /**
   * A service behind an Application (or Network) Load Balancer, reached through a VPC link V2
   * (`aws-apigatewayv2.VpcLink`), which REST APIs support for private integrations with ALBs.
   * `baseUrl` is `https://<name the load balancer's certificate is issued for>`.
   */
  public static fromVpcLinkV2(vpcLink: IVpcLinkV2, loadBalancerArn: string, baseUrl: string, options: HttpBackendOptions = {}): HttpBackend {
    return new HttpBackend(baseUrl, { kind: 'vpc-link-v2', vpcLinkId: vpcLink.vpcLinkId, loadBalancerArn }, options);
  }

  /** Base URL; the route's path is appended. */
  public readonly baseUrl: string;
  /** How API Gateway reaches it. */
  public readonly connection: HttpBackendConnection;
  /** Integration timeout. */
  public readonly timeout: Duration;
  /** Whether the client's `Authorization` and `x-api-key` reach the backend. */
  public readonly forwardCredentials: boolean;

  private constructor(baseUrl: string, connection: HttpBackendConnection, options: HttpBackendOptions) {
    this.baseUrl = baseUrl;
    this.connection = connection;
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT;
    this.forwardCredentials = options.forwardCredentials ?? false;
  }

  /**
   * Fails synth (naming `prop`) unless the backend is reached over TLS at a base URL without query,
   * fragment, credentials or trailing slash, with a timeout API Gateway accepts.
   */
  public validate(scope: IConstruct, prop: string): void {
    const url = this.baseUrl;
    requireProp(!/^http:\/\//i.test(url), scope, `${prop}.baseUrl`,
      `"${url}" is plain HTTP: the request carries the caller's principal and data, so the backend must be reached over TLS (https://)`);
    requireProp(url.startsWith('https://'), scope, `${prop}.baseUrl`,
      'must start with a literal "https://" (tokens may follow, e.g. a load balancer\'s DNS name)');
    if (Token.isUnresolved(url)) {
      // Only the literal parts can be checked; the host comes from a token.
      requireProp(!url.endsWith('/') && !/[?#]/.test(url), scope, `${prop}.baseUrl`, 'must have no trailing slash, query or fragment');
    } else {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new SecureApiConfigError(scope, `${prop}.baseUrl`, `"${url}" is not a URL`);
      }
      requireProp(parsed.username === '' && parsed.password === '', scope, `${prop}.baseUrl`, 'must not carry credentials (they would be in the template)');
      requireProp(parsed.search === '' && parsed.hash === '' && !url.includes('?') && !url.includes('#'), scope, `${prop}.baseUrl`, 'must have no query or fragment');
      requireProp(!url.endsWith('/'), scope, `${prop}.baseUrl`, `"${url}" must not end with "/": the route path (which starts with "/") is appended`);
      requireProp(!/[{}]/.test(parsed.pathname), scope, `${prop}.baseUrl`, 'must not contain {parameters}; they come from the route path');
    }
    if (!Token.isUnresolved(this.timeout.toMilliseconds())) {
      const ms = this.timeout.toMilliseconds();
      requireProp(ms >= MIN_BACKEND_TIMEOUT.toMilliseconds() && ms <= MAX_TIMEOUT.toMilliseconds(), scope, `${prop}.timeout`,
        `${ms} ms is outside ${MIN_BACKEND_TIMEOUT.toMilliseconds()} ms..${MAX_TIMEOUT.toSeconds()} s (API Gateway's integration timeout)`);
    }
    if (this.connection.kind === 'vpc-link-v2') {
      const arn = this.connection.loadBalancerArn;
      requireProp(Token.isUnresolved(arn) || /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/(app|net)\/[^/]+\/[0-9a-f]+$/.test(arn),
        scope, `${prop}.loadBalancerArn`, `"${arn}" is not the ARN of an Application or Network Load Balancer`);
    }
  }

  /**
   * Integration request parameters of a route: path parameters, the principal headers (from the
   * authorizer context on protected routes, {@link ANONYMOUS_PRINCIPAL} on public ones), the request id,
   * and the credential headers replaced unless forwarded.
   */
  public requestParameters(pathParams: readonly string[], isPublic: boolean): Record<string, string> {
    const params: Record<string, string> = {};
    for (const name of pathParams) params[`integration.request.path.${name}`] = `method.request.path.${name}`;
    for (const [key, header] of Object.entries(PRINCIPAL_HEADERS)) {
      // context.authorizer.* is only valid on a method that has an authorizer.
      const anonymous = key === 'principalType' ? ANONYMOUS_PRINCIPAL_TYPE : ANONYMOUS_PRINCIPAL;
      params[`integration.request.header.${header}`] = isPublic ? `'${anonymous}'` : `context.authorizer.${key}`;
    }
    params[`integration.request.header.${REQUEST_ID_HEADER}`] = 'context.requestId';
    if (!this.forwardCredentials) {
      params['integration.request.header.Authorization'] = `'${REMOVED_CREDENTIAL}'`;
      params['integration.request.header.x-api-key'] = `'${REMOVED_CREDENTIAL}'`;
    }
    return params;
  }
}
