import { PaymentIdParams } from '../schemas/payments';
import { ApiError } from '../../runtime/errors';
import { apiHandler, type ProxyHandler } from '../../runtime/handler';
import { containerDeps, storeDeps, type StoreDeps } from '../payments/payments-store-deps';

/**
 * `GET /payments/{paymentId}` (scope payments/read): the caller's own payment. Object-level
 * authorization: another owner's payment is a 404, exactly like a missing one, so ids cannot be probed.
 */
export function createHandler(deps: () => StoreDeps = containerDeps(() => storeDeps())): ProxyHandler {
  return apiHandler({ methods: ['GET'], authenticated: true, params: PaymentIdParams }, async (req) => {
    const payment = await deps().store.getOwned(req.params.paymentId.toLowerCase(), req.principal.id);
    if (!payment) throw new ApiError('NOT_FOUND');
    return { statusCode: 200, body: payment };
  });
}

/** Lambda entry point. */
export const handler = createHandler();
