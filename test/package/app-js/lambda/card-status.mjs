import { apiHandler } from '@secure-api/cdk/runtime';

/** `GET /cards/status`: public probe, written as an ES module. */
export const handler = apiHandler({ methods: ['GET'], authenticated: false }, async () => ({ statusCode: 200, body: { status: 'ok' } }));
