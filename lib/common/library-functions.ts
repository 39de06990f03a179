/* eslint-disable security/detect-non-literal-fs-filename -- synth-time build: every path is this package's own folder or its cache */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { DEFAULT_ESBUILD_TARGET, LAMBDA_UNUSED_SDK_MODULES } from '../defaults/lambda';

/**
 * Functions the library deploys on its own (not written by the consumer). They ship **pre-bundled** in
 * the package (`dist/functions/<name>/index.js`, built once by `npm run build`), so a consumer needs neither
 * esbuild nor Docker for them (a `NodejsFunction` entry inside `node_modules` breaks, aws-cdk issue 9759).
 */
export const LIBRARY_FUNCTIONS = Object.freeze({
  /** The Cognito access-token REQUEST authorizer (`lambda/functions/authorizer`). */
  authorizer: 'lambda/functions/authorizer/index.ts',
  /** Rotation of a random HMAC key held in Secrets Manager (`lambda/functions/rotation`). */
  'rotation-random-key': 'lambda/functions/rotation/random-key.ts',
});

/** Name of a pre-bundled library function. */
export type LibraryFunctionName = keyof typeof LIBRARY_FUNCTIONS;

/** Folder of the pre-bundled functions inside the package. */
export const LIBRARY_FUNCTIONS_DIR = path.join('dist', 'functions');

/** The esbuild options every library function is bundled with: the same as `SecureFunction`'s defaults. */
export function libraryBundleOptions(entry: string): import('esbuild').BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: DEFAULT_ESBUILD_TARGET,
    minify: true,
    sourcemap: false,
    mainFields: ['module', 'main'],
    external: [...LAMBDA_UNUSED_SDK_MODULES],
    logLevel: 'error',
    legalComments: 'none',
  };
}

/** The package root: the folder holding this library's package.json (source checkout or installed copy). */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      const { name } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === '@secure-api/cdk') return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`@secure-api/cdk: cannot find the package root above ${__dirname}`);
    dir = parent;
  }
}

const built = new Map<LibraryFunctionName, string>();

/**
 * The asset folder of a library function. Compiled code (the installed package) uses its pre-bundled copy;
 * the TypeScript sources (this repository's tests and `cdk synth`) bundle the current source once per process
 * with the same options as `npm run build`, into a content-addressed cache, so they never run a stale bundle.
 */
export function libraryFunctionDir(name: LibraryFunctionName): string {
  const cached = built.get(name);
  if (cached) return cached;
  const root = packageRoot();
  let dir: string;
  if (__filename.endsWith('.ts')) {
    dir = bundleFromSource(root, name, path.join(root, LIBRARY_FUNCTIONS[name]));
  } else {
    dir = path.join(root, LIBRARY_FUNCTIONS_DIR, name);
    if (!fs.existsSync(path.join(dir, 'index.js'))) {
      throw new Error(`@secure-api/cdk: the pre-bundled function ${name} is missing from ${dir}; reinstall the package`);
    }
  }
  built.set(name, dir);
  return dir;
}

/** Lambda code of a library function (`index.handler`). */
export function libraryFunctionCode(name: LibraryFunctionName): Code {
  return Code.fromAsset(libraryFunctionDir(name));
}

/** Bundles a library function into `outdir/index.js` (used by `npm run build`). */
export function buildLibraryFunction(name: LibraryFunctionName, outdir: string, root = packageRoot()): number {
  const code = bundle(path.join(root, LIBRARY_FUNCTIONS[name]));
  fs.mkdirSync(outdir, { recursive: true });
  fs.writeFileSync(path.join(outdir, 'index.js'), code);
  return code.length;
}

function bundleFromSource(root: string, name: LibraryFunctionName, source: string): string {
  const code = bundle(source);
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const dir = path.join(root, 'node_modules', '.cache', 'secure-api-functions', `${name}-${hash}`);
  const file = path.join(dir, 'index.js');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    // Parallel test workers may build the same bundle: write aside, then rename (atomic on one filesystem).
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, file);
  }
  return dir;
}

function bundle(entry: string): Buffer {
  // esbuild is a dev dependency of this repository (and a peer dependency for consumers' own handlers);
  // it is only reached here from a source checkout or from the package build.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  const result = esbuild.buildSync({ ...libraryBundleOptions(entry), write: false });
  const out = result.outputFiles[0];
  if (!out) throw new Error(`@secure-api/cdk: esbuild produced no output for ${entry}`);
  return Buffer.from(out.contents);
}
