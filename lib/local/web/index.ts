import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isLoopback } from '../issuer/options';

/** What the web client page reads from `/config.json`. */
export interface WebClientConfig {
  /** The API's stage URL, e.g. `http://127.0.0.1:3000/prod`. */
  readonly apiUrl: string;
  /** The pool domain's `/oauth2/authorize`. */
  readonly authorizeUrl: string;
  /** The pool domain's `/oauth2/token`. */
  readonly tokenUrl: string;
  /**
   * The pool domain's `/oauth2/revoke` (sign-out revokes the refresh token).
   * @default - not revoked on sign-out
   */
  readonly revokeUrl?: string;
  /**
   * The pool domain's `/logout` (sign-out ends the pool session).
   * @default - the pool session outlives sign-out
   */
  readonly logoutUrl?: string;
  /** The public app client's id. */
  readonly clientId: string;
  /** The page's own URL, registered as a callback URL of the public client. */
  readonly redirectUri: string;
  /**
   * Scopes to request.
   * @default ['openid']
   */
  readonly scopes?: readonly string[];
  /**
   * API key sent as `x-api-key` (a metering key of a usage plan, never an authorization).
   * @default - no key
   */
  readonly apiKey?: string;
}

/** The subset of the runner's `.local/endpoints.json` the page needs. */
export interface EndpointsForWebClient {
  readonly apiUrl: string;
  readonly authorizeUrl?: string;
  readonly tokenUrl?: string;
  readonly revokeUrl?: string;
  readonly logoutUrl?: string;
  readonly publicClient?: { readonly clientId: string; readonly scopes: readonly string[] };
  readonly apiKeys?: readonly { readonly tier: string; readonly value: string }[];
}

/**
 * Builds the page's config from the runner's endpoints. `redirectUri` is the page's own URL (its
 * origin must be one of the API's allowed origins and the URL one of the public client's callbacks).
 */
export function webClientConfigFrom(endpoints: EndpointsForWebClient, redirectUri: string, apiKeyTier?: string): WebClientConfig {
  const { publicClient, authorizeUrl, tokenUrl } = endpoints;
  if (!publicClient || authorizeUrl === undefined || tokenUrl === undefined) {
    throw new Error('web client: the API has no user pool with a public (code flow) client');
  }
  const keys = endpoints.apiKeys ?? [];
  const key = apiKeyTier !== undefined ? keys.find((k) => k.tier === apiKeyTier) : keys[0];
  if (apiKeyTier !== undefined && !key) throw new Error(`web client: no API key of tier ${apiKeyTier}`);
  return {
    apiUrl: endpoints.apiUrl,
    authorizeUrl,
    tokenUrl,
    ...(endpoints.revokeUrl !== undefined ? { revokeUrl: endpoints.revokeUrl } : {}),
    ...(endpoints.logoutUrl !== undefined ? { logoutUrl: endpoints.logoutUrl } : {}),
    clientId: publicClient.clientId,
    redirectUri,
    scopes: [...publicClient.scopes],
    ...(key ? { apiKey: key.value } : {}),
  };
}

/** Options of {@link startWebClient}. */
export interface WebClientOptions {
  /** What `/config.json` answers. */
  readonly config: WebClientConfig;
  /**
   * Interface to listen on (loopback only unless `allowNonLoopback`).
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * TCP port.
   * @default 0 (any free port)
   */
  readonly port?: number;
  /**
   * Listen on a non-loopback interface.
   * @default false
   */
  readonly allowNonLoopback?: boolean;
}

/** A running web client server. */
export interface WebClient {
  /** `http://<host>:<port>` as bound. */
  readonly url: string;
  /** The bound port (the page is also reachable as `http://localhost:<port>/`). */
  readonly port: number;
  /** Stops serving. */
  close(): Promise<void>;
}

const FILES: Readonly<Record<string, readonly [file: string, type: string]>> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
};

/**
 * Serves the web client page (index.html, app.js, style.css, all static and copyable) and its
 * `/config.json`. The page is its own origin: the API must list it in `allowedOrigins`, and the
 * public client in its callback URLs, exactly as a deployed front end would be.
 */
export async function startWebClient(options: WebClientOptions): Promise<WebClient> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && options.allowNonLoopback !== true) {
    throw new Error(`web client: host is ${host}: only loopback addresses are allowed unless allowNonLoopback is set`);
  }
  const files = new Map(Object.entries(FILES).map(([path, [file, type]]) => {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the page's own files, named in FILES above
    const body = readFileSync(join(__dirname, file));
    return [path, { body, type }];
  }));
  const config = Buffer.from(JSON.stringify(options.config));
  const origins = [...new Set([options.config.apiUrl, options.config.tokenUrl, options.config.revokeUrl]
    .filter((u): u is string => u !== undefined).map((u) => new URL(u).origin))];
  const headers = {
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // The callback URL carries the authorization code: never send it on as a Referer.
    'referrer-policy': 'no-referrer',
    'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' ${origins.join(' ')}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://page.invalid').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, allow: 'GET, HEAD' });
      res.end();
      return;
    }
    if (path === '/config.json') {
      res.writeHead(200, { ...headers, 'content-type': 'application/json; charset=utf-8' });
      res.end(config);
      return;
    }
    const file = files.get(path);
    if (!file) {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
      res.end('Not found');
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': file.type });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => { if (err) reject(err); else resolve(); });
    }),
  };
}
