import { z } from 'zod';

// One schema per input: the gateway model, the handler's validation and the OpenAPI entry all come from it.
export const AccountParams = z.strictObject({
  accountId: z.string().regex(/^acc_[a-z0-9]{12}$/),
});
