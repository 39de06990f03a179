/* eslint-disable security/detect-non-literal-fs-filename -- paths are the assembly and the endpoints file the user chose */
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import type { LocalApi, LocalStage } from './api-model';
import { readApis } from './api-model';
import { LocalRunError, readAssembly, resourcesOfType, selectStack, str, type StackArtifact } from './assembly';
import { createTable, createTableInput, startDynalite, type DynaliteHandle } from './dynamo';
import { FunctionWorker, type InvokeOutcome, type LocalFunctionSpec } from './functions';
import { LocalGateway } from './gateway';
import { readPools, type LocalPool } from './identity';
import { IntrinsicResolver } from './intrinsics';
import { LocalSecretStore, startLocalSecretsManager, type GenerateSecretString, type LocalSecretsServer } from './secrets-manager';

/** Options of {@link startLocalRun}. */
export interface LocalRunOptions {
  /** The cloud assembly directory (`cdk.out`). */
  readonly assemblyDir: string;
  /** Stack to run (artifact id or stack name). @default - the only stack with a REST API */
  readonly stack?: string;
  /** Interface to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** Refuse any host but loopback unless this is set. @default false */
  readonly allowNonLoopback?: boolean;
  /** Port of the gateway (0: any free port). @default 3000 */
  readonly port?: number;
  /** Port of the local issuer (the emulated Cognito domain). @default 0 (any free port) */
  readonly issuerPort?: number;
  /** Region when the stack has none pinned. @default - `AWS_REGION`, else eu-west-1 */
  readonly region?: string;
  /** Account when the stack has none pinned. @default '123456789012' */
  readonly account?: string;
  /** Receives each access-log line. @default - written to stdout */
  readonly accessLog?: (line: string) => void;
  /** Receives function output (Powertools logs, EMF metrics). @default - stderr, prefixed with the function name */
  readonly functionOutput?: (functionName: string, chunk: string) => void;
  /** Where to write the endpoints file; `false` writes none. @default '.local/endpoints.json' in the working directory */
  readonly endpointsFile?: string | false;
  /** Redirect URIs added to the code-flow clients (a local web page's callback). @default [] */
  readonly extraCallbackUrls?: readonly string[];
  /**
   * Test seam: answer the pool's JWKS URL inside the workers from this URL instead of the local
   * issuer's (tests that sign their own tokens: expired, foreign client). Production code is the same.
   * @default - the local issuer's JWKS
   */
  readonly jwksUrl?: string;
}

/** What `.local/endpoints.json` holds: everything a script, a test or a web page needs to call the local API. */
export interface LocalEndpoints {
  readonly apiUrl: string;
  readonly stage: string;
  readonly region: string;
  readonly userPoolId?: string;
  readonly issuer?: string;
  readonly authorizeUrl?: string;
  readonly tokenUrl?: string;
  readonly revokeUrl?: string;
  readonly logoutUrl?: string;
  readonly jwksUrl?: string;
  readonly allowedOrigins: readonly string[];
  readonly publicClient?: { clientId: string; redirectUri: string; scopes: readonly string[] };
  readonly machineClient?: { clientId: string; clientSecret: string; scopes: readonly string[] };
  readonly machineClients: readonly { clientId: string; clientSecret: string; scopes: readonly string[] }[];
  readonly users: readonly { username: string; password: string; groups: readonly string[]; totpSecret?: string }[];
  readonly apiKeys: readonly { id: string; tier: string; value: string }[];
  readonly apiKeySource: 'HEADER' | 'AUTHORIZER';
  readonly webhookSecret?: string;
  readonly secretsManagerEndpoint: string;
  readonly dynamodbEndpoint: string;
  readonly secrets: readonly { logicalId: string; arn: string }[];
  readonly tables: readonly { logicalId: string; tableName: string }[];
}

/** A running local API. */
export interface LocalRun {
  /** `http://host:port` of the gateway. */
  readonly url: string;
  /** The stage URL (`<url>/<stage>`). */
  readonly apiUrl: string;
  readonly endpoints: LocalEndpoints;
  readonly stack: StackArtifact;
  readonly api: LocalApi;
  readonly stage: LocalStage;
  readonly gateway: LocalGateway;
  readonly secrets: LocalSecretStore;
  /** Workers by function logical id. */
  readonly workers: ReadonlyMap<string, FunctionWorker>;
  /** Milliseconds from the call to ready (every worker initialized, every server listening). */
  readonly startupMs: number;
  /** Rotates a secret now (its rotation function when the template wires one). */
  rotateSecret(secretId: string): Promise<string>;
  /** Stops every worker and server. */
  close(): Promise<void>;
}

interface Closable {
  close(): Promise<void>;
}

