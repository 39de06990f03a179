/* eslint-disable security/detect-non-literal-fs-filename -- a dev-time script: paths are its own temp dirs, the repo and the synth output */
/**
 * `npm run bench`: the performance benchmark of issue #8, fully offline.
 *
 * 1. `cdk synth` of the example app (timed) into a temp dir; every bundled function is found in the
 *    templates (authorizer and handlers are picked up as they land).
 * 2. Bytes (raw, gzip) of each synthesized bundle and what packages it carries.
 * 3. Cold starts in fresh `node` processes (median of --runs, default 15): each bundle against a
 *    hello handler bundled the same way (the floor), bundling variants (ESM/CJS, source maps, SDK
 *    bundled/external), zod vs zod/mini probes and the Express-style baseline.
 * 4. Warm throughput: authorizer decisions/s and POST /payments validation/s against the baselines.
 * 5. Optional (`-- --with-test-time`): `npm test` wall time.
 * Prints the tables and PASS/MISS per target, writes reports/bench.json.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bundleEntry, configLabel, measureFile, type BuiltBundle, type BundleConfig } from './lib/build';
import { measureCold, runCaseOnce, type ColdCase, type ColdStats, type Outcome } from './lib/cold';
import {
  authorizerEvent, BENCH_ISSUER, BENCH_JWKS_URL, BENCH_MACHINE_CLIENT, BENCH_POOL_ID, BENCH_USER_CLIENT,
  INVALID_PAYMENT, tokenKit, VALID_PAYMENT, validationFailureEvent,
} from './lib/fixtures';
import { AUTHORIZER_ENV_NAMES, cdkSynth, discoverFunctions, type SynthFunction, type SynthResult } from './lib/synth';
import { fmt, kb, table } from './lib/table';
import { benchLocal, localMedian, type LocalBenchResult } from './local';
import type { WarmResult, WarmSpec } from './warm';
import { PAYMENTS_ROUTES } from '../../lib/stacks/payments-routes';

const ROOT = path.resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const RUNS = option('--runs', 15);
const WARM_MS = option('--warm-ms', 400);
const WITH_TEST_TIME = flag('--with-test-time');
/** Variants for every function (slow) instead of the authorizer and one SDK-using handler. */
const ALL_VARIANTS = flag('--all-variants');
const OUT = path.join(ROOT, 'reports', 'bench.json');
// Inside the repo so that an "SDK external" variant resolves @aws-sdk/* from node_modules.
const BUILD_DIR = path.join(ROOT, 'node_modules', '.cache', 'secure-rest-api-bench');

const log = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };
const print = (msg = ''): void => { process.stdout.write(`${msg}\n`); };

const CJS_MAP: BundleConfig = { format: 'cjs', sourceMap: true, sdk: 'bundled' };
const CONFIGS: readonly BundleConfig[] = [
  CJS_MAP,
  { format: 'cjs', sourceMap: false, sdk: 'bundled' },
  { format: 'esm', sourceMap: true, sdk: 'bundled' },
  { format: 'esm', sourceMap: false, sdk: 'bundled' },
];
const SDK_EXTERNAL: readonly BundleConfig[] = [
  { format: 'cjs', sourceMap: false, sdk: 'external' },
  { format: 'esm', sourceMap: false, sdk: 'external' },
];

/** Environment a bundle runs with: NODE_OPTIONS follows the source-map setting, as SecureFunction sets it. */
function envFor(base: Readonly<Record<string, string>>, config: BundleConfig): Record<string, string> {
  const env = { ...base };
  delete env.NODE_OPTIONS;
  if (config.sourceMap) env.NODE_OPTIONS = '--enable-source-maps';
  return env;
}

function deployedConfig(fn: SynthFunction): BundleConfig {
  return {
    format: fn.bundleFile.endsWith('.mjs') ? 'esm' : 'cjs',
    sourceMap: fs.existsSync(`${fn.bundleFile}.map`) && fn.env.NODE_OPTIONS?.includes('--enable-source-maps') === true,
    sdk: 'bundled',
  };
}

