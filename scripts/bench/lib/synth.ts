/* eslint-disable security/detect-non-literal-fs-filename -- a dev-time script: paths are its own temp dirs, the repo and the synth output */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { RouteDefinition, RouteTable } from '../../../lib/routes';

/** Names of the authorizer's environment (lambda/functions/authorizer/route-policy.ts `AUTHORIZER_ENV`). */
export const AUTHORIZER_ENV_NAMES = {
  userPoolId: 'USER_POOL_ID', userClientIds: 'USER_CLIENT_IDS', machineClientIds: 'MACHINE_CLIENT_IDS', routePolicy: 'ROUTE_POLICY',
  machineIntegrations: 'MACHINE_INTEGRATIONS',
} as const;

/** A function of the synthesized example app and what the bench knows about it. */
export interface SynthFunction {
  readonly logicalId: string;
  /** `authorizer` (has ROUTE_POLICY), `handler` (maps to a route's handler), or `other` (sizes only). */
  readonly kind: 'authorizer' | 'handler' | 'other';
  /** Short name: the route handler name, `authorizer`, or the logical id. */
  readonly name: string;
  /** TypeScript entry, when known (variants are rebuilt from it). */
  readonly entry?: string;
  /** Routes served (handlers). */
  readonly routes: readonly RouteDefinition[];
  /** Synthesized bundle entry file (`index.js` / `index.mjs`). */
  readonly bundleFile: string;
  /** Environment from the template; unresolved values (tokens) are left out. */
  readonly env: Readonly<Record<string, string>>;
  /** Names of environment variables whose value is a token (to be given a bench value). */
  readonly tokenEnv: readonly string[];
}

/** Outcome of `cdk synth`. */
export interface SynthResult {
  readonly ok: boolean;
  readonly wallMs: number;
  readonly outdir: string;
  readonly error?: string;
}

/** Runs the example app's `cdk synth` exactly as CI does (CLI, tsx, rule packs), into `outdir`, and times it. */
export function cdkSynth(root: string, outdir: string): SynthResult {
  const start = performance.now();
  const r = spawnSync('npx', ['cdk', 'synth', '--no-notices', '-q', '-o', outdir], {
    cwd: root,
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: '1' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = performance.now() - start;
  if (r.status === 0) return { ok: true, wallMs, outdir };
  return { ok: false, wallMs, outdir, error: `${r.stderr}${r.stdout}`.trim().split('\n').slice(-15).join('\n') };
}

function pascal(s: string): string {
  return s.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

interface TemplateResource {
  readonly Type: string;
  readonly Metadata?: Record<string, unknown>;
  readonly Properties?: { readonly Environment?: { readonly Variables?: Record<string, unknown> } };
}

/**
 * Every bundled `AWS::Lambda::Function` of the stack templates in a cloud assembly directory,
 * found through the `aws:asset:path` metadata (as test/helpers/bundles.ts does), classified
 * against the route table so new handlers and the authorizer are picked up as they land.
 */
export function discoverFunctions(root: string, assemblyDir: string, routes: RouteTable): SynthFunction[] {
  const templates = fs.readdirSync(assemblyDir).filter((f) => f.endsWith('.template.json'));
  const found: SynthFunction[] = [];
  for (const t of templates) {
    const template = JSON.parse(fs.readFileSync(path.join(assemblyDir, t), 'utf8')) as { Resources?: Record<string, TemplateResource> };
    for (const [logicalId, r] of Object.entries(template.Resources ?? {})) {
      const assetPath = r.Metadata?.['aws:asset:path'];
      if (r.Type !== 'AWS::Lambda::Function' || typeof assetPath !== 'string') continue;
      const dir = path.join(assemblyDir, assetPath);
      const bundleFile = ['index.js', 'index.mjs'].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
      if (!bundleFile) continue;
      const variables = r.Properties?.Environment?.Variables ?? {};
      const env: Record<string, string> = {};
      const tokenEnv: string[] = [];
      for (const [k, v] of Object.entries(variables)) {
        if (typeof v === 'string') env[k] = v;
        else tokenEnv.push(k);
      }
      const isAuthorizer = AUTHORIZER_ENV_NAMES.routePolicy in variables;
      const handlerName = isAuthorizer ? undefined
        // Longest match first: `AdminListPaymentsFunction` must not be taken for `list-payments`.
        : [...new Set(routes.map((rt) => rt.handler))].sort((a, b) => b.length - a.length)
          .find((h) => /[0-9A-F]{8}$/.test(logicalId) && logicalId.slice(0, -8).endsWith(`${pascal(h)}Function`));
      const authorizerEntry = path.join(root, 'lambda', 'functions', 'authorizer', 'index.ts');
      const handlerEntry = handlerName ? path.join(root, 'lambda', 'example', 'handlers', `${handlerName}.ts`) : undefined;
      found.push({
        logicalId,
        kind: isAuthorizer ? 'authorizer' : handlerName ? 'handler' : 'other',
        name: isAuthorizer ? 'authorizer' : handlerName ?? logicalId,
        entry: isAuthorizer ? (fs.existsSync(authorizerEntry) ? authorizerEntry : undefined)
          : handlerEntry && fs.existsSync(handlerEntry) ? handlerEntry : undefined,
        routes: handlerName ? routes.filter((rt) => rt.handler === handlerName) : [],
        bundleFile,
        env,
        tokenEnv,
      });
    }
  }
  return found.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'authorizer' ? -1 : b.kind === 'authorizer' ? 1 : 0));
}
