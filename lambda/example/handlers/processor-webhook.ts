import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { PROCESSOR_SIGNATURE_HEADER, ProcessorWebhookBody } from '../schemas/payments';
import { apiHandler, type ProxyHandler } from '../../runtime/handler';
import { header } from '../../runtime/http';
import { containerPaymentsDeps, type PaymentsDeps } from '../payments/payments-deps';
import { metrics } from '../../runtime/powertools';
import { verifyWebhook } from '../../runtime/webhook-signature';

/**
 * `POST /webhooks/processor` (no token: the processor authenticates with an HMAC-SHA256 signature
 * over the raw body and a timestamp, verified before the body is parsed). Moves a pending payment
 * to settled/failed once; a replayed event is acknowledged without a second write.
 */
export function createHandler(deps: () => PaymentsDeps = containerPaymentsDeps('webhook')): ProxyHandler {
  return apiHandler({
    methods: ['POST'],
    authenticated: false,
    body: ProcessorWebhookBody,
    verifyRawBody: async (rawBody, event) => {
      const d = deps();
      const secrets = await d.secrets.acceptedValues(d.webhookSecretId);
      verifyWebhook(rawBody, header(event, PROCESSOR_SIGNATURE_HEADER), secrets, Math.floor(d.now().getTime() / 1000));
    },
  }, async (req) => {
    const d = deps();
    const status = req.body.type === 'payment.settled' ? 'settled' : 'failed';
    const result = await d.store.applyOutcome(req.body.paymentId.toLowerCase(), status, req.body.eventId, d.now());
    metrics.addMetric(result === 'applied' ? 'WebhookApplied' : 'WebhookDuplicate', MetricUnit.Count, 1);
    return { statusCode: 200, body: { received: true, result } };
  });
}

/** Lambda entry point. */
export const handler = createHandler();