/** The issuer's own contract (loaded lazily below: oidc-provider starts only when the app has a pool). */
type Issuer = import('./issuer').LocalIssuer;

/** Loopback only (the local issuer holds test passwords and signs tokens the local API accepts). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Starts the local issuer of a pool (lib/local/issuer, loaded only when the template has a pool). */
async function startIssuer(pool: LocalPool, port: number, host: string, allowNonLoopback: boolean): Promise<Issuer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: oidc-provider is only needed with a user pool
  const { startLocalIssuer } = require('./issuer') as typeof import('./issuer');
  return startLocalIssuer({
    host,
    port,
    allowNonLoopback,
    region: pool.region,
    userPoolId: pool.userPoolId,
    mfa: pool.mfa,
    clients: pool.clients.map((c) => ({
      clientId: c.clientId,
      ...(c.clientSecret !== undefined ? { clientSecret: c.clientSecret } : {}),
      public: c.public,
      flows: c.flows,
      scopes: c.scopes,
      callbackUrls: c.callbackUrls,
      logoutUrls: c.logoutUrls,
      accessTokenTtlSeconds: c.accessTokenTtlSeconds,
      idTokenTtlSeconds: c.idTokenTtlSeconds,
      refreshTokenTtlSeconds: c.refreshTokenTtlSeconds,
      rotateRefreshTokens: c.rotateRefreshTokens,
      refreshTokenRotationGraceSeconds: c.refreshTokenRotationGraceSeconds,
    })),
    users: pool.users.map((u) => ({
      username: u.username, password: u.password, groups: u.groups,
      ...(u.totpSecret !== undefined ? { totpSecret: u.totpSecret } : {}),
      ...(u.email !== undefined ? { email: u.email } : {}),
    })),
  });
}

/** Origins the CORS preflight mocks allow (literal `Access-Control-Allow-Origin` values and origins their templates compare with). */
function allowedOriginsOf(api: LocalApi): string[] {
  const origins = new Set<string>();
  const visit = (node: LocalApi['root']): void => {
    for (const method of node.methods.values()) {
      if (method.integration.type !== 'MOCK') continue;
      for (const r of method.integration.integrationResponses) {
        const acao = r.responseParameters['method.response.header.Access-Control-Allow-Origin'];
        const literal = acao === undefined ? undefined : /^'(.*)'$/.exec(acao)?.[1];
        if (literal) origins.add(literal);
        for (const t of Object.values(r.responseTemplates)) for (const m of t.matchAll(/\$origin\s*==\s*"([^"]+)"/g)) if (m[1]) origins.add(m[1]);
      }
    }
    node.children.forEach(visit);
  };
  visit(api.root);
  return [...origins];
}

/**
 * Starts the whole API locally from a cloud assembly: the local Secrets Manager (values generated from
 * the template), dynalite with the template's tables, the local issuer for the user pool, one warm worker
 * per bundled function, and the gateway on `host:port`. Everything is learned from the template.
 */
