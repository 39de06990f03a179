import { ListPaymentsQuery } from '../schemas/payments';
import { apiHandler, type ProxyHandler } from '../../runtime/handler';
import { signedPage } from '../payments/pagination';
import { containerPaymentsDeps, type PaymentsDeps } from '../payments/payments-deps';

/**
 * `GET /payments` (scope payments/read): the caller's payments, newest first, `limit` <= 100, with
 * an HMAC-signed cursor bound to the caller (another caller's or a modified cursor is a 400).
 */
export function createHandler(deps: () => PaymentsDeps = containerPaymentsDeps('cursor')): ProxyHandler {
  return apiHandler({ methods: ['GET'], authenticated: true, query: ListPaymentsQuery }, async (req) => {
    const d = deps();
    const owner = req.principal.id;
    const page = await signedPage(d, `owner:${owner}`, req.query, (limit, startKey) => d.store.listByOwner(owner, limit, startKey));
    return { statusCode: 200, body: page };
  });
}

/** Lambda entry point. */
export const handler = createHandler();