function sameConfig(a: BundleConfig, b: BundleConfig): boolean {
  return a.format === b.format && a.sourceMap === b.sourceMap && a.sdk === b.sdk;
}

/** Synthesizes in-process (no rule packs) when the CLI synth fails, so the bundles can still be measured. */
async function inProcessSynth(outdir: string): Promise<void> {
  const { App } = await import('aws-cdk-lib');
  const { FinancialApiStack } = await import('../../lib/stacks/financial-api-stack');
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  new FinancialApiStack(app, 'FinancialApiStack', { allowedOrigins: ['https://app.example.com'], env: { account: '123456789012', region: 'eu-west-1' } });
  app.synth();
}

function timeNpmTest(): { ok: boolean; wallMs: number } {
  log('timing npm test (the whole suite)...');
  const start = performance.now();
  const r = spawnSync('npm', ['test', '--silent'], { cwd: ROOT, stdio: 'ignore', env: process.env });
  return { ok: r.status === 0, wallMs: performance.now() - start };
}

function runWarm(spec: WarmSpec, dir: string): Promise<WarmResult> {
  const file = path.join(dir, 'warm-spec.json');
  fs.writeFileSync(file, JSON.stringify(spec));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'warm.ts'), file], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_EC2_METADATA_DISABLED: 'true', TZ: 'UTC' },
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => { out += d.toString(); });
    child.on('close', (code) => {
      if (code === 0 && out) resolve(JSON.parse(out) as WarmResult);
      else reject(new Error(`warm bench failed (${String(code)}): ${err.slice(-3000)}`));
    });
  });
}

interface FunctionReport {
  readonly name: string;
  readonly kind: SynthFunction['kind'];
  readonly logicalId: string;
  readonly deployed: { config: string; bytes: number; gzipBytes: number; mapBytes: number; packages: Record<string, number>; rebuildMatches?: boolean };
  readonly firstInvoke: string;
  readonly cold?: ColdStats & { aboveFloorMs: number; floorCase: string; vsExpress: number };
  readonly variants: { config: string; bytes: number; gzipBytes: number; initMs: number; aboveFloorMs: number; sinceStartMs: number; iqrMs: number }[];
}

const expectStatus = (lo: number, hi: number) => (o: Outcome): string | undefined =>
  o.kind === 'response' && o.statusCode !== undefined && o.statusCode >= lo && o.statusCode <= hi ? undefined : `expected HTTP ${lo}-${hi}`;
const expectAllow = (o: Outcome): string | undefined => (o.kind === 'policy' && o.effects.includes('Allow') ? undefined : 'expected an Allow policy');
const expectUnauthorized = (o: Outcome): string | undefined => (o.kind === 'thrown' && o.message === 'Unauthorized' ? undefined : 'expected Unauthorized');