export async function startLocalRun(options: LocalRunOptions): Promise<LocalRun> {
  const t0 = performance.now();
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && options.allowNonLoopback !== true) {
    throw new LocalRunError(`refusing to listen on ${host}: the local API holds test credentials; pass --allow-non-loopback to expose it on purpose`);
  }
  const stack = selectStack(readAssembly(options.assemblyDir), options.stack);
  const region = stack.region ?? options.region ?? process.env.AWS_REGION ?? 'eu-west-1';
  const account = stack.account ?? options.account ?? '123456789012';
  const resolver = new IntrinsicResolver(stack.template, { region, account, stackName: stack.stackName, partition: 'aws', urlSuffix: 'amazonaws.com' });
  const closers: Closable[] = [];
  const close = async (): Promise<void> => {
    for (const c of closers.reverse()) await c.close().catch(() => undefined);
  };
  try {
    const live = (type: string): string[] => resourcesOfType(stack.template, type).map(([id]) => id).filter((id) => resolver.exists(id));

    // Secrets first: API key values and other properties may be dynamic references to them.
    const rotated = new Set(live('AWS::SecretsManager::RotationSchedule').map((id) => resolver.properties(id).SecretId));
    const secretIds = live('AWS::SecretsManager::Secret');
    const store = new LocalSecretStore(secretIds.map((id) => {
      const props = resolver.properties(id);
      const arn = resolver.ref(id);
      return {
        arn,
        ...(typeof props.Description === 'string' ? { description: props.Description } : {}),
        ...(typeof props.SecretString === 'string' ? { current: props.SecretString } : {}),
        ...(props.GenerateSecretString !== undefined ? { generate: props.GenerateSecretString as GenerateSecretString } : {}),
        rotationEnabled: rotated.has(arn),
      };
    }));
    resolver.setDynamicReferenceResolver((ref) => store.resolveReference(ref));
    const [secretsServer, dynamo] = await Promise.all([startLocalSecretsManager(store), startDynalite({ region })]);
    closers.push({ close: () => secretsServer.stop() }, { close: () => dynamo.stop() });
    const tables = live('AWS::DynamoDB::Table').map((id) => ({ logicalId: id, tableName: resolver.ref(id) }));
    await Promise.all(tables.map((t) => createTable(dynamo.client, createTableInput(t.tableName, resolver.properties(t.logicalId)))));

    const apis = readApis(resolver);
    const api = apis[0];
    if (!api) throw new LocalRunError(`stack ${stack.id} defines no REST API`);
    const stage = api.stages[0] as LocalStage;

    const pools = readPools(resolver, options.extraCallbackUrls ?? []);
    const pool = pools.find((p) => p.clients.length > 0);
    const issuer = pool ? await startIssuer(pool, options.issuerPort ?? 0, host, options.allowNonLoopback === true) : undefined;
    if (issuer) closers.push(issuer);
    const redirects: Record<string, string> = {};
    if (pool && issuer) {
      // aws-jwt-verify knows both of Cognito's issuer hosts (regional and the newer `issuer-cognito-idp`) and loads both JWKS.
      for (const host of ['cognito-idp', 'issuer-cognito-idp']) {
        redirects[`https://${host}.${pool.region}.amazonaws.com/${pool.userPoolId}/.well-known/jwks.json`] = options.jwksUrl ?? issuer.jwksUrl;
      }
    }

    const workers = new Map<string, FunctionWorker>();
    const baseEnvironment = awsEnvironment(region, secretsServer, dynamo);
    for (const id of live('AWS::Lambda::Function')) {
      const spec = functionSpec(resolver, stack, id);
      if (spec) workers.set(id, new FunctionWorker(spec, { baseEnvironment, guard: { redirects }, region, account, ...(options.functionOutput ? { output: options.functionOutput } : {}) }));
    }
    closers.push({ close: async () => { await Promise.all([...workers.values()].map((w) => w.stop())); } });
    // Warm start: every function initializes now, in parallel (a failing init shows at start, not at the first request).
    await Promise.all([...workers.values()].map((w) => w.start()));

    const invoke = (logicalId: string, event: unknown, o: { requestId: string; traceId: string }): Promise<InvokeOutcome> => {
      const worker = workers.get(logicalId);
      if (!worker) return Promise.resolve({ kind: 'crash', detail: `function ${logicalId} has no bundled code in the assembly`, durationMs: 0 });
      return worker.invoke(event, o);
    };
    wireRotation(resolver, store, live('AWS::SecretsManager::RotationSchedule'), invoke);

    const accessLog = options.accessLog ?? ((line: string) => { process.stdout.write(`${line}\n`); });
    const gateway = new LocalGateway({ api, stage, region, account, invoke, accessLog });
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://local');
      const prefix = `/${stage.name}`;
      if (url.pathname === prefix || url.pathname.startsWith(`${prefix}/`)) {
        void gateway.handle(req, res, url.pathname.slice(prefix.length), url.search.slice(1));
        return;
      }
      // Outside the stage, API Gateway answers 403 {"message":"Forbidden"}; so does the local one.
      req.resume();
      res.writeHead(403, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'ForbiddenException' });
      res.end('{"message":"Forbidden"}');
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 3000, host, () => { resolve(); });
    });
    closers.push({ close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => { resolve(); }); }) });
    const address = server.address() as AddressInfo;
    const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
    const apiUrl = `${url}/${stage.name}`;

    const secretArnByEnv = (pattern: RegExp): string | undefined => {
      for (const w of workers.values()) for (const [k, v] of Object.entries(w.spec.environment)) if (pattern.test(k)) return v;
      return undefined;
    };
    const webhookArn = secretArnByEnv(/WEBHOOK.*SECRET/i);
    const publicClient = pool?.clients.find((c) => c.public && c.flows.includes('code'));
    const machineClients = (pool?.clients ?? []).filter((c) => c.flows.includes('client_credentials') && c.clientSecret !== undefined)
      .map((c) => ({ clientId: c.clientId, clientSecret: c.clientSecret ?? '', scopes: c.scopes }));
    const planTier = (planId: string | undefined): string => {
      const name = api.usagePlans.find((p) => p.id === planId)?.name ?? '';
      return name.split('-').pop() ?? name;
    };
    const endpoints: LocalEndpoints = {
      apiUrl,
      stage: stage.name,
      region,
      ...(pool && issuer ? {
        userPoolId: pool.userPoolId, issuer: issuer.issuer, authorizeUrl: issuer.authorizeUrl, tokenUrl: issuer.tokenUrl,
        revokeUrl: issuer.revokeUrl, logoutUrl: issuer.logoutUrl, jwksUrl: issuer.jwksUrl,
      } : {}),
      allowedOrigins: allowedOriginsOf(api),
      ...(publicClient ? {
        publicClient: {
          clientId: publicClient.clientId,
          redirectUri: options.extraCallbackUrls?.[0] ?? publicClient.callbackUrls[0] ?? '',
          scopes: publicClient.scopes,
        },
      } : {}),
      ...(machineClients[0] ? { machineClient: machineClients[0] } : {}),
      machineClients,
      users: (pool?.users ?? []).map((u) => ({ username: u.username, password: u.password, groups: u.groups, ...(u.totpSecret ? { totpSecret: u.totpSecret } : {}) })),
      apiKeys: api.apiKeys.map((k) => ({ id: k.id, tier: planTier(k.planIds[0]), value: k.value })),
      apiKeySource: api.apiKeySource,
      ...(webhookArn ? { webhookSecret: store.value(webhookArn).value } : {}),
      secretsManagerEndpoint: secretsServer.endpoint,
      dynamodbEndpoint: dynamo.endpoint,
      secrets: secretIds.map((id) => ({ logicalId: id, arn: resolver.ref(id) })),
      tables,
    };
    const endpointsFile = options.endpointsFile ?? path.join(process.cwd(), '.local', 'endpoints.json');
    if (endpointsFile !== false) {
      fs.mkdirSync(path.dirname(endpointsFile), { recursive: true });
      // Test credentials: readable by this user only.
      fs.writeFileSync(endpointsFile, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
    }
    return {
      url, apiUrl, endpoints, stack, api, stage, gateway, secrets: store, workers,
      startupMs: performance.now() - t0,
      rotateSecret: (id) => store.rotate(id),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The AWS environment every worker gets: local endpoints by environment only, fake credentials, no metadata lookups. */
function awsEnvironment(region: string, secrets: LocalSecretsServer, dynamo: DynaliteHandle): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'ASIALOCALRUNNER00000',
    AWS_SECRET_ACCESS_KEY: 'local-runner-secret-access-key',
    AWS_SESSION_TOKEN: 'local-runner-session-token',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    // No shared config or credentials file of the developer's is read.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
}

/** A function's worker spec, or undefined when the assembly has no bundled code for it (inline or S3 code). */
function functionSpec(resolver: IntrinsicResolver, stack: StackArtifact, logicalId: string): LocalFunctionSpec | undefined {
  const resource = stack.template.Resources[logicalId];
  const assetPath = resource?.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string') return undefined;
  const props = resolver.properties(logicalId);
  const variables = ((props.Environment ?? {}) as { Variables?: Record<string, unknown> }).Variables ?? {};
  const logging = (props.LoggingConfig ?? {}) as { LogGroup?: string };
  const functionName = resolver.ref(logicalId);
  return {
    logicalId,
    functionName,
    codeDirectory: path.resolve(stack.directory, assetPath),
    handler: str(props.Handler, 'index.handler'),
    environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, str(v)])),
    timeoutSeconds: Number(props.Timeout ?? 3),
    memoryMb: Number(props.MemorySize ?? 128),
    logGroupName: logging.LogGroup ?? `/aws/lambda/${functionName}`,
  };
}

