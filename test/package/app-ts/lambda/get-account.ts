import { ApiError, apiHandler } from '@secure-api/cdk/runtime';
import { AccountParams } from './schemas';

// GET /accounts/{accountId}: validated params, the caller from the authorizer, errors as the JSON envelope.
export const handler = apiHandler({ methods: ['GET'], authenticated: true, params: AccountParams }, async (req) => {
  const account = await findAccount(req.params.accountId);
  if (!account || account.ownerId !== req.principal.id) throw new ApiError('NOT_FOUND'); // others' = missing
  return { statusCode: 200, body: { accountId: account.accountId, status: account.status } };
});

async function findAccount(accountId: string): Promise<{ accountId: string; ownerId: string; status: string } | undefined> {
  return accountId === 'acc_000000000001' ? { accountId, ownerId: 'demo-user', status: 'open' } : undefined;
}
