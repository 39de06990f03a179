import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { CreatePaymentClassic } from './zod-classic-payments';

/** Probe: a handler whose only dependency is classic `zod` (parse the body, answer 201/400). */
export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const r = CreatePaymentClassic.safeParse(JSON.parse(event.body ?? 'null'));
  return Promise.resolve({ statusCode: r.success ? 201 : 400, body: JSON.stringify(r.success ? r.data : { error: { code: 'VALIDATION_FAILED' } }) });
};
