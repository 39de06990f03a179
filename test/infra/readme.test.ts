/**
 * The README's "Use it in your own app" files are the packaging test's consumer app, byte for byte: CI compiles
 * and synthesizes exactly what a newcomer copies (scripts/consumer-test.sh), so the README cannot drift.
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const APP = path.join(ROOT, 'test', 'package', 'app-ts');

function appFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? appFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]);
}

describe('README consumer example', () => {
  const blocks = new Map([...README.matchAll(/\*\*`([^`]+)`\*\*\n\n```ts\n([\s\S]*?)```/g)].map((m) => [m[1] as string, m[2] as string]));

  test.each(appFiles(APP))('%s is shown in the README exactly as the packaging test compiles it', (file) => {
    expect(blocks.get(file)).toBe(fs.readFileSync(path.join(APP, file), 'utf8'));
  });

  test('the install line names the package and its peers', () => {
    expect(README).toContain('npm install @secure-api/cdk zod esbuild cdk-nag');
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; peerDependencies: Record<string, string> };
    expect(pkg.name).toBe('@secure-api/cdk');
    for (const [name, range] of Object.entries(pkg.peerDependencies)) {
      if (name === 'esbuild') continue;
      expect(README).toContain(`\`${name}\` \`${range}\``);
    }
  });
});
