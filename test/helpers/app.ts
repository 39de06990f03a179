import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { FinancialApiStack, FinancialApiStackProps } from '../../lib/stacks/financial-api-stack';

/** Context that skips esbuild bundling: for tests that look at the template, not at the code. */
export const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] as string[] };

/** A fresh app (no bundling unless asked) writing to a temp dir. */
export function testApp(options: { bundle?: boolean; context?: Record<string, unknown> } = {}): App {
  return new App({
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-test-')),
    context: { ...(options.bundle ? {} : NO_BUNDLING), ...options.context },
  });
}

/** A bare stack to mount constructs on. */
export function testStack(app: App = testApp(), id = 'TestStack'): Stack {
  return new Stack(app, id, { env: { account: '123456789012', region: 'eu-west-1' } });
}

/** Default props of the example stack in tests. */
export const EXAMPLE_PROPS: FinancialApiStackProps = {
  allowedOrigins: ['https://app.example.com'],
  env: { account: '123456789012', region: 'eu-west-1' },
};

/**
 * The example stack and (lazily: synthesis locks the app) its template.
 */
export function exampleStack(props: Partial<FinancialApiStackProps> = {}, app: App = testApp()): { stack: FinancialApiStack; readonly template: Template } {
  const stack = new FinancialApiStack(app, 'FinancialApiStack', { ...EXAMPLE_PROPS, ...props });
  let template: Template | undefined;
  return {
    stack,
    get template(): Template {
      template ??= Template.fromStack(stack);
      return template;
    },
  };
}

/** One rule-pack finding from CDK's validation report. */
export interface Finding {
  readonly pack: string;
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
}

/**
 * Synthesizes `app` with the given rule packs and returns every unacknowledged finding.
 * Synthesis throws when a pack fails, so the report file is read either way.
 */
export const ALL_PACKS: ((app: App) => object)[] = [
  (a) => new AwsSolutionsChecks(a), (a) => new PCIDSS321Checks(a), (a) => new NIST80053R5Checks(a),
];

export function nagFindings(app: App, packs: ((app: App) => object)[] = ALL_PACKS): Finding[] {
  Validations.of(app).addPlugins(...packs.map((make) => make(app) as never));
  try {
    app.synth();
  } catch {
    // Failures are in the report, read below.
  }
  const file = path.join(app.outdir, 'validation-report.json');
  if (!fs.existsSync(file)) return [];
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    pluginReports: { pluginName: string; violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[] }[];
  };
  return report.pluginReports.flatMap((p) => p.violations.flatMap((v) => v.violatingConstructs.map((c) => ({
    pack: p.pluginName, rule: v.ruleName, severity: v.severity, path: c.constructPath,
  }))));
}
