/**
 * Local-run cases of `npm run bench` (issue #13), on an already synthesized assembly:
 * - start time: `startLocalRun` from call to ready (every worker initialized, issuer, dynalite and
 *   Secrets Manager listening) — what `npm start` adds after an up-to-date synth;
 * - warm request overhead: the whole local path (HTTP, gateway, cached authorizer decision, IPC to
 *   the worker and back) minus the handler's own time measured inside the worker, p50;
 * - a handler cold start that includes the first real DynamoDB call: the create-payment worker is
 *   replaced, then one POST /payments goes through the gateway and writes to dynalite.
 */
import { randomUUID } from 'crypto';
import { startLocalRun, type LocalRun } from '../../lib/local/runner';

/** What the local cases measured. */
export interface LocalBenchResult {
  readonly startupMs: number[];
  readonly warm: Record<string, { totalP50Ms: number; handlerP50Ms: number; overheadP50Ms: number; samples: number }>;
  readonly coldWithDynamo: { totalMs: number[]; initMs: number[]; handlerMs: number[] };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

async function token(run: LocalRun): Promise<string> {
  const c = run.endpoints.machineClient;
  if (!c || !run.endpoints.tokenUrl) throw new Error('no machine client');
  const res = await fetch(run.endpoints.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: c.scopes.join(' ') }).toString(),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Runs the local cases; `samples` warm requests per route (sequential, below every throttle). */
export async function benchLocal(assemblyDir: string, options: { starts?: number; samples?: number; colds?: number } = {}): Promise<LocalBenchResult> {
  const quiet = { port: 0, endpointsFile: false as const, accessLog: () => undefined, functionOutput: () => undefined };
  const startupMs: number[] = [];
  for (let i = 0; i < (options.starts ?? 3) - 1; i++) {
    const r = await startLocalRun({ assemblyDir, ...quiet });
    startupMs.push(r.startupMs);
    await r.close();
  }
  const run = await startLocalRun({ assemblyDir, ...quiet });
  startupMs.push(run.startupMs);
  try {
    const e = run.endpoints;
    const bearer = await token(run);
    const key = e.apiKeys.find((k) => k.tier === 'partner') ?? e.apiKeys[0];
    const authHeaders = { Authorization: `Bearer ${bearer}`, ...(e.apiKeySource === 'HEADER' && key ? { 'x-api-key': key.value } : {}) };
    const routes: Record<string, { path: string; headers: Record<string, string>; gapMs: number }> = {
      'GET /health (public)': { path: '/health', headers: {}, gapMs: 0 },
      // Partner plan: 25 rps on GET /payments; 50 ms apart stays below it.
      'GET /payments (cached authorizer, API key, DynamoDB query)': { path: '/payments', headers: authHeaders, gapMs: 50 },
    };
    const warm: LocalBenchResult['warm'] = {};
    for (const [name, route] of Object.entries(routes)) {
      const total: number[] = [];
      const handler: number[] = [];
      for (let i = 0; i < (options.samples ?? 200) + 20; i++) {
        const t0 = performance.now();
        const res = await fetch(`${e.apiUrl}${route.path}`, { headers: route.headers });
        await res.arrayBuffer();
        const t1 = performance.now();
        if (res.status !== 200) throw new Error(`${name}: ${res.status}`);
        // The first 20 warm the path (JIT, keep-alive, the authorizer's cached decision).
        if (i >= 20) {
          total.push(t1 - t0);
          handler.push(run.gateway.stats.lastHandlerMs ?? NaN);
        }
        if (route.gapMs) await new Promise((r) => setTimeout(r, route.gapMs));
      }
      const overhead = total.map((t, i) => t - (handler[i] ?? 0));
      warm[name] = { totalP50Ms: median(total), handlerP50Ms: median(handler), overheadP50Ms: median(overhead), samples: total.length };
    }

    const create = [...run.workers.values()].find((w) => /CreatePayment/.test(w.spec.logicalId));
    const cold: LocalBenchResult['coldWithDynamo'] = { totalMs: [], initMs: [], handlerMs: [] };
    if (create) {
      for (let i = 0; i < (options.colds ?? 5); i++) {
        create.kill();
        // Partner plan: 5 rps on POST /payments.
        await new Promise((r) => setTimeout(r, 300));
        const t0 = performance.now();
        const res = await fetch(`${e.apiUrl}/payments`, {
          method: 'POST',
          headers: { ...authHeaders, 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
          body: JSON.stringify({ amount: 100, currency: 'EUR', creditor: { name: 'Bench', iban: 'DE89370400440532013000' } }),
        });
        await res.arrayBuffer();
        if (res.status !== 201) throw new Error(`cold POST /payments: ${res.status}`);
        cold.totalMs.push(performance.now() - t0);
        cold.initMs.push(create.initDurations.at(-1) ?? NaN);
        cold.handlerMs.push(run.gateway.stats.lastHandlerMs ?? NaN);
      }
    }
    return { startupMs, warm, coldWithDynamo: cold };
  } finally {
    await run.close();
  }
}

/** Median helper for the report. */
export { median as localMedian };
