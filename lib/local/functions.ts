import { ChildProcess, fork } from 'child_process';
import { randomUUID } from 'crypto';
/* eslint-disable security/detect-non-literal-fs-filename -- paths are the app, its assembly and its asset folders */
import * as fs from 'fs';
import * as path from 'path';

/** What a local function worker needs: the bundle, its handler, its environment and limits. */
export interface LocalFunctionSpec {
  /** Logical id in the template. */
  readonly logicalId: string;
  /** Physical function name (`Ref`). */
  readonly functionName: string;
  /** The asset directory holding the bundle. */
  readonly codeDirectory: string;
  /** `Handler` property, e.g. `index.handler`. */
  readonly handler: string;
  /** The function's environment, resolved to local names. */
  readonly environment: Record<string, string>;
  /** `Timeout` in seconds. */
  readonly timeoutSeconds: number;
  /** `MemorySize` in MB. */
  readonly memoryMb: number;
  /** Log group name (for the context object). */
  readonly logGroupName: string;
}

/** A function error (the handler threw, or the runtime failed) as Lambda reports it. */
export interface FunctionError {
  readonly errorType: string;
  readonly errorMessage: string;
}

/** The outcome of one invocation. */
export type InvokeOutcome =
  | { readonly kind: 'result'; readonly payload: unknown; readonly durationMs: number; /** The handler's own time, measured in the worker. */ readonly handlerMs?: number }
  | { readonly kind: 'error'; readonly error: FunctionError; readonly durationMs: number }
  | { readonly kind: 'crash'; readonly detail: string; readonly durationMs: number }
  | { readonly kind: 'timeout'; readonly durationMs: number };

/** Options of {@link FunctionPool}. */
export interface FunctionPoolOptions {
  /** Environment every worker gets in addition to its own (AWS endpoints, fake credentials, region). */
  readonly baseEnvironment: Record<string, string>;
  /** JSON config of the outbound guard preload (`redirects`: public URL -> local URL). */
  readonly guard: { readonly redirects: Record<string, string> };
  /** Region and account (context object, ARNs). */
  readonly region: string;
  readonly account: string;
  /** Where function output goes. @default - the runner's stderr, each line prefixed with the function name */
  readonly output?: (functionName: string, chunk: string) => void;
}

interface Pending {
  readonly resolve: (outcome: InvokeOutcome) => void;
  readonly started: number;
  readonly timer: NodeJS.Timeout;
}

const WORKER = path.join(__dirname, 'lambda-worker.cjs');
const GUARD = path.join(__dirname, 'outbound-guard.cjs');

/** Finds the bundle file of a `Handler` (`dir/file.export`) in the asset directory, as the Node.js runtime does. */
export function handlerEntry(codeDirectory: string, handler: string): { entry: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  const file = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const candidate = path.join(codeDirectory, `${file}${ext}`);
    if (fs.existsSync(candidate)) return { entry: candidate, exportName };
  }
  throw new Error(`handler ${handler}: no ${file}.js, .mjs or .cjs in ${codeDirectory}`);
}

/**
 * One warm worker process per function (like one Lambda execution environment), reused across
 * invocations, one invocation at a time (Lambda never sends a container two events at once; further
 * requests wait). A worker that crashes or outlives the function's timeout is killed and replaced, as
 * Lambda replaces a failed execution environment.
 */
export class FunctionWorker {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private pending = new Map<string, Pending>();
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** Init durations of every start of this worker (ms), for the bench and the banner. */
  readonly initDurations: number[] = [];
  /** How many times the worker was (re)started. */
  starts = 0;

  constructor(readonly spec: LocalFunctionSpec, private readonly options: FunctionPoolOptions) {}

