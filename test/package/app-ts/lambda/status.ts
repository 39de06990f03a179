import { apiHandler } from '@secure-api/cdk/runtime';

// GET /status: public, reveals nothing but "ok".
export const handler = apiHandler({ methods: ['GET'], authenticated: false }, async () => ({ statusCode: 200, body: { status: 'ok' } }));
