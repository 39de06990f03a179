// Runs the bundled authorizer in a fresh Node.js process, as Lambda would, with its one network call
// (aws-jwt-verify's JWKS download over `https.request`) answered in-process from a local key set:
// any other HTTPS request fails at once. Input (stdin): { entry, env, events, jwks: { url, body } }.
// Output: one line `@@RESULTS@@[...]`, each { result } or { error: message } (401 = "Unauthorized").
'use strict';
const https = require('node:https');
const { Readable } = require('node:stream');
const { EventEmitter } = require('node:events');

let input = '';
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', async () => {
  const { entry, env, events, jwks } = JSON.parse(input);
  const body = Buffer.from(JSON.stringify(jwks.body));
  https.request = (uri, options, callback) => {
    const req = new EventEmitter();
    req.destroy = () => {};
    req.end = () => setImmediate(() => {
      if (String(uri) !== jwks.url) { req.emit('error', new Error(`test: network disabled (${String(uri)})`)); return; }
      const res = Readable.from([body]);
      res.statusCode = 200;
      res.headers = { 'content-type': 'application/json' };
      (typeof options === 'function' ? options : callback)(res);
    });
    return req;
  };
  require('node:module').syncBuiltinESMExports();
  Object.assign(process.env, env);
  const { handler } = require(entry);
  const results = [];
  for (const event of events) {
    try {
      results.push({ result: await handler(event, { awsRequestId: 'local', functionName: 'local', getRemainingTimeInMillis: () => 10000 }) });
    } catch (err) {
      results.push({ error: err instanceof Error ? err.message : String(err) });
    }
  }
  process.stdout.write(`\n@@RESULTS@@${JSON.stringify(results)}\n`);
  process.exit(0);
});
