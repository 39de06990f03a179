import { randomBytes } from 'crypto';
import { apiHandler } from '@secure-api/cdk/runtime';
import { OpenAccountBody } from './schemas';

/** `POST /accounts`: opens an account for the caller. */
export const handler = apiHandler({ methods: ['POST'], authenticated: true, body: OpenAccountBody }, async (req) => ({
  statusCode: 201,
  body: { accountId: `acc_${randomBytes(6).toString('hex')}`, currency: req.body.currency, product: req.body.product },
}));
