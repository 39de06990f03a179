/* eslint-disable security/detect-non-literal-fs-filename -- a dev-time script: paths are its own temp dirs, the repo and the synth output */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** What the runner reports about the first invocation. */
export type Outcome =
  | { readonly kind: 'none' }
  | { readonly kind: 'policy'; readonly principalId: string; readonly effects: readonly string[] }
  | { readonly kind: 'response'; readonly statusCode?: number; readonly code?: string }
  | { readonly kind: 'thrown'; readonly message: string };

/** One cold-start case: a bundle, the environment Lambda would give it, and the first event. */
export interface ColdCase {
  readonly id: string;
  /** Bundle entry file, or `null` for an empty process. */
  readonly bundle: string | null;
  readonly env: Readonly<Record<string, string>>;
  readonly event?: unknown;
  /** JWKS served in-process for this URL (authorizer cases). */
  readonly jwks?: { readonly url: string; readonly body: unknown };
  /** Returns an error message when the outcome is not the one this case is about. */
  readonly check: (o: Outcome) => string | undefined;
}

/** Medians of a case over fresh processes (ms). */
export interface ColdStats {
  readonly runs: number;
  readonly initMs: number;
  readonly importMs: number;
  readonly invokeMs: number;
  readonly sinceStartMs: number;
  /** Inter-quartile range of `initMs`: how noisy the case was. */
  readonly initIqrMs: number;
  readonly outcome: Outcome;
}

interface Sample { importMs: number; invokeMs: number; initMs: number; sinceStartMs: number; outcome: Outcome }

const RUNNER = path.join(__dirname, '..', 'cold-runner.mjs');

/** The environment every case gets: Lambda's fixed variables, fake credentials, no way out to AWS. */
export const LAMBDA_BASE_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: 'eu-west-1',
  AWS_DEFAULT_REGION: 'eu-west-1',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
  AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  AWS_ACCESS_KEY_ID: 'AKIABENCHBENCHBENCH0',
  AWS_SECRET_ACCESS_KEY: 'bench-secret-key-not-a-real-one-000000000',
  AWS_SESSION_TOKEN: 'bench',
  AWS_EC2_METADATA_DISABLED: 'true',
  // Any SDK call a case makes by mistake is refused on loopback at once, never sent to AWS.
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  TZ: 'UTC',
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}

function runOnce(c: ColdCase, specFile: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, specFile], {
      env: { PATH: process.env.PATH ?? '', ...LAMBDA_BASE_ENV, ...c.env },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let report = '';
    let stderr = '';
    child.stdout?.resume();
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => { report += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      if (!report) { reject(new Error(`${c.id}: runner exited ${String(code)} without a report\n${stderr.slice(-2000)}`)); return; }
      resolve(JSON.parse(report) as Sample);
    });
  });
}

/** One fresh process for `c` (used to check an event before measuring with it). */
export async function runCaseOnce(c: ColdCase, workDir: string): Promise<Outcome> {
  fs.mkdirSync(workDir, { recursive: true });
  const file = path.join(workDir, 'probe.json');
  fs.writeFileSync(file, JSON.stringify({ bundle: c.bundle, event: c.event, jwks: c.jwks }));
  return (await runOnce(c, file)).outcome;
}

/**
 * Measures every case in fresh `node` processes, one process at a time, interleaving the cases
 * round by round (in a shuffled order) so a noisy moment of the machine spreads over all of them.
 * A first round warms the file cache and is discarded.
 */
export async function measureCold(cases: readonly ColdCase[], runs: number, workDir: string,
  progress: (done: number, total: number) => void = () => {}): Promise<Map<string, ColdStats>> {
  fs.mkdirSync(workDir, { recursive: true });
  const specs = new Map(cases.map((c, i) => {
    const file = path.join(workDir, `case-${i}.json`);
    fs.writeFileSync(file, JSON.stringify({ bundle: c.bundle, event: c.event, jwks: c.jwks }));
    return [c.id, file];
  }));
  const samples = new Map<string, Sample[]>(cases.map((c) => [c.id, []]));
  const total = (runs + 1) * cases.length;
  let done = 0;
  for (let round = 0; round <= runs; round++) {
    const order = [...cases].sort(() => Math.random() - 0.5);
    for (const c of order) {
      const s = await runOnce(c, specs.get(c.id) as string);
      const wrong = c.check(s.outcome);
      if (wrong) throw new Error(`${c.id}: unexpected first-invoke outcome: ${wrong} (${JSON.stringify(s.outcome)})`);
      if (round > 0) samples.get(c.id)?.push(s);
      progress(++done, total);
    }
  }
  const stats = new Map<string, ColdStats>();
  for (const c of cases) {
    const xs = samples.get(c.id) ?? [];
    const init = xs.map((x) => x.initMs);
    stats.set(c.id, {
      runs: xs.length,
      initMs: median(init),
      importMs: median(xs.map((x) => x.importMs)),
      invokeMs: median(xs.map((x) => x.invokeMs)),
      sinceStartMs: median(xs.map((x) => x.sinceStartMs)),
      initIqrMs: quantile(init, 0.75) - quantile(init, 0.25),
      outcome: (xs[0] as Sample).outcome,
    });
  }
  return stats;
}
