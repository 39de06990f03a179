#!/usr/bin/env node
// Dependency scanning: `npm audit` where the advisory service answers, plus offline checks that need
// no service. Writes reports/dependencies.md. Exit code: 1 on any failed check or a high/critical
// advisory; an audit that could not run is reported as NOT PERFORMED (never as a pass).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const lines = [];
const failures = [];
const say = (line = '') => { lines.push(line); process.stdout.write(`${line}\n`); };

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));

say('# Dependency report');
say();
say(`Generated ${new Date().toISOString()} by \`npm run audit\`.`);
say();

// 1. npm audit (advisory service).
say('## npm audit --omit=dev --audit-level=high');
say();
const audit = spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
let auditJson;
try { auditJson = JSON.parse(audit.stdout || '{}'); } catch { auditJson = undefined; }
if (auditJson && auditJson.metadata && auditJson.metadata.vulnerabilities) {
  const v = auditJson.metadata.vulnerabilities;
  say(`Performed. Vulnerabilities in runtime dependencies: critical ${v.critical}, high ${v.high}, moderate ${v.moderate}, low ${v.low}.`);
  if (v.critical + v.high > 0) failures.push(`npm audit: ${v.critical} critical and ${v.high} high advisories`);
} else {
  const why = auditJson?.message ?? (audit.error ? String(audit.error.message) : (audit.stderr || '').split('\n').find((l) => l.trim()) ?? 'no answer');
  say(`**NOT PERFORMED**: the advisory service did not answer (${why.trim()}).`);
  say('No claim is made about known vulnerabilities. Run `npm audit --omit=dev` from a network that reaches the advisory service.');
}
say();

// 2. npm ls: the installed runtime tree matches package.json and the lockfile.
say('## npm ls --omit=dev');
say();
const ls = spawnSync('npm', ['ls', '--omit=dev', '--all', '--json'], { cwd: root, encoding: 'utf8' });
if (ls.status === 0) {
  say('Clean: no missing, extraneous or invalid runtime packages.');
} else {
  const problems = (JSON.parse(ls.stdout || '{}').problems ?? []).slice(0, 20);
  say(`FAILED:\n${problems.map((p) => `- ${p}`).join('\n') || ls.stderr}`);
  failures.push('npm ls --omit=dev reports problems');
}
say();

// 3. Pinning: exact versions in package.json, and every runtime package in the lockfile has an
// integrity hash (npm 11 records no download URL; packages bundled inside another package are
// covered by their parent's hash).
say('## Pinning');
say();
const ranged = Object.entries({ ...pkg.dependencies, ...pkg.devDependencies }).filter(([, v]) => !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(v));
const runtimeEntries = Object.entries(lock.packages).filter(([path, meta]) => path.startsWith('node_modules/') && !meta.dev && !meta.link);
const unpinned = runtimeEntries.filter(([, meta]) => !meta.inBundle && !meta.integrity).map(([path]) => path);
if (ranged.length === 0) say('package.json: every direct dependency has an exact version.');
else { say(`package.json: version ranges on ${ranged.map(([n, v]) => `${n}@${v}`).join(', ')}.`); failures.push('direct dependencies with version ranges'); }
if (unpinned.length === 0) say(`package-lock.json: all ${runtimeEntries.length} runtime packages are pinned by an integrity hash (or bundled in a pinned parent).`);
else { say(`package-lock.json: no integrity for ${unpinned.join(', ')}.`); failures.push('runtime packages without integrity'); }
say();

// 4. Install scripts in runtime dependencies (code that runs on `npm ci`).
say('## Install scripts in runtime dependencies');
say();
// Reviewed exceptions: the package, and why its install script is harmless. A new one fails until reviewed here.
const REVIEWED_INSTALL_SCRIPTS = {
  'classic-level': 'LevelDB binding of dynalite (the local runner\'s DynamoDB, `secure-api local` only). Its script is `node-gyp-build`, which only picks one of the prebuilt binaries shipped in the package (prebuilds/ for linux, darwin, win32, android); npm 11 skips it unless approved and the binding loads without it. Nothing is downloaded or compiled.',
};
const allScripts = runtimeEntries.filter(([, meta]) => meta.hasInstallScript).map(([path]) => path.replace(/^.*node_modules\//, ''));
for (const name of allScripts.filter((n) => REVIEWED_INSTALL_SCRIPTS[n])) say(`Reviewed: ${name}: ${REVIEWED_INSTALL_SCRIPTS[name]}`);
const withScripts = allScripts.filter((n) => !REVIEWED_INSTALL_SCRIPTS[n]);
if (withScripts.length === 0) say(allScripts.length === 0 ? 'None.' : 'No other runtime dependency has an install script.');
else { say(`FAILED: ${withScripts.join(', ')}`); failures.push(`runtime dependencies with install scripts: ${withScripts.join(', ')}`); }
say();

// 5. Licenses of runtime dependencies.
say('## Licenses of runtime dependencies');
say();
const licenses = new Map();
for (const [path, meta] of runtimeEntries) {
  let license = meta.license;
  if (!license) {
    try { license = JSON.parse(readFileSync(join(root, path, 'package.json'), 'utf8')).license; } catch { license = undefined; }
  }
  const key = typeof license === 'string' ? license : 'UNKNOWN';
  licenses.set(key, [...(licenses.get(key) ?? []), `${path.replace(/^.*node_modules\//, '')}@${meta.version}`]);
}
// Permissive licenses; a dual license is fine when one option is permissive (we take that one).
const allowed = /^(MIT|MIT-0|ISC|Apache-2\.0|BSD-2-Clause|BSD-3-Clause|0BSD|BlueOak-1\.0\.0|Unlicense|CC0-1\.0|\((MIT|Apache-2\.0) OR [\w.-]+\)|\([\w.-]+ OR (MIT|Apache-2\.0)\))$/;
say('| license | packages | count |');
say('|---|---|---|');
for (const [license, names] of [...licenses.entries()].sort()) {
  say(`| ${license} | ${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''} | ${names.length} |`);
  // Some packages write a dual license informally ("MIT or MPL-2.0", ibantools): read it as the SPDX `(A OR B)` it means.
  const spdx = license.replace(/ or /gi, ' OR ').replace(/^([^()]+ OR [^()]+)$/, '($1)');
  if (!allowed.test(spdx)) failures.push(`license ${license} is not on the allow-list (${names.join(', ')})`);
}
say();

say('## Result');
say();
if (failures.length === 0) say('All offline checks passed.' + (auditJson?.metadata ? '' : ' The advisory audit was NOT performed (see above).'));
else for (const f of failures) say(`- FAILED: ${f}`);

mkdirSync(join(root, 'reports'), { recursive: true });
writeFileSync(join(root, 'reports', 'dependencies.md'), `${lines.join('\n')}\n`);
process.exit(failures.length === 0 ? 0 : 1);
