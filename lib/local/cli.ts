#!/usr/bin/env node
import { spawnSync } from 'child_process';
/* eslint-disable security/detect-non-literal-fs-filename -- paths are the app, its assembly and its asset folders */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { LocalRunError } from './assembly';
import { startLocalRun, type LocalRun } from './runner';

/** Usage of the command. */
const USAGE = `Usage:
  secure-api local [--assembly cdk.out] [--stack NAME] [--port 3000] [--issuer-port 0]
                   [--host 127.0.0.1 [--allow-non-loopback]] [--no-synth] [--access-log FILE]
                   [-c KEY=VALUE ...] [--web-port PORT]
    -c          context for the synth (like cdk synth -c); a change re-synthesizes
    --web-port  also serve the example web client page on http://localhost:PORT (its origin must be
                one of the API's allowed origins, its URL a callback URL of the public client)
  secure-api local rotate-secret SECRET_ID     rotate a secret of a running local API now

Runs the synthesized API locally: the gateway as the template defines it, the bundled functions in
worker processes, a local OAuth 2.0 issuer for the user pool, dynalite and a local Secrets Manager.
Synthesizes first (npx cdk synth) when the assembly is missing or older than the app's sources.`;

/** Directories and files whose change makes the assembly stale: cdk.json's `watch.include`, else the usual app folders. */
function sourceRoots(cwd: string): string[] {
  const cdkJson = path.join(cwd, 'cdk.json');
  const roots = new Set<string>([cdkJson]);
  try {
    const config = JSON.parse(fs.readFileSync(cdkJson, 'utf8')) as { watch?: { include?: string[] } };
    for (const pattern of config.watch?.include ?? []) {
      const first = pattern.split('/')[0] ?? '';
      if (first && !first.includes('*')) roots.add(path.join(cwd, first));
    }
  } catch {
    // No cdk.json: the usual folders.
  }
  if (roots.size === 1) for (const d of ['bin', 'lib', 'lambda', 'src']) roots.add(path.join(cwd, d));
  return [...roots];
}

