import { apiHandler } from '@secure-api/cdk/runtime';

/** `GET /status`: public probe. */
export const handler = apiHandler({ methods: ['GET'], authenticated: false }, async () => ({ statusCode: 200, body: { status: 'ok' } }));
