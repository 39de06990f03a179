// One cold start, in a fresh `node` process: [serve the JWKS in-process] -> import the bundle ->
// first invoke with the case's event. Timings and the outcome go to fd 3 (stdout carries the
// function's own log lines, which the parent drains and discards). Kept dependency-free and tiny:
// whatever it costs is paid equally by the hello floor it is compared with.
import { readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const t0 = performance.now();

if (spec.jwks) {
  // aws-jwt-verify downloads the JWKS with `https.request`. Lambda would reach Cognito; offline we
  // answer that one URL in-process with the test key set (any other HTTPS request fails at once).
  const require = createRequire(import.meta.url);
  const https = require('node:https');
  const { Readable } = require('node:stream');
  const { EventEmitter } = require('node:events');
  const body = Buffer.from(JSON.stringify(spec.jwks.body));
  https.request = (uri, options, callback) => {
    const req = new EventEmitter();
    req.destroy = () => {};
    req.end = () => setImmediate(() => {
      if (String(uri) !== spec.jwks.url) { req.emit('error', new Error(`bench: network disabled (${String(uri)})`)); return; }
      const res = Readable.from([body]);
      res.statusCode = 200;
      res.headers = { 'content-type': 'application/json' };
      callback(res);
    });
    return req;
  };
  require('node:module').syncBuiltinESMExports();
}

let mod;
if (spec.bundle) {
  mod = spec.bundle.endsWith('.mjs') ? await import(pathToFileURL(spec.bundle).href) : createRequire(import.meta.url)(spec.bundle);
}
const t1 = performance.now();

let outcome = { kind: 'none' };
if (mod) {
  const context = {
    functionName: 'bench', functionVersion: '$LATEST', memoryLimitInMB: '512',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:bench',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678', logGroupName: '/aws/lambda/bench', logStreamName: 'bench',
    callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 10000,
  };
  try {
    const r = await mod[spec.handler ?? 'handler'](spec.event, context);
    outcome = r && r.policyDocument
      ? { kind: 'policy', principalId: r.principalId, effects: r.policyDocument.Statement.map((s) => s.Effect) }
      : { kind: 'response', statusCode: r?.statusCode, code: codeOf(r?.body) };
  } catch (err) {
    outcome = { kind: 'thrown', message: String(err?.message ?? err) };
  }
}
const t2 = performance.now();

function codeOf(body) {
  try { return JSON.parse(body)?.error?.code; } catch { return undefined; }
}

// sinceStartMs: from process start (performance.timeOrigin) to the first response = a cold start.
writeSync(3, JSON.stringify({ importMs: t1 - t0, invokeMs: t2 - t1, initMs: t2 - t0, sinceStartMs: t2, outcome }));
