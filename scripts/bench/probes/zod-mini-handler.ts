import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod/mini';
import { CreatePaymentMini } from './zod-mini-payments';

/** Probe: a handler whose only dependency is `zod/mini` (parse the body, answer 201/400). */
export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const r = z.safeParse(CreatePaymentMini, JSON.parse(event.body ?? 'null'));
  return Promise.resolve({ statusCode: r.success ? 201 : 400, body: JSON.stringify(r.success ? r.data : { error: { code: 'VALIDATION_FAILED' } }) });
};
