// One warm Lambda "container" of the local runner: loads a bundled function from cdk.out once (init),
// then runs one invocation at a time as the parent sends them over IPC, with Lambda's context object.
// Results are JSON-serialized here, as the Lambda runtime does, so a non-serializable result fails here.
// Configuration comes as JSON in process.argv[2]; the environment is the function's own.
'use strict';
const { pathToFileURL } = require('url');
const { lambdaContext } = require('./lambda-context.cjs');

const config = JSON.parse(process.argv[2]);
let handler;

async function init() {
  const mod = config.entry.endsWith('.mjs') ? await import(pathToFileURL(config.entry).href) : require(config.entry);
  const fn = config.handlerExport.split('.').reduce((o, k) => (o == null ? undefined : o[k]), mod);
  if (typeof fn !== 'function') throw Object.assign(new Error(`${config.handlerExport} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  handler = fn;
}

function errorPayload(err) {
  return {
    errorType: (err && err.name) || 'Error',
    errorMessage: err && err.message !== undefined ? String(err.message) : String(err),
  };
}

async function invoke({ id, event, deadlineMs, requestId, traceId }) {
  if (traceId) process.env._X_AMZN_TRACE_ID = traceId;
  const context = lambdaContext({ ...config.context, awsRequestId: requestId, deadlineMs });
  const started = performance.now();
  try {
    const result = await new Promise((resolve, reject) => {
      const out = handler(event, context, (err, value) => (err ? reject(err) : resolve(value)));
      if (out && typeof out.then === 'function') out.then(resolve, reject);
      else if (handler.length < 3) resolve(out);
    });
    const handlerMs = performance.now() - started;
    const payload = JSON.stringify(result === undefined ? null : result);
    process.send({ type: 'result', id, payload, handlerMs });
  } catch (err) {
    process.send({ type: 'error', id, error: errorPayload(err) });
  }
}

// The runner gone (even killed without a chance to stop us): this "container" goes too.
process.on('disconnect', () => process.exit(0));

process.on('message', (msg) => {
  if (msg && msg.type === 'invoke') void invoke(msg);
});

const started = process.hrtime.bigint();
init().then(
  () => process.send({ type: 'ready', initMs: Number(process.hrtime.bigint() - started) / 1e6 }),
  (err) => {
    process.send({ type: 'init-error', error: errorPayload(err) });
    process.exitCode = 1;
    setImmediate(() => process.exit(1));
  },
);
