/**
 * Consumer handlers are bundled by a local esbuild or not at all: without one, synth fails with a message
 * naming `entry` and the install command, instead of CDK's silent fallback to a Docker build.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { esbuildAvailable, requireLocalEsbuild } from '../../lib/constructs/secure-function';
import { testStack } from '../helpers/app';

describe('a local esbuild is required for consumer handlers', () => {
  test('no esbuild package where CDK looks and no esbuild binary on PATH: not available', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'no-esbuild-'));
    try {
      expect(esbuildAvailable([empty], empty)).toBe(false);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  test('the package resolvable from the app (as in this repository): available', () => {
    expect(esbuildAvailable([path.join(__dirname, '..', '..')], '')).toBe(true);
  });

  test('missing esbuild is a synth error naming `entry` and how to install it (never a Docker build)', () => {
    const stack = testStack();
    expect(() => requireLocalEsbuild(stack, 'GetAccount', false)).toThrow(/`entry`.*GetAccount: esbuild is not installed.*never bundles with Docker.*npm install --save-dev esbuild/);
    expect(() => requireLocalEsbuild(stack, 'GetAccount', true)).not.toThrow();
  });
});