/** Rotation on demand runs the template's rotation function through the four steps, as Secrets Manager does. */
function wireRotation(
  resolver: IntrinsicResolver,
  store: LocalSecretStore,
  schedules: readonly string[],
  invoke: (logicalId: string, event: unknown, o: { requestId: string; traceId: string }) => Promise<InvokeOutcome>,
): void {
  const functionsByArn = new Map(resourcesOfType(resolver.template, 'AWS::Lambda::Function').map(([id]) => [resolver.getAtt(id, 'Arn'), id]));
  const rotationFunction = new Map<string, string>();
  for (const id of schedules) {
    const props = resolver.properties(id);
    const fn = typeof props.RotationLambdaARN === 'string' ? functionsByArn.get(props.RotationLambdaARN) : undefined;
    if (fn) rotationFunction.set(String(props.SecretId), fn);
  }
  if (rotationFunction.size === 0) return;
  store.setRotationRunner(async (secretArn, token) => {
    const fn = rotationFunction.get(secretArn);
    if (!fn) {
      throw new Error(`no rotation function for ${secretArn}`);
    }
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
      const outcome = await invoke(fn, { SecretId: secretArn, ClientRequestToken: token, Step: step }, { requestId: `rotation-${step}`, traceId: '' });
      if (outcome.kind !== 'result') {
        throw new Error(`rotation step ${step} failed: ${outcome.kind === 'error' ? `${outcome.error.errorType}: ${outcome.error.errorMessage}` : outcome.kind}`);
      }
    }
  });
}