/** Newest modification time (ms) of any file under `roots` (node_modules and build output skipped). */
function newestMtime(roots: readonly string[]): number {
  let newest = 0;
  const visit = (p: string): void => {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      if (['node_modules', 'cdk.out', '.git', '.local', 'dist'].includes(path.basename(p))) return;
      for (const entry of fs.readdirSync(p)) visit(path.join(p, entry));
    } else {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  roots.forEach(visit);
  return newest;
}

/** Where the runner notes the context an assembly was synthesized with. */
const CONTEXT_STAMP = 'secure-api-local-context.json';

/** Whether `assemblyDir` is missing, older than the sources, or synthesized with other `-c` context. */
export function assemblyIsStale(cwd: string, assemblyDir: string, context: readonly string[] = []): boolean {
  const manifest = path.join(assemblyDir, 'manifest.json');
  if (!fs.existsSync(manifest)) return true;
  const stamp = path.join(assemblyDir, CONTEXT_STAMP);
  const previous = fs.existsSync(stamp) ? fs.readFileSync(stamp, 'utf8') : JSON.stringify([]);
  if (previous !== JSON.stringify(context)) return true;
  return newestMtime(sourceRoots(cwd)) > fs.statSync(manifest).mtimeMs;
}

/** The app's own CDK CLI (no download): the consumer's, else the one next to this package. */
function cdkCommand(cwd: string): { command: string; args: string[] } {
  try {
    return { command: process.execPath, args: [require.resolve('aws-cdk/bin/cdk', { paths: [cwd, __dirname] })] };
  } catch {
    return { command: 'npx', args: ['--no-install', 'cdk'] };
  }
}

/** Runs `cdk synth` into `assemblyDir`; on failure prints the synth output and returns false. */
function synth(cwd: string, assemblyDir: string, context: readonly string[]): boolean {
  process.stderr.write(`Synthesizing the app into ${path.relative(cwd, assemblyDir) || assemblyDir} ...\n`);
  const cdk = cdkCommand(cwd);
  const result = spawnSync(cdk.command, [...cdk.args, 'synth', '--no-notices', '-q', '-o', assemblyDir, ...context.flatMap((c) => ['-c', c])], {
    cwd,
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: '1' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status === 0) {
    fs.writeFileSync(path.join(assemblyDir, CONTEXT_STAMP), JSON.stringify(context));
    return true;
  }
  process.stderr.write(`${result.stdout}${result.stderr}\nsynth failed (exit ${result.status ?? result.signal ?? '?'}): fix the error above and run again.\n`);
  return false;
}

/** The short banner: URLs, where the credentials are, a first curl. */
export function banner(run: LocalRun, endpointsFile: string, webUrl?: string): string {
  const e = run.endpoints;
  const routes: { method: string; path: string; auth: boolean }[] = [];
  const visit = (node: LocalRun['api']['root']): void => {
    for (const m of node.methods.values()) if (m.httpMethod !== 'OPTIONS') routes.push({ method: m.httpMethod, path: m.resourcePath, auth: m.authorizationType !== 'NONE' });
    node.children.forEach(visit);
  };
  visit(run.api.root);
  const open = routes.find((r) => r.method === 'GET' && !r.auth && !r.path.includes('{'));
  const closed = routes.find((r) => r.method === 'GET' && r.auth && !r.path.includes('{')) ?? routes.find((r) => r.auth);
  const lines = [
    '',
    `secure-api local: ${run.stack.stackName} ready in ${(run.startupMs / 1000).toFixed(1)} s`,
    `  API         ${e.apiUrl}`,
    ...(webUrl ? [`  Web page    ${webUrl}  (sign in as a user listed in ${endpointsFile})`] : []),
    ...(e.authorizeUrl ? [`  Sign-in     ${e.authorizeUrl}`, `  Token       ${e.tokenUrl ?? ''}`] : []),
    `  Endpoints   ${endpointsFile} (clients, users, passwords, API keys)`,
    ...(e.users.length ? [`  Users       ${e.users.map((u) => u.username + (u.groups.length ? ` (${u.groups.join(', ')})` : '')).join(', ')}`] : []),
    '',
    'Try:',
    ...(open ? [`  curl -i ${e.apiUrl}${open.path}`] : []),
    ...(closed ? [`  curl -i ${closed.method === 'GET' ? '' : `-X ${closed.method} `}${e.apiUrl}${closed.path}    # 401: no token`] : []),
    ...(e.machineClient && e.tokenUrl ? [
      `  TOKEN=$(curl -s -u ${e.machineClient.clientId}:<clientSecret from ${endpointsFile}> -d grant_type=client_credentials ${e.tokenUrl} | jq -r .access_token)`,
    ] : []),
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  return lines.join('\n');
}

async function rotateSecret(cwd: string, secretId: string | undefined): Promise<number> {
  const file = path.join(cwd, '.local', 'endpoints.json');
  if (!secretId || !fs.existsSync(file)) {
    process.stderr.write(secretId ? `${file} not found: is the local API running?\n` : `${USAGE}\n`);
    return 2;
  }
  const { secretsManagerEndpoint } = JSON.parse(fs.readFileSync(file, 'utf8')) as { secretsManagerEndpoint: string };
  const res = await fetch(secretsManagerEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'secretsmanager.RotateSecret' },
    body: JSON.stringify({ SecretId: secretId }),
  });
  process.stdout.write(`${await res.text()}\n`);
  return res.ok ? 0 : 1;
}

/** The command. Returns the exit code (a running server keeps the process alive until a signal). */
export async function main(argv: readonly string[], cwd = process.cwd()): Promise<number> {
  const args = argv[0] === 'local' ? argv.slice(1) : [...argv];
  if (args[0] === 'rotate-secret') return rotateSecret(cwd, args[1]);
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        assembly: { type: 'string' }, stack: { type: 'string' }, port: { type: 'string' }, 'issuer-port': { type: 'string' },
        host: { type: 'string' }, 'allow-non-loopback': { type: 'boolean' }, 'no-synth': { type: 'boolean' },
        'access-log': { type: 'string' }, help: { type: 'boolean', short: 'h' },
        context: { type: 'string', short: 'c', multiple: true }, 'web-port': { type: 'string' },
      },
    }));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const assemblyDir = path.resolve(cwd, String(values.assembly ?? 'cdk.out'));
  const context = Array.isArray(values.context) ? values.context : [];
  if (values['no-synth'] !== true && assemblyIsStale(cwd, assemblyDir, context) && !synth(cwd, assemblyDir, context)) return 1;
  const webPort = typeof values['web-port'] === 'string' ? Number(values['web-port']) : undefined;
  const webUrl = webPort === undefined ? undefined : `http://localhost:${webPort}/`;
  const port = Number(values.port ?? process.env.PORT ?? 3000);
  const endpointsFile = path.join(cwd, '.local', 'endpoints.json');
  const accessLogFile = typeof values['access-log'] === 'string' ? fs.createWriteStream(path.resolve(cwd, values['access-log']), { flags: 'a' }) : undefined;
  let run: LocalRun;
  try {
    run = await startLocalRun({
      assemblyDir,
      ...(typeof values.stack === 'string' ? { stack: values.stack } : {}),
      ...(typeof values.host === 'string' ? { host: values.host } : {}),
      allowNonLoopback: values['allow-non-loopback'] === true,
      port,
      issuerPort: Number(values['issuer-port'] ?? 0),
      endpointsFile,
      ...(webUrl ? { extraCallbackUrls: [webUrl] } : {}),
      ...(accessLogFile ? { accessLog: (line: string) => { accessLogFile.write(`${line}\n`); } } : {}),
    });
  } catch (err) {
    process.stderr.write(`secure-api local: ${err instanceof LocalRunError || err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  let web: { close(): Promise<void> } | undefined;
  if (webUrl !== undefined && webPort !== undefined) {
    // The example's web client page (lib/local/web), on its own origin as a deployed front end would be.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- only the example's `npm start` serves the page
    const { startWebClient, webClientConfigFrom } = require('./web') as typeof import('./web');
    try {
      web = await startWebClient({ port: webPort, config: webClientConfigFrom(run.endpoints, webUrl) });
    } catch (err) {
      await run.close();
      process.stderr.write(`secure-api local: web client page: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
    if (!run.endpoints.allowedOrigins.includes(new URL(webUrl).origin)) {
      process.stderr.write(`warning: ${new URL(webUrl).origin} is not an allowed origin of the API: CORS will block the page (synthesize with it allowed)\n`);
    }
  }
  process.stderr.write(banner(run, path.relative(cwd, endpointsFile), web ? webUrl : undefined));
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.stderr.write('\nStopping ...\n');
      void Promise.all([run.close(), web?.close()]).then(() => { accessLogFile?.end(); resolve(); });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

if (require.main === module) {
  // The runner's own SDK client (dynalite) would print the SDK's Node.js version notice: not the user's concern here.
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: never[]) => {
    if ((typeof warning === 'string' ? warning : warning.message).startsWith('NodeVersionSupportWarning')) return;
    emitWarning(warning, ...rest);
  });
  main(process.argv.slice(2)).then((code) => { process.exit(code); }, (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  });
}
