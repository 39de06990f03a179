import { ApiError, apiHandler } from '@secure-api/cdk/runtime';
import { AccountParams } from './schemas';

/** `GET /accounts/{accountId}`: the caller's own account; anyone else's is a 404. */
export const handler = apiHandler({ methods: ['GET'], authenticated: true, params: AccountParams }, async (req) => {
  const owner = `acc_${req.principal.id.replace(/[^a-z0-9]/g, '').slice(0, 12).padEnd(12, '0')}`;
  if (req.params.accountId !== owner) throw new ApiError('NOT_FOUND');
  return { statusCode: 200, body: { accountId: owner, status: 'open' } };
});
