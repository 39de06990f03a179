import { ListPaymentsQuery } from '../schemas/payments';
import { apiHandler, type ProxyHandler } from '../../runtime/handler';
import { signedPage } from '../payments/pagination';
import { containerPaymentsDeps, type PaymentsDeps } from '../payments/payments-deps';

/** Group whose members may list every payment. */
export const ADMIN_GROUP = 'admins';

/**
 * `GET /admin/payments` (scope payments/admin, group admins): every owner's payments. The
 * authorizer enforces scope and group; the handler checks the group again (defence in depth).
 */
export function createHandler(deps: () => PaymentsDeps = containerPaymentsDeps('cursor')): ProxyHandler {
  return apiHandler({ methods: ['GET'], authenticated: true, groups: [ADMIN_GROUP], query: ListPaymentsQuery }, async (req) => {
    const d = deps();
    const page = await signedPage(d, 'all', req.query, (limit, startKey) => d.store.listAll(limit, startKey));
    return { statusCode: 200, body: page };
  });
}

/** Lambda entry point. */
export const handler = createHandler();
