// Runs one bundled Lambda handler in a fresh Node.js process, as the Lambda runtime would: sets the
// environment, requires the bundle (init), then invokes it with each event in order and prints one
// JSON line of results. Input (stdin): { entry, env, events }. A thrown error is reported as
// { error: message } for that event (the authorizer answers 401 by throwing "Unauthorized").
'use strict';
const { lambdaContext } = require('../../lib/local/lambda-context.cjs');

let input = '';
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', async () => {
  const { entry, env, events } = JSON.parse(input);
  Object.assign(process.env, env);
  const { handler } = require(entry);
  const results = [];
  for (const event of events) {
    try {
      const context = lambdaContext({ functionName: 'local', awsRequestId: 'local', deadlineMs: Date.now() + 10000 });
      results.push({ result: await handler(event, context) });
    } catch (err) {
      results.push({ error: err instanceof Error ? err.message : String(err) });
    }
  }
  process.stdout.write(`\n@@RESULTS@@${JSON.stringify(results)}\n`);
  // Background work (secret prefetch retries, sockets) must not keep the process alive.
  process.exit(0);
});