async function main(): Promise<void> {
  const started = performance.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  fs.rmSync(BUILD_DIR, { recursive: true, force: true });

  // 1. synth
  log('cdk synth of the example app (timed)...');
  const synthDir = path.join(tmp, 'cdk.out');
  const synth: SynthResult = cdkSynth(ROOT, synthDir);
  if (!synth.ok) {
    log(`cdk synth FAILED; measuring bundles from an in-process synth without rule packs:\n${synth.error ?? ''}`);
    fs.rmSync(synthDir, { recursive: true, force: true });
    await inProcessSynth(synthDir);
  }
  const functions = discoverFunctions(ROOT, synthDir, PAYMENTS_ROUTES);
  log(`functions: ${functions.map((f) => `${f.name} (${f.kind})`).join(', ')}`);

  // 1b. the local run (issue #13) on the assembly just synthesized: start, warm overhead, cold start with DynamoDB
  log('local run: start time, warm request overhead, cold start with the first DynamoDB call...');
  let local: LocalBenchResult | undefined;
  try {
    local = await benchLocal(synthDir);
  } catch (err) {
    log(`local run FAILED: ${(err as Error).message}`);
  }

  // 2. builds: variants, floors, probes, baseline
  const kit = await tokenKit();
  const builds = new Map<string, BuiltBundle>();
  const buildOnce = async (key: string, entry: string, config: BundleConfig): Promise<BuiltBundle> => {
    const b = await bundleEntry(entry, path.join(BUILD_DIR, key.replace(/[^A-Za-z0-9_.-]+/g, '_')), config);
    builds.set(key, b);
    return b;
  };
  const hello = path.join(__dirname, 'fixtures', 'hello.ts');
  for (const c of [...CONFIGS]) await buildOnce(`hello@${configLabel(c)}`, hello, c);
  const express = await buildOnce('express-stack', path.join(__dirname, 'baseline', 'express-stack.ts'), CJS_MAP);
  const expressNoMap = await buildOnce('express-stack@cjs', path.join(__dirname, 'baseline', 'express-stack.ts'), { ...CJS_MAP, sourceMap: false });
  const zodClassic = await buildOnce('probe zod classic', path.join(__dirname, 'probes', 'zod-classic-handler.ts'), CJS_MAP);
  const zodMini = await buildOnce('probe zod/mini', path.join(__dirname, 'probes', 'zod-mini-handler.ts'), CJS_MAP);

  // 3. cold cases
  const cases: ColdCase[] = [{ id: 'empty process', bundle: null, env: {}, check: (o) => (o.kind === 'none' ? undefined : 'expected nothing') }];
  for (const c of CONFIGS) {
    cases.push({ id: `hello@${configLabel(c)}`, bundle: builds.get(`hello@${configLabel(c)}`)?.entryFile ?? null, env: envFor({}, c), event: {}, check: expectStatus(200, 200) });
  }
  const allowRoute = { method: 'GET', path: '/', scopes: [] as string[], groups: [] as string[] };
  const token = { value: '' };
  const authorizerFn = functions.find((f) => f.kind === 'authorizer');
  let authorizerEnv: Record<string, string> = {};
  if (authorizerFn) {
    const policy = JSON.parse(authorizerFn.env[AUTHORIZER_ENV_NAMES.routePolicy] ?? '[]') as [string, string, string[], string[]?][];
    const first = policy[0];
    if (first) Object.assign(allowRoute, { method: first[0], path: first[1], scopes: first[2], groups: first[3] ?? [] });
    authorizerEnv = {
      ...Object.fromEntries(authorizerFn.tokenEnv.map((k) => [k, `bench-${k.toLowerCase()}`])),
      ...authorizerFn.env,
      [AUTHORIZER_ENV_NAMES.userPoolId]: BENCH_POOL_ID,
      [AUTHORIZER_ENV_NAMES.userClientIds]: BENCH_USER_CLIENT,
      [AUTHORIZER_ENV_NAMES.machineClientIds]: BENCH_MACHINE_CLIENT,
      // The template's integration map holds client-id tokens: the bench's machine client stands in for them.
      ...(AUTHORIZER_ENV_NAMES.machineIntegrations in authorizerFn.env || authorizerFn.tokenEnv.includes(AUTHORIZER_ENV_NAMES.machineIntegrations)
        ? { [AUTHORIZER_ENV_NAMES.machineIntegrations]: JSON.stringify([{ id: 'bench-partner', clients: [BENCH_MACHINE_CLIENT], key: 'USAGE_KEY_0' }]) }
        : {}),
    };
  }
  token.value = await kit.accessToken(allowRoute.scopes.length > 0 ? allowRoute.scopes : ['payments/write'], allowRoute.groups.slice(0, 1));
  const jwks = { url: BENCH_JWKS_URL, body: kit.jwks };
  const allowEvent = authorizerEvent(ROOT, allowRoute.method, allowRoute.path, `Bearer ${token.value}`);

  const createRoute = PAYMENTS_ROUTES.find((r) => r.method === 'POST' && r.path === '/payments');
  const expressEvent = {
    ...validationFailureEvent(ROOT, createRoute ?? { method: 'POST', path: '/payments', handler: 'create-payment', auth: { scopes: ['payments/write'] }, body: {} as never, requiredHeaders: ['Idempotency-Key'] }),
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token.value}`, 'Idempotency-Key': 'bench-idempotency-key-0001' },
  };
  const expressEnv = { BENCH_JWKS: JSON.stringify(kit.jwks), BENCH_ISSUER, NODE_OPTIONS: '--enable-source-maps' };
  cases.push({ id: 'express-stack', bundle: express.entryFile, env: expressEnv, event: expressEvent, check: expectStatus(400, 400) });
  cases.push({ id: 'express-stack@cjs', bundle: expressNoMap.entryFile, env: envFor(expressEnv, { ...CJS_MAP, sourceMap: false }), event: expressEvent, check: expectStatus(400, 400) });
  const probeEvent = { body: JSON.stringify(INVALID_PAYMENT) };
  cases.push({ id: 'probe zod classic', bundle: zodClassic.entryFile, env: envFor({}, CJS_MAP), event: probeEvent, check: expectStatus(400, 400) });
  cases.push({ id: 'probe zod/mini', bundle: zodMini.entryFile, env: envFor({}, CJS_MAP), event: probeEvent, check: expectStatus(400, 400) });

  const fnPlans: { fn: SynthFunction; deployed: BundleConfig; deployedCase?: string; variantCases: { config: BundleConfig; id: string }[]; firstInvoke: string }[] = [];
  let sdkRepresentativeTaken = false;
  for (const fn of functions) {
    const deployed = deployedConfig(fn);
    const rebuilt = fn.entry ? await buildOnce(`${fn.name}@${configLabel(deployed)}`, fn.entry, deployed) : undefined;
    const plan: (typeof fnPlans)[number] = { fn, deployed, variantCases: [], firstInvoke: 'not invoked (unknown function)' };
    fnPlans.push(plan);
    let event: unknown;
    let env: Record<string, string> = { ...Object.fromEntries(fn.tokenEnv.map((k) => [k, `bench-${k.toLowerCase()}`])), ...fn.env };
    let check: ColdCase['check'];
    let withJwks: ColdCase['jwks'];
    if (fn.kind === 'authorizer') {
      env = authorizerEnv;
      event = allowEvent;
      check = expectAllow;
      withJwks = jwks;
      plan.firstInvoke = `allow decision on ${allowRoute.method} ${allowRoute.path} (RS256 token, JWKS served in-process)`;
      cases.push({ id: `${fn.name} (deny, malformed token)`, bundle: fn.bundleFile, env, event: authorizerEvent(ROOT, allowRoute.method, allowRoute.path, 'Bearer abc.def.ghi'), jwks, check: expectUnauthorized });
    } else if (fn.kind === 'handler' && fn.routes[0]) {
      const route = fn.routes[0];
      event = validationFailureEvent(ROOT, route);
      check = expectStatus(400, 499);
      plan.firstInvoke = `${route.method} ${route.path}: validation failure (4xx, no network)`;
      const probe = await runCaseOnce({ id: fn.name, bundle: fn.bundleFile, env, event, check }, path.join(tmp, 'probe'));
      if (check(probe) !== undefined && route.body !== undefined) {
        // The handler needs the network before its schema runs (e.g. a webhook authenticates the raw
        // body with a secret first): measure the earliest offline rejection instead, and say so.
        const e = event as { headers: Record<string, string> };
        event = { ...e, headers: { ...e.headers, 'Content-Type': 'text/plain' } };
        plan.firstInvoke = `${route.method} ${route.path}: 415 before the body is read (its validation path needs the network first)`;
      }
    } else {
      continue;
    }
    plan.deployedCase = `${fn.name}@deployed`;
    cases.push({ id: plan.deployedCase, bundle: fn.bundleFile, env, event, jwks: withJwks, check });
    if (!fn.entry || !rebuilt) continue;
    const usesSdk = Object.keys(rebuilt.packages).some((p) => p.startsWith('@aws-sdk/'));
    // Handlers share one runtime kit, so one SDK-using handler (POST /payments when present) stands
    // for all of them and keeps the run within minutes; --all-variants measures every function.
    const representative = fn.kind === 'authorizer' || (usesSdk && !sdkRepresentativeTaken
      && (fn.routes.some((r) => r.method === 'POST' && r.path === '/payments') || !functions.some((f) => f.routes.some((r) => r.method === 'POST' && r.path === '/payments'))));
    if (usesSdk && representative && fn.kind !== 'authorizer') sdkRepresentativeTaken = true;
    if (!ALL_VARIANTS && !representative) continue;
    for (const c of [...CONFIGS, ...(usesSdk ? SDK_EXTERNAL : [])]) {
      if (sameConfig(c, deployed)) continue;
      const b = await buildOnce(`${fn.name}@${configLabel(c)}`, fn.entry, c);
      const id = `${fn.name}@${configLabel(c)}`;
      plan.variantCases.push({ config: c, id });
      cases.push({ id, bundle: b.entryFile, env: envFor(env, c), event, jwks: withJwks, check });
    }
  }

  log(`cold starts: ${cases.length} cases x ${RUNS} fresh processes (+1 warm-up round)...`);
  let lastPct = -1;
  const cold = await measureCold(cases, RUNS, path.join(tmp, 'cold'), (d, t) => {
    const pct = Math.floor((100 * d) / t / 10) * 10;
    if (pct !== lastPct) { lastPct = pct; log(`  ${pct}%`); }
  });

  // 4. warm
  log('warm throughput...');
  const createFn = functions.find((f) => f.kind === 'handler' && f.routes.some((r) => r.method === 'POST' && r.path === '/payments'));
  const schemasModule = path.join(ROOT, 'lambda', 'example', 'schemas', 'payments.ts');
  const warm = await runWarm({
    token: token.value, jwks: kit.jwks, jwksUrl: BENCH_JWKS_URL, issuer: BENCH_ISSUER, userPoolId: BENCH_POOL_ID,
    clientIds: [BENCH_USER_CLIENT, BENCH_MACHINE_CLIENT], validBody: VALID_PAYMENT, invalidBody: INVALID_PAYMENT,
    timeMs: WARM_MS, rounds: 3,
    authorizer: authorizerFn ? { bundle: authorizerFn.bundleFile, env: authorizerEnv, event: allowEvent } : undefined,
    createPayment: createFn?.routes[0]
      ? { bundle: createFn.bundleFile, env: { ...Object.fromEntries(createFn.tokenEnv.map((k) => [k, `bench-${k.toLowerCase()}`])), ...createFn.env }, event: validationFailureEvent(ROOT, createFn.routes[0]) }
      : undefined,
    express: { bundle: express.entryFile, env: expressEnv, event: expressEvent },
    schemasModule: fs.existsSync(schemasModule) ? schemasModule : undefined,
  }, tmp);

  const tests = WITH_TEST_TIME ? timeNpmTest() : undefined;

  // 5. report
  const stat = (id: string): ColdStats => {
    const s = cold.get(id);
    if (!s) throw new Error(`no cold stats for ${id}`);
    return s;
  };
  const floorFor = (c: BundleConfig): string => `hello@${configLabel({ ...c, sdk: 'bundled' })}`;
  // Ratios use the Express stack's faster bundling (with or without source maps): the harder comparison.
  const expressCold = [stat('express-stack'), stat('express-stack@cjs')].sort((a, b) => a.sinceStartMs - b.sinceStartMs)[0] as ColdStats;
  const reports: FunctionReport[] = fnPlans.map(({ fn, deployed, deployedCase, variantCases, firstInvoke }) => {
    const size = measureFile(fn.bundleFile);
    const rebuilt = builds.get(`${fn.name}@${configLabel(deployed)}`);
    const c = deployedCase ? stat(deployedCase) : undefined;
    const floor = floorFor(deployed);
    return {
      name: fn.name,
      kind: fn.kind,
      logicalId: fn.logicalId,
      deployed: { config: configLabel(deployed), bytes: size.bytes, gzipBytes: size.gzipBytes, mapBytes: size.mapBytes, packages: rebuilt?.packages ?? {}, rebuildMatches: rebuilt ? rebuilt.bytes === size.bytes : undefined },
      firstInvoke,
      cold: c ? { ...c, aboveFloorMs: c.initMs - stat(floor).initMs, floorCase: floor, vsExpress: expressCold.sinceStartMs / c.sinceStartMs } : undefined,
      variants: [
        ...(c ? [{ config: `${configLabel(deployed)} (deployed)`, bytes: size.bytes, gzipBytes: size.gzipBytes, initMs: c.initMs, aboveFloorMs: c.initMs - stat(floor).initMs, sinceStartMs: c.sinceStartMs, iqrMs: c.initIqrMs }] : []),
        ...variantCases.map(({ config, id }) => {
          const b = builds.get(id) as BuiltBundle;
          const s = stat(id);
          return { config: configLabel(config), bytes: b.bytes, gzipBytes: b.gzipBytes, initMs: s.initMs, aboveFloorMs: s.initMs - stat(floorFor(config)).initMs, sinceStartMs: s.sinceStartMs, iqrMs: s.initIqrMs };
        }),
      ],
    };
  });

  const notable = (p: Record<string, number>): string => Object.entries(p).filter(([, b]) => b >= 2000).sort((a, b) => b[1] - a[1])
    .slice(0, 5).map(([n, b]) => `${n.replace('@aws-lambda-powertools/', 'pt/').replace('@aws-sdk/', 'sdk/')} ${fmt(kb(b))}`).join(', ');

  print(`\nBenchmark  ${new Date().toISOString()}  node ${process.version}  ${os.cpus().length} CPU  runs=${RUNS} (medians of fresh processes)`);
  print('\nBundles as synthesized (KB = 1000 bytes; init = import + first invoke in a fresh process; floor = hello bundled the same way)');
  print(table(['function', 'config', 'raw KB', 'gzip KB', 'map KB', 'init ms', '+floor ms', 'IQR', 'cold ms', 'x Express', 'largest parts (KB)'],
    reports.map((r) => [r.name, r.deployed.config, kb(r.deployed.bytes), kb(r.deployed.gzipBytes), kb(r.deployed.mapBytes),
      r.cold?.initMs ?? NaN, r.cold?.aboveFloorMs ?? NaN, r.cold?.initIqrMs ?? NaN, r.cold?.sinceStartMs ?? NaN, r.cold?.vsExpress ?? NaN, notable(r.deployed.packages)])));
  print(reports.map((r) => `  ${r.name}: first invoke = ${r.firstInvoke}`).join('\n'));
  const authDeny = authorizerFn ? cold.get(`${authorizerFn.name} (deny, malformed token)`) : undefined;

  const refRows: (string | number)[][] = ['empty process', ...CONFIGS.map((c) => `hello@${configLabel(c)}`), 'express-stack', 'express-stack@cjs', 'probe zod classic', 'probe zod/mini']
    .map((id) => {
      const s = stat(id);
      const b = id === 'probe zod classic' ? zodClassic : id === 'probe zod/mini' ? zodMini : builds.get(id);
      return [id, b ? kb(b.bytes) : NaN, s.initMs, s.initIqrMs, s.sinceStartMs];
    });
  if (authDeny) refRows.push(['authorizer deny (malformed token)', NaN, authDeny.initMs, authDeny.initIqrMs, authDeny.sinceStartMs]);
  print('\nReference cold starts (cold ms = process start to first response)');
  print(table(['case', 'raw KB', 'init ms', 'IQR', 'cold ms'], refRows));

  print('\nBundling variants (same entry, rebuilt with SecureFunction\'s esbuild options; +floor against hello in the same format/source-map setting)');
  print(table(['function', 'config', 'raw KB', 'gzip KB', 'init ms', '+floor ms', 'IQR', 'cold ms'],
    reports.flatMap((r) => r.variants.map((v) => [r.name, v.config, kb(v.bytes), kb(v.gzipBytes), v.initMs, v.aboveFloorMs, v.iqrMs, v.sinceStartMs]))));

  const ops = (k: string): number => warm[k]?.opsPerSec ?? NaN;
  print('\nWarm throughput (median of 3 interleaved rounds)');
  print(table(['task', 'ops/s'], Object.entries(warm).map(([k, v]) => [k, v.opsPerSec])));

  if (local) {
    print('\nLocal run (npm start on an up-to-date synth; p50 of sequential requests)');
    print(table(['case', 'ms'], [
      ['start: startLocalRun to ready (median)', localMedian(local.startupMs)],
      ...Object.entries(local.warm).flatMap(([k, v]) => [
        [`${k}: whole local path p50`, v.totalP50Ms],
        [`${k}: handler's own time p50`, v.handlerP50Ms],
        [`${k}: local overhead p50`, v.overheadP50Ms],
      ]),
      ['create-payment cold start incl. first DynamoDB PutItem: request total (median)', localMedian(local.coldWithDynamo.totalMs)],
      ['  of which init (worker-reported, median)', localMedian(local.coldWithDynamo.initMs)],
      ['  of which first handler call incl. DynamoDB (median)', localMedian(local.coldWithDynamo.handlerMs)],
    ]));
  }

  print('\nBuild and test');
  print(table(['step', 'wall s', 'status'], [
    ['cdk synth (example app, CLI, rule packs)', synth.wallMs / 1000, synth.ok ? 'ok' : 'FAILED'],
    ['npm test', tests ? tests.wallMs / 1000 : NaN, tests ? (tests.ok ? 'ok' : 'FAILED') : 'not run (add -- --with-test-time)'],
  ]));

  // Targets
  type Verdict = 'PASS' | 'MISS' | 'N/A';
  const targets: { target: string; value: string; verdict: Verdict }[] = [];
  const t = (target: string, ok: boolean | undefined, value: string): void => {
    targets.push({ target, value, verdict: ok === undefined ? 'N/A' : ok ? 'PASS' : 'MISS' });
  };
  const auth = reports.find((r) => r.kind === 'authorizer');
  t('authorizer bundle <= 80 KB', auth ? auth.deployed.bytes <= 80_000 : undefined, auth ? `${fmt(kb(auth.deployed.bytes))} KB` : 'authorizer not in the app yet');
  t('authorizer init <= 15 ms above floor', auth?.cold ? auth.cold.aboveFloorMs <= 15 : undefined, auth?.cold ? `+${fmt(auth.cold.aboveFloorMs)} ms` : 'authorizer not in the app yet');
  t('authorizer cold start >= 2x faster than Express stack', auth?.cold ? auth.cold.vsExpress >= 2 : undefined, auth?.cold ? `${fmt(auth.cold.vsExpress)}x` : 'authorizer not in the app yet');
  t('authorizer carries no zod / @aws-sdk', auth ? !Object.keys(auth.deployed.packages).some((p) => p === 'zod' || p.startsWith('@aws-sdk/')) : undefined,
    auth ? Object.keys(auth.deployed.packages).join(' ') : 'authorizer not in the app yet');
  for (const r of reports.filter((x) => x.kind === 'handler')) {
    t(`${r.name} bundle <= 450 KB (stretch 100 KB)`, r.deployed.bytes <= 450_000, `${fmt(kb(r.deployed.bytes))} KB${r.deployed.bytes <= 100_000 ? ' (stretch met)' : ''}`);
    if (r.cold) {
      t(`${r.name} init <= 60 ms above floor`, r.cold.aboveFloorMs <= 60, `+${fmt(r.cold.aboveFloorMs)} ms`);
      t(`${r.name} cold start >= 1.5x faster than Express stack`, r.cold.vsExpress >= 1.5, `${fmt(r.cold.vsExpress)}x`);
    }
    t(`${r.name} carries no aws-jwt-verify`, !('aws-jwt-verify' in r.deployed.packages), r.deployed.rebuildMatches === undefined ? 'no entry to inspect' : 'checked in esbuild metafile');
  }
  const bare = ops('aws-jwt-verify verifySync');
  const ours = ops('our authorizer (handler, allow)');
  const jwtOps = ops('jsonwebtoken + jwks-rsa (cached key)');
  t('authorizer decisions/s >= 0.8x bare verifySync', Number.isFinite(ours) ? ours / bare >= 0.8 : undefined,
    Number.isFinite(ours) ? `${fmt(ours / bare)}x (${fmt(ours)} vs ${fmt(bare)}/s; ${fmt(ours / jwtOps)}x jsonwebtoken)` : `authorizer not in the app yet; verifySync ${fmt(bare / jwtOps)}x jsonwebtoken`);
  for (const kind of ['valid', 'invalid'] as const) {
    const z = ops(`zod CreatePaymentBody ${kind}`);
    const j = ops(`joi ${kind}`);
    t(`validation (${kind} body) >= 3x Joi`, Number.isFinite(z) ? z / j >= 3 : undefined, Number.isFinite(z) ? `${fmt(z / j)}x (${fmt(z)} vs ${fmt(j)}/s)` : 'lambda/example/schemas not present');
  }
  t('npm start ready <= 15 s after an up-to-date synth', local ? localMedian(local.startupMs) <= 15_000 : undefined,
    local ? `${fmt(localMedian(local.startupMs) / 1000)} s` : 'local run failed');
  for (const [k, v] of Object.entries(local?.warm ?? {})) {
    t(`local path adds <= 5 ms p50 (${k})`, v.overheadP50Ms <= 5, `+${fmt(v.overheadP50Ms)} ms (handler ${fmt(v.handlerP50Ms)} ms)`);
  }
  t('cdk synth <= 30 s', synth.ok ? synth.wallMs <= 30_000 : false, `${fmt(synth.wallMs / 1000)} s${synth.ok ? '' : ' (synth failed)'}`);
  t('npm test <= 60 s', tests ? tests.ok && tests.wallMs <= 60_000 : undefined, tests ? `${fmt(tests.wallMs / 1000)} s${tests.ok ? '' : ' (suite failed)'}` : 'not measured (npm run bench -- --with-test-time)');

  print('\nTargets (issue #8)');
  print(table(['target', 'measured', 'verdict'], targets.map((x) => [x.target, x.value, x.verdict])));

  const report = {
    generatedAt: new Date().toISOString(),
    machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', platform: `${os.platform()} ${os.arch()}` },
    runs: RUNS,
    synth: { ok: synth.ok, wallMs: synth.wallMs, error: synth.error },
    npmTest: tests ?? null,
    functions: reports,
    reference: Object.fromEntries(['empty process', ...CONFIGS.map((c) => `hello@${configLabel(c)}`), 'express-stack', 'express-stack@cjs', 'probe zod classic', 'probe zod/mini']
      .map((id) => [id, stat(id)])),
    probes: {
      'express-stack': { bytes: express.bytes, gzipBytes: express.gzipBytes, mapBytes: express.mapBytes, packages: express.packages },
      'zod classic': { bytes: zodClassic.bytes, gzipBytes: zodClassic.gzipBytes, packages: zodClassic.packages },
      'zod/mini': { bytes: zodMini.bytes, gzipBytes: zodMini.gzipBytes, packages: zodMini.packages },
    },
    authorizerDenyBeforeJwks: authDeny ?? null,
    local: local ?? null,
    warm,
    targets,
    benchWallMs: performance.now() - started,
  };
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
  print(`\nWrote ${path.relative(ROOT, OUT)} in ${fmt(report.benchWallMs / 1000)} s.`);
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
