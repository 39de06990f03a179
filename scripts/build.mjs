// The package build (`npm run build`, run by `npm pack` through `prepack`): CommonJS + .d.ts + declaration
// maps with tsc into dist/, then the functions the library deploys on its own, pre-bundled by esbuild with the
// same options SecureFunction uses, into dist/functions/<name>/index.js.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
rmSync(join(root, 'dist'), { recursive: true, force: true });
const tsc = (project) => execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, project)], { stdio: 'inherit', cwd: root });
tsc('tsconfig.build.json');
// The runtime kit again as ES modules, for bundlers only (the `module` export condition, which esbuild, webpack
// and rollup honour and Node ignores): a handler bundle then carries only the parts of the kit it imports.
tsc('tsconfig.build.esm.json');

// Static files the compiled code reads at run time (e.g. the local runner's web page) sit next to it.
for (const dir of ['lib']) copyStatic(join(root, dir), join(root, 'dist', dir));

const { LIBRARY_FUNCTIONS, LIBRARY_FUNCTIONS_DIR, buildLibraryFunction } = require(join(root, 'dist/lib/common/library-functions.js'));
for (const name of Object.keys(LIBRARY_FUNCTIONS)) {
  const bytes = buildLibraryFunction(name, join(root, LIBRARY_FUNCTIONS_DIR, name), root);
  console.log(`pre-bundled ${name}: ${(bytes / 1024).toFixed(1)} KB`);
}

function copyStatic(from, to) {
  if (!existsSync(from)) return;
  for (const entry of readdirSync(from)) {
    const src = join(from, entry);
    if (entry === 'stacks') continue; // the example app is not part of the package
    if (statSync(src).isDirectory()) copyStatic(src, join(to, entry));
    else if (/\.(html|css|js|mjs|cjs|json)$/.test(entry) && !entry.endsWith('.d.ts')) cpSync(src, join(to, entry));
  }
}
