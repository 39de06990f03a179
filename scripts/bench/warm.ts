/* eslint-disable security/detect-non-literal-fs-filename -- a dev-time script: paths are its own temp dirs, the repo and the synth output */
/**
 * Warm throughput, in its own `node` process (started by run.ts; results on fd 3, stdout discarded
 * because the authorizer and handlers write their EMF metrics and logs there, as in Lambda).
 * Every comparison runs in this one process, interleaved over several rounds, on the same token
 * and the same bodies.
 */
import * as fs from 'fs';
import { createRequire } from 'module';
import { EventEmitter } from 'events';
import { Readable } from 'stream';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import jwt from 'jsonwebtoken';
import jwksRsa from 'jwks-rsa';
import { Bench } from 'tinybench';
import { safeParse } from 'zod/v4/core';
import type { $ZodType } from 'zod/v4/core';
import { CreatePaymentJoi } from './probes/joi-payments';
import { CreatePaymentClassic } from './probes/zod-classic-payments';
import { CreatePaymentMini } from './probes/zod-mini-payments';

/** What run.ts hands over. */
export interface WarmSpec {
  readonly token: string;
  readonly jwks: { keys: Record<string, unknown>[] };
  readonly jwksUrl: string;
  readonly issuer: string;
  readonly userPoolId: string;
  readonly clientIds: string[];
  readonly validBody: unknown;
  readonly invalidBody: unknown;
  readonly timeMs: number;
  readonly rounds: number;
  /** The synthesized authorizer bundle, its environment and an allow event. */
  readonly authorizer?: { bundle: string; env: Record<string, string>; event: unknown };
  /** The synthesized `POST /payments` handler bundle, its environment and an invalid-body event. */
  readonly createPayment?: { bundle: string; env: Record<string, string>; event: unknown };
  /** The Express-style baseline bundle and a POST /payments event (valid token, invalid body). */
  readonly express?: { bundle: string; env: Record<string, string>; event: unknown };
  /** lambda/example/schemas module path (absent until the schemas land). */
  readonly schemasModule?: string;
}

/** Median ops/s per task over the rounds, and the check each task's first call passed. */
export type WarmResult = Record<string, { opsPerSec: number; rounds: number[] }>;

type Handler = (event: unknown, context?: unknown) => Promise<unknown>;

const spec = JSON.parse(fs.readFileSync(process.argv[2] as string, 'utf8')) as WarmSpec;
const req = createRequire(__filename);

function serveJwks(): void {
  // Same in-process JWKS answer as cold-runner.mjs: aws-jwt-verify's one HTTPS call, offline.
  const https = req('https') as { request: unknown };
  const body = Buffer.from(JSON.stringify(spec.jwks));
  https.request = (uri: unknown, _o: unknown, callback: (res: unknown) => void) => {
    const r = new EventEmitter() as EventEmitter & { end: () => void; destroy: () => void };
    r.destroy = () => undefined;
    r.end = () => setImmediate(() => {
      if (String(uri) !== spec.jwksUrl) { r.emit('error', new Error('bench: network disabled')); return; }
      const res = Object.assign(Readable.from([body]), { statusCode: 200, headers: {} });
      callback(res);
    });
    return r;
  };
}

function loadHandler(bundle: string, env: Record<string, string>): Handler {
  Object.assign(process.env, env);
  return (req(bundle) as { handler: Handler }).handler;
}

function assert(cond: boolean, what: string): void {
  if (!cond) throw new Error(`warm bench precondition failed: ${what}`);
}

