import { z } from 'zod';

/** Path parameters of `GET /accounts/{accountId}`. */
export const AccountParams = z.strictObject({
  accountId: z.string().regex(/^acc_[a-z0-9]{12}$/),
});

/** Body of `POST /accounts`. */
export const OpenAccountBody = z.strictObject({
  holderName: z.string().min(1).max(70),
  currency: z.enum(['EUR', 'GBP', 'USD']),
  product: z.enum(['current', 'savings']),
});
