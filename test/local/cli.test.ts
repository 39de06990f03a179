import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { assemblyIsStale, main } from '../../lib/local/cli';
import { captureOutput } from '../helpers/tokens';

// The command's guard rails: loopback only unless told otherwise, a failed synth is reported and
// exits non-zero, a stale or differently-configured assembly is re-synthesized.

jest.setTimeout(120_000);

function tempApp(app: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-cli-'));
  fs.writeFileSync(path.join(dir, 'cdk.json'), JSON.stringify({ app, watch: { include: ['src/**'] } }));
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src', 'app.js'), '// source');
  return dir;
}

test('refuses a non-loopback host without --allow-non-loopback, naming the flag', async () => {
  const dir = tempApp('node -e ""');
  const { result, output } = await captureOutput(() => main(['local', '--host', '0.0.0.0', '--no-synth', '--assembly', dir], dir));
  expect(result).toBe(1);
  expect(output).toMatch(/refusing to listen on 0\.0\.0\.0.*--allow-non-loopback/);
});

test('a failed synth prints the synth error and exits non-zero', async () => {
  const dir = tempApp('node -e "console.error(\'the app is broken: SecureApiConfigError at allowedOrigins\'); process.exit(2)"');
  const { result, output } = await captureOutput(() => main(['local', '--assembly', path.join(dir, 'cdk.out')], dir));
  expect(result).toBe(1);
  expect(output).toContain('the app is broken: SecureApiConfigError at allowedOrigins');
  expect(output).toMatch(/synth failed/);
});

test('an assembly is stale when missing, older than the sources, or made with other -c context', () => {
  const dir = tempApp('node -e ""');
  const out = path.join(dir, 'cdk.out');
  expect(assemblyIsStale(dir, out)).toBe(true);
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(out, 'manifest.json'), '{}');
  fs.writeFileSync(path.join(out, 'secure-api-local-context.json'), JSON.stringify(['a=b']));
  const past = new Date(Date.now() - 60_000);
  fs.utimesSync(path.join(dir, 'src', 'app.js'), past, past);
  fs.utimesSync(path.join(dir, 'cdk.json'), past, past);
  expect(assemblyIsStale(dir, out, ['a=b'])).toBe(false);
  expect(assemblyIsStale(dir, out, ['a=c'])).toBe(true);
  fs.writeFileSync(path.join(dir, 'src', 'app.js'), '// changed');
  fs.utimesSync(path.join(out, 'manifest.json'), past, past);
  expect(assemblyIsStale(dir, out, ['a=b'])).toBe(true);
});
