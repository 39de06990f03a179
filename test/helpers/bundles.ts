import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { FinancialApiStack } from '../../lib/stacks/financial-api-stack';
import { EXAMPLE_PROPS, testApp } from './app';

/** A bundled function of the synthesized example app. */
export interface BundledFunction {
  /** Logical id in the template. */
  readonly logicalId: string;
  /** Construct path, e.g. `FinancialApiStack/PaymentsApi/HealthFunction/Resource`. */
  readonly constructPath: string;
  /** Absolute path of the bundle's entry file (`index.js`/`index.mjs`). */
  readonly entryFile: string;
  /** Environment variables from the template (tokens left as JSON). */
  readonly environment: Record<string, unknown>;
}

let cached: BundledFunction[] | undefined;

/**
 * Synthesizes the example app once per test file WITH esbuild bundling (as `cdk synth` does) and
 * returns every function's bundle: tests then invoke the same code that would be deployed.
 */
export function bundledFunctions(): BundledFunction[] {
  if (cached) return cached;
  const app: App = testApp({ bundle: true, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new FinancialApiStack(app, 'FinancialApiStack', EXAMPLE_PROPS);
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string>; Properties: { Environment?: { Variables?: Record<string, unknown> } } }>;
  };
  cached = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:asset:path'])
    .map(([logicalId, r]) => {
      const dir = path.join(assembly.directory, r.Metadata!['aws:asset:path'] as string);
      const entry = ['index.js', 'index.mjs'].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
      if (!entry) throw new Error(`no bundle entry in ${dir}`);
      return {
        logicalId,
        constructPath: r.Metadata!['aws:cdk:path'] ?? logicalId,
        entryFile: entry,
        environment: r.Properties.Environment?.Variables ?? {},
      };
    });
  return cached;
}

/** The bundle whose logical id or construct path matches `pattern`. */
export function bundleOf(pattern: RegExp): BundledFunction {
  const found = bundledFunctions().filter((f) => pattern.test(f.logicalId));
  if (found.length !== 1) throw new Error(`expected one bundle matching ${pattern}, found ${found.map((f) => f.logicalId).join(', ') || 'none'}`);
  return found[0]!;
}
