// Preloaded (`node --require`) into every local function worker, before the bundle. It keeps a local
// run local without any switch in production code:
// - the user pool's JWKS URL (https://cognito-idp.<region>.amazonaws.com/<poolId>/.well-known/jwks.json,
//   fetched by aws-jwt-verify through node:https) is answered by the local issuer's JWKS;
// - every other connection that is not to loopback is refused (the AWS SDK reaches dynalite and the
//   local Secrets Manager through AWS_ENDPOINT_URL_* on 127.0.0.1), so nothing leaves the machine.
// Configuration comes as JSON in process.argv[3] (not the environment, which stays the function's).
'use strict';
const http = require('http');
const https = require('https');
const net = require('net');

// Lambda runs a newer Node.js than a developer may have: the AWS SDK's notice about the local Node.js
// version is noise in a local run (it is a plain Warning, so --disable-warning cannot name it).
const emitWarning = process.emitWarning;
process.emitWarning = function filtered(warning, ...rest) {
  if (String(warning && warning.message !== undefined ? warning.message : warning).startsWith('NodeVersionSupportWarning')) return;
  return emitWarning.call(process, warning, ...rest);
};

const config = JSON.parse(process.argv[3] || '{}');
/** @type {Record<string, string>} public URL -> local URL */
const redirects = config.redirects || {};
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function refused(what) {
  const err = new Error(`local run: outbound connection to ${what} refused (only loopback and the user pool's JWKS are reachable)`);
  err.code = 'ECONNREFUSED';
  process.stderr.write(`${err.message}\n`);
  return err;
}

const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connect(...args) {
  const first = args[0];
  const options = Array.isArray(first) ? first[0] : first;
  const host = typeof options === 'object' && options !== null
    ? (options.path ? undefined : options.host || 'localhost')
    : (typeof args[1] === 'string' ? args[1] : (typeof options === 'string' && Number.isNaN(Number(options)) ? undefined : 'localhost'));
  if (host !== undefined && !LOOPBACK.has(host)) {
    const err = refused(host);
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return originalConnect.apply(this, args);
};

function urlOf(args) {
  const first = args[0];
  if (typeof first === 'string' || first instanceof URL) return new URL(String(first));
  const o = first || {};
  const host = o.hostname || (o.host || 'localhost').split(':')[0];
  return new URL(`https://${host}${o.port ? `:${o.port}` : ''}${o.path || '/'}`);
}

function redirect(original, args) {
  let url;
  try {
    url = urlOf(args);
  } catch {
    return original(...args);
  }
  const local = redirects[`${url.origin}${url.pathname}`];
  if (local === undefined) return original(...args);
  const options = typeof args[1] === 'object' && args[1] !== null ? args[1] : (typeof args[0] === 'object' && !(args[0] instanceof URL) ? args[0] : {});
  const callback = args.find((a) => typeof a === 'function');
  return http.request(local, { method: options.method || 'GET', headers: options.headers, timeout: options.timeout }, callback);
}

const httpsRequest = https.request;
https.request = (...args) => redirect(httpsRequest, args);
https.get = (...args) => {
  const req = https.request(...args);
  req.end();
  return req;
};

if (typeof globalThis.fetch === 'function') {
  const originalFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? String(input) : input.url);
    const local = redirects[`${url.origin}${url.pathname}`];
    if (local !== undefined) return originalFetch(local, init);
    if (!LOOPBACK.has(url.hostname)) return Promise.reject(new TypeError('fetch failed', { cause: refused(url.host) }));
    return originalFetch(input, init);
  };
}