async function main(): Promise<void> {
  serveJwks();
  const tasks: [string, () => unknown][] = [];

  // --- authorizer: bare verifySync vs jsonwebtoken + jwks-rsa vs our wrapper ---
  const verifier = CognitoJwtVerifier.create({ userPoolId: spec.userPoolId, tokenUse: 'access', clientId: spec.clientIds });
  verifier.cacheJwks(spec.jwks as never);
  assert(verifier.verifySync(spec.token).sub.length > 0, 'verifySync accepts the token');
  tasks.push(['aws-jwt-verify verifySync', () => verifier.verifySync(spec.token)]);

  const jwksClient = jwksRsa({ jwksUri: spec.jwksUrl, cache: true, getKeysInterceptor: () => Promise.resolve(spec.jwks.keys as never) });
  const kid = (jwt.decode(spec.token, { complete: true })?.header.kid) ?? '';
  const pem = (await jwksClient.getSigningKey(kid)).getPublicKey();
  const jwtOptions: jwt.VerifyOptions = { algorithms: ['RS256'], issuer: spec.issuer };
  assert(typeof jwt.verify(spec.token, pem, jwtOptions) === 'object', 'jsonwebtoken accepts the token');
  // As express-jwt + jwks-rsa run per request: cached key lookup, then verify with the PEM string.
  tasks.push(['jsonwebtoken + jwks-rsa (cached key)', async () => jwt.verify(spec.token, (await jwksClient.getSigningKey(kid)).getPublicKey(), jwtOptions)]);

  if (spec.authorizer) {
    const authorize = loadHandler(spec.authorizer.bundle, spec.authorizer.env);
    const event = spec.authorizer.event;
    const first = await authorize(event) as { policyDocument?: { Statement: { Effect: string }[] } };
    assert(first.policyDocument?.Statement.some((s) => s.Effect === 'Allow') === true, 'our authorizer allows the token');
    tasks.push(['our authorizer (handler, allow)', () => authorize(event)]);
  }

  // --- validation: our Zod schema vs Joi, valid and invalid POST /payments bodies ---
  let schema: $ZodType | undefined;
  if (spec.schemasModule) {
    schema = (req(spec.schemasModule) as { CreatePaymentBody?: $ZodType }).CreatePaymentBody;
  }
  const joi = (b: unknown): unknown => CreatePaymentJoi.validate(b);
  assert(CreatePaymentJoi.validate(spec.validBody).error === undefined && CreatePaymentJoi.validate(spec.invalidBody).error !== undefined, 'Joi schema agrees on the bodies');
  if (schema) {
    const s = schema;
    assert(safeParse(s, spec.validBody).success && !safeParse(s, spec.invalidBody).success, 'lambda/example/schemas CreatePaymentBody agrees on the bodies');
    tasks.push(['zod CreatePaymentBody valid', () => safeParse(s, spec.validBody)]);
    tasks.push(['zod CreatePaymentBody invalid', () => safeParse(s, spec.invalidBody)]);
  }
  tasks.push(['zod/mini probe valid', () => safeParse(CreatePaymentMini, spec.validBody)]);
  tasks.push(['zod classic probe valid', () => CreatePaymentClassic.safeParse(spec.validBody)]);
  tasks.push(['joi valid', () => joi(spec.validBody)]);
  tasks.push(['joi invalid', () => joi(spec.invalidBody)]);

  // --- whole request path (informative): our POST /payments handler vs the Express stack ---
  if (spec.createPayment) {
    const h = loadHandler(spec.createPayment.bundle, spec.createPayment.env);
    const e = spec.createPayment.event;
    const r = await h(e) as { statusCode: number };
    assert(r.statusCode === 400, `create-payment answers 400 to the invalid body (got ${r.statusCode})`);
    tasks.push(['create-payment handler, invalid body', () => h(e)]);
  }
  if (spec.express) {
    const h = loadHandler(spec.express.bundle, spec.express.env);
    const e = spec.express.event;
    const r = await h(e, {}) as { statusCode: number };
    assert(r.statusCode === 400, `express stack answers 400 to the invalid body (got ${r.statusCode})`);
    tasks.push(['express stack, valid token + invalid body', () => h(e, {})]);
  }

  const result: WarmResult = {};
  for (let round = 0; round < spec.rounds; round++) {
    const bench = new Bench({ time: spec.timeMs, warmupTime: Math.min(200, spec.timeMs) });
    const order = round % 2 === 0 ? tasks : [...tasks].reverse();
    for (const [name, fn] of order) bench.add(name, fn);
    await bench.run();
    for (const t of bench.tasks) {
      const r = t.result as { period?: number; state: string; error?: Error };
      if (r.period === undefined) throw new Error(`${t.name}: ${r.state} ${r.error?.message ?? ''}`);
      (result[t.name] ??= { opsPerSec: 0, rounds: [] }).rounds.push(1000 / r.period);
    }
  }
  for (const v of Object.values(result)) {
    const s = [...v.rounds].sort((a, b) => a - b);
    v.opsPerSec = s[s.length >> 1] ?? 0;
  }
  fs.writeSync(3, JSON.stringify(result));
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
