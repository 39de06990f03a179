import { execFile } from 'child_process';
import * as path from 'path';
import { PAYMENTS_TABLE } from '../../lambda/example/payments/payments-table';
import { bundledFunctions, type BundledFunction } from '../helpers/bundles';

/** One invocation's outcome: a proxy result (body parsed) or the error the handler threw. */
export interface Outcome { statusCode?: number; body?: Record<string, unknown>; headers?: Record<string, string>; error?: string }

/** Where the bundles find their resources. */
export interface LocalResources {
  readonly dynamoEndpoint: string;
  readonly secretsEndpoint: string;
  readonly tableName: string;
  readonly cursorSecretArn: string;
  readonly webhookSecretArn: string;
}

/**
 * Runs the bundle whose logical id matches `pattern` in its own Node.js process (its own module
 * registry and realm, like a Lambda container) with the template's environment, tokens replaced by
 * the local resources, and returns one outcome per event, in order.
 */
export function runBundle(pattern: RegExp, events: unknown[], local: LocalResources, extra: Record<string, string> = {}): Promise<Outcome[]> {
  const found = bundledFunctions().filter((f) => pattern.test(f.logicalId));
  if (found.length !== 1) throw new Error(`expected one bundle matching ${pattern}, found ${found.map((f) => f.logicalId).join(', ') || 'none'}`);
  const bundle = found[0] as BundledFunction;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(bundle.environment)) if (typeof v === 'string') env[k] = v;
  if (PAYMENTS_TABLE.tableNameEnv in bundle.environment) env[PAYMENTS_TABLE.tableNameEnv] = local.tableName;
  if (PAYMENTS_TABLE.cursorSecretEnv in bundle.environment) env[PAYMENTS_TABLE.cursorSecretEnv] = local.cursorSecretArn;
  if (PAYMENTS_TABLE.webhookSecretEnv in bundle.environment) env[PAYMENTS_TABLE.webhookSecretEnv] = local.webhookSecretArn;
  Object.assign(env, {
    AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: local.dynamoEndpoint, AWS_ENDPOINT_URL_SECRETS_MANAGER: local.secretsEndpoint,
    POWERTOOLS_LOG_LEVEL: 'CRITICAL', POWERTOOLS_METRICS_DISABLED: 'true',
  }, extra);
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [path.join(__dirname, '..', 'helpers', 'invoke-bundle.cjs')], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      if (err) { reject(err); return; }
      const line = stdout.split('\n').find((l) => l.startsWith('@@RESULTS@@'));
      if (!line) { reject(new Error(`no results from ${bundle.logicalId}: ${stdout.slice(-500)}`)); return; }
      const results = JSON.parse(line.slice('@@RESULTS@@'.length)) as { result?: { statusCode: number; body: string; headers: Record<string, string> } | null; error?: string }[];
      resolve(results.map((r) => (r.result && typeof r.result.body === 'string'
        ? { statusCode: r.result.statusCode, body: JSON.parse(r.result.body) as Record<string, unknown>, headers: r.result.headers }
        : { error: r.error })));
    });
    child.stdin?.end(JSON.stringify({ entry: bundle.entryFile, env, events }));
  });
}
