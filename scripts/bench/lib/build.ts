/* eslint-disable security/detect-non-literal-fs-filename -- a dev-time script: paths are its own temp dirs, the repo and the synth output */
import * as fs from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { build, type Metafile } from 'esbuild';
import { LAMBDA_UNUSED_SDK_MODULES } from '../../../lib/defaults/lambda';

/** A bundling configuration the bench compares (the other options are SecureFunction's fixed defaults). */
export interface BundleConfig {
  readonly format: 'cjs' | 'esm';
  readonly sourceMap: boolean;
  /** `external`: `@aws-sdk/*` and `@smithy/*` left out, as when relying on the runtime's copy. */
  readonly sdk: 'bundled' | 'external';
}

/** One built bundle. */
export interface BuiltBundle {
  readonly entryFile: string;
  readonly config: BundleConfig;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Bytes of the `.map` file (0 without a source map). */
  readonly mapBytes: number;
  /** Output bytes per top-level package (`(app)` for the project's own code). */
  readonly packages: Readonly<Record<string, number>>;
}

/** Same banner as SecureFunction: bundled CJS dependencies still call `require` inside an ES module. */
const ESM_BANNER = "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);";

/** Short label of a config, e.g. `cjs+map`, `esm sdk-ext`. */
export function configLabel(c: BundleConfig): string {
  return `${c.format}${c.sourceMap ? '+map' : ''}${c.sdk === 'external' ? ' sdk-ext' : ''}`;
}

/**
 * Bundles `entry` with the options `SecureFunction` hands to esbuild (bundle, platform node, target
 * node24, minify, `mainFields: module,main`, no sources content, ESM banner), varying only `config`.
 * The bench checks this mirror against the synthesized bundle (same config must give the same bytes).
 */
export async function bundleEntry(entry: string, outDir: string, config: BundleConfig): Promise<BuiltBundle> {
  fs.mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, config.format === 'esm' ? 'index.mjs' : 'index.js');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: config.format,
    outfile,
    minify: true,
    sourcemap: config.sourceMap,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    external: config.sdk === 'external' ? ['@aws-sdk/*', '@smithy/*'] : [...LAMBDA_UNUSED_SDK_MODULES],
    banner: config.format === 'esm' ? { js: ESM_BANNER } : undefined,
    metafile: true,
    logLevel: 'error',
  });
  return { ...measureFile(outfile), config, packages: packagesOf(result.metafile, outfile) };
}

/** Raw, gzip (level 9) and source-map sizes of a bundle file. */
export function measureFile(file: string): { entryFile: string; bytes: number; gzipBytes: number; mapBytes: number } {
  const code = fs.readFileSync(file);
  const map = `${file}.map`;
  return {
    entryFile: file,
    bytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    mapBytes: fs.existsSync(map) ? fs.statSync(map).size : 0,
  };
}

/** Output bytes per npm package, from esbuild's metafile. */
function packagesOf(meta: Metafile, outfile: string): Record<string, number> {
  const out = Object.entries(meta.outputs).find(([file]) => path.resolve(file) === path.resolve(outfile));
  const totals: Record<string, number> = {};
  for (const [input, { bytesInOutput }] of Object.entries(out?.[1].inputs ?? {})) {
    const name = packageName(input);
    totals[name] = (totals[name] ?? 0) + bytesInOutput;
  }
  return totals;
}

/** `node_modules/@scope/pkg/...` -> `@scope/pkg`; anything outside node_modules -> `(app)`. */
export function packageName(input: string): string {
  const i = input.lastIndexOf('node_modules/');
  if (i < 0) return '(app)';
  const parts = input.slice(i + 'node_modules/'.length).split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? '(app)');
}
