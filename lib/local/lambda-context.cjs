// The Lambda Node.js runtime's `context` object (the shape handlers and Powertools read), shared by the
// local runner's function workers and the bundled-code tests (test/helpers/invoke-bundle.cjs).
'use strict';

/**
 * @param {{ functionName: string, awsRequestId: string, deadlineMs: number, memoryLimitInMB?: number,
 *   functionVersion?: string, region?: string, account?: string, logGroupName?: string, logStreamName?: string }} o
 */
function lambdaContext(o) {
  const region = o.region || 'eu-west-1';
  const account = o.account || '123456789012';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: o.functionName,
    functionVersion: o.functionVersion || '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${o.functionName}`,
    memoryLimitInMB: String(o.memoryLimitInMB || 128),
    awsRequestId: o.awsRequestId,
    logGroupName: o.logGroupName || `/aws/lambda/${o.functionName}`,
    logStreamName: o.logStreamName || 'local',
    getRemainingTimeInMillis: () => Math.max(0, o.deadlineMs - Date.now()),
    // Deprecated callbacks of the Node.js 0.10 runtime, still on the object in Lambda.
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

module.exports = { lambdaContext };
