import { apiHandler, type ProxyHandler } from '../../runtime/handler';

/**
 * `GET /health`: public liveness probe. Reveals nothing but `{ "status": "ok" }`: no version, no
 * dependency state, no environment (those help an attacker fingerprint the stack).
 */
export const handler: ProxyHandler = apiHandler({ methods: ['GET'], authenticated: false }, () => Promise.resolve({
  statusCode: 200,
  body: { status: 'ok' },
}));