  /** Starts the worker (init runs now, not on the first request: a warm start). */
  start(): Promise<void> {
    if (this.ready) return this.ready;
    const { entry, exportName } = handlerEntry(this.spec.codeDirectory, this.spec.handler);
    const config = {
      entry,
      handlerExport: exportName,
      context: {
        functionName: this.spec.functionName,
        memoryLimitInMB: this.spec.memoryMb,
        region: this.options.region,
        account: this.options.account,
        logGroupName: this.spec.logGroupName,
        logStreamName: `local/[$LATEST]${randomUUID().replace(/-/g, '')}`,
      },
    };
    const env = { ...this.runtimeEnvironment(), ...this.options.baseEnvironment, ...this.spec.environment };
    const child = fork(WORKER, [JSON.stringify(config), JSON.stringify(this.options.guard)], {
      cwd: this.spec.codeDirectory,
      env,
      execArgv: ['--require', GUARD, '--enable-source-maps'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.child = child;
    this.starts++;
    const out = this.options.output ?? ((name: string, chunk: string) => { process.stderr.write(prefixLines(name, chunk)); });
    child.stdout?.setEncoding('utf8').on('data', (c: string) => { out(this.spec.functionName, c); });
    child.stderr?.setEncoding('utf8').on('data', (c: string) => { out(this.spec.functionName, c); });
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (msg: { type: string; id?: string; payload?: string; error?: FunctionError; initMs?: number; handlerMs?: number }): void => {
        if (msg.type === 'ready') {
          this.initDurations.push(msg.initMs ?? 0);
          resolve();
        } else if (msg.type === 'init-error') {
          reject(new Error(`init of ${this.spec.logicalId} failed: ${msg.error?.errorType}: ${msg.error?.errorMessage}`));
        } else if (msg.id !== undefined) {
          this.settle(msg.id, msg.type === 'result'
            ? { kind: 'result', payload: JSON.parse(msg.payload ?? 'null') as unknown, durationMs: 0, ...(msg.handlerMs !== undefined ? { handlerMs: msg.handlerMs } : {}) }
            : { kind: 'error', error: msg.error ?? { errorType: 'Error', errorMessage: 'unknown' }, durationMs: 0 });
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code, signal) => {
        reject(new Error(`${this.spec.logicalId} exited during init (${signal ?? code})`));
        if (this.child === child) {
          this.child = undefined;
          this.ready = undefined;
        }
        for (const id of [...this.pending.keys()]) this.settle(id, { kind: 'crash', detail: `worker exited (${signal ?? code})`, durationMs: 0 });
      });
    });
    // An init failure is reported to the invocation that waits for it; no unhandled rejection here.
    this.ready.catch(() => undefined);
    return this.ready;
  }

  /** Invokes the function with `event`; resolves with the outcome (never rejects). */
  invoke(event: unknown, options: { requestId?: string; traceId?: string; deadlineMs?: number } = {}): Promise<InvokeOutcome> {
    const run = this.queue.then(() => this.invokeNow(event, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async invokeNow(event: unknown, options: { requestId?: string; traceId?: string; deadlineMs?: number }): Promise<InvokeOutcome> {
    const started = performance.now();
    if (this.stopped) return { kind: 'crash', detail: 'the runner is stopping', durationMs: 0 };
    try {
      await this.start();
    } catch (err) {
      this.kill();
      return { kind: 'crash', detail: err instanceof Error ? err.message : String(err), durationMs: performance.now() - started };
    }
    const child = this.child;
    if (!child) return { kind: 'crash', detail: 'worker not running', durationMs: 0 };
    const id = randomUUID();
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const deadlineMs = Date.now() + timeoutMs;
    const outcome = await new Promise<InvokeOutcome>((resolve) => {
      const timer = setTimeout(() => {
        // Lambda ends the invocation at the timeout and replaces the execution environment.
        this.settle(id, { kind: 'timeout', durationMs: timeoutMs });
        this.kill();
      }, options.deadlineMs !== undefined ? Math.min(timeoutMs, options.deadlineMs - Date.now()) : timeoutMs);
      this.pending.set(id, { resolve, started, timer });
      child.send({ type: 'invoke', id, event, deadlineMs, requestId: options.requestId ?? randomUUID(), traceId: options.traceId });
    });
    if (outcome.kind === 'crash') this.kill();
    return { ...outcome, durationMs: performance.now() - started };
  }

  private settle(id: string, outcome: InvokeOutcome): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(outcome);
  }

  /** Kills the worker; the next invocation starts a fresh one (a cold start). */
  kill(): void {
    const child = this.child;
    this.child = undefined;
    this.ready = undefined;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  /** Stops the worker for good. */
  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    this.kill();
    if (child && child.exitCode === null && child.signalCode === null) await new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  }

  private runtimeEnvironment(): Record<string, string> {
    const { functionName, memoryMb, logGroupName, codeDirectory, handler } = this.spec;
    // What the Lambda Node.js runtime sets; PATH so the worker can find nothing but the system.
    return {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      AWS_REGION: this.options.region,
      AWS_DEFAULT_REGION: this.options.region,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs',
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_GROUP_NAME: logGroupName,
      AWS_LAMBDA_LOG_STREAM_NAME: 'local',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      LAMBDA_TASK_ROOT: codeDirectory,
      LAMBDA_RUNTIME_DIR: codeDirectory,
      _HANDLER: handler,
    };
  }
}

/** Prefixes each line of a chunk with `[name]` (function logs on the runner's stderr). */
export function prefixLines(name: string, chunk: string): string {
  return chunk.split('\n').filter((l) => l.length > 0).map((l) => `[${name}] ${l}\n`).join('');
}
