import * as z from 'zod/mini';
import {
  AdminPaymentPage, CreatePaymentBody, ListPaymentsQuery, Payment, PaymentIdParams, PaymentPage, PROCESSOR_SIGNATURE_HEADER, ProcessorWebhookBody,
} from '../../lambda/example/schemas/payments';
import { ADMIN_STEP_UP_MAX_AUTH_AGE } from '../defaults/identity';
import { openApiDocument, OpenApiResponse } from '../openapi';
import { RouteTable } from '../routes';

/** OAuth scopes of the payments API: one per intent, none implied by another. */
export const PAYMENT_SCOPES = Object.freeze({
  read: 'payments/read',
  write: 'payments/write',
  admin: 'payments/admin',
});

/**
 * The example payments API's route table: the one place its routes are declared.
 * Scopes, throttles, models, WAF rules, alarms and the OpenAPI document all derive from it.
 */
export const PAYMENTS_ROUTES: RouteTable = [
  {
    method: 'GET',
    path: '/health',
    handler: 'health',
    auth: { public: true, reason: 'Liveness probe for load balancers and uptime monitors; returns only {"status":"ok"}.' },
    sensitivity: 'low',
    summary: 'Liveness probe',
  },
  {
    method: 'POST',
    path: '/payments',
    handler: 'create-payment',
    auth: { scopes: [PAYMENT_SCOPES.write] },
    sensitivity: 'high',
    body: CreatePaymentBody,
    requiredHeaders: ['Idempotency-Key'],
    // Metered per client application (usage-plan tier); the key is never an authorization.
    apiKeyRequired: true,
    summary: 'Create a payment (idempotent per Idempotency-Key)',
  },
  {
    method: 'GET',
    path: '/payments',
    handler: 'list-payments',
    auth: { scopes: [PAYMENT_SCOPES.read] },
    query: ListPaymentsQuery,
    apiKeyRequired: true,
    summary: "List the caller's payments, newest first",
  },
  {
    method: 'GET',
    path: '/payments/{paymentId}',
    handler: 'get-payment',
    auth: { scopes: [PAYMENT_SCOPES.read] },
    params: PaymentIdParams,
    apiKeyRequired: true,
    summary: "Read one of the caller's payments",
  },
  {
    method: 'GET',
    path: '/admin/payments',
    handler: 'admin-list-payments',
    // Step-up: an administrator must have signed in (password + TOTP) within the last 15 minutes.
    auth: { scopes: [PAYMENT_SCOPES.admin], groups: ['admins'], maxAuthAge: ADMIN_STEP_UP_MAX_AUTH_AGE },
    sensitivity: 'high',
    query: ListPaymentsQuery,
    summary: 'List every payment (administrators)',
  },
  {
    method: 'POST',
    path: '/webhooks/processor',
    handler: 'processor-webhook',
    auth: {
      public: true,
      reason: 'Server-to-server callback from the payment processor, which holds no Cognito token: authenticated in the handler by an HMAC-SHA256 signature over the raw body with a 5-minute timestamp tolerance.',
    },
    sensitivity: 'standard',
    body: ProcessorWebhookBody,
    requiredHeaders: [PROCESSOR_SIGNATURE_HEADER],
    summary: 'Payment outcome reported by the processor (HMAC-signed)',
  },
];

/** Success responses of the payments routes, for the OpenAPI document. */
export const PAYMENTS_RESPONSES: Readonly<Record<string, OpenApiResponse>> = Object.freeze({
  'GET /health': { status: 200, description: 'Alive', schema: z.strictObject({ status: z.literal('ok') }), schemaName: 'Health' },
  'POST /payments': {
    status: 201,
    description: 'Created, or the stored result of an earlier request with the same Idempotency-Key and body',
    schema: Payment,
    schemaName: 'Payment',
    headers: { Location: 'URL of the payment', 'Idempotent-Replayed': '`true` when this is a replay of an earlier request' },
  },
  'GET /payments': { status: 200, description: "A page of the caller's payments", schema: PaymentPage, schemaName: 'PaymentPage' },
  'GET /payments/{paymentId}': { status: 200, description: 'The payment', schema: Payment, schemaName: 'Payment' },
  'GET /admin/payments': { status: 200, description: 'A page of all payments, creditor IBANs masked', schema: AdminPaymentPage, schemaName: 'AdminPaymentPage' },
  'POST /webhooks/processor': {
    status: 200,
    description: 'Event applied, or acknowledged as a duplicate',
    schema: z.strictObject({ received: z.literal(true), result: z.enum(['applied', 'duplicate']) }),
    schemaName: 'WebhookAck',
  },
});

/** Descriptions of the scopes (OpenAPI, Cognito resource server). */
export const PAYMENT_SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = Object.freeze({
  [PAYMENT_SCOPES.read]: "Read the caller's own payments",
  [PAYMENT_SCOPES.write]: 'Create payments owned by the caller',
  [PAYMENT_SCOPES.admin]: 'List every payment (also requires the admins group)',
});

/** The OpenAPI document of the payments API. */
export function paymentsOpenApi(routes: RouteTable = PAYMENTS_ROUTES, authBaseUrl = 'https://auth.example.com'): Record<string, unknown> {
  return openApiDocument(routes, {
    title: 'Payments API',
    version: '1.0.0',
    description: 'Example financial API built with the secure-rest-api construct library. Every error uses the envelope `{ "error": { "code", "message", "requestId", "details"? } }`.',
    authBaseUrl,
    responses: PAYMENTS_RESPONSES,
    scopeDescriptions: PAYMENT_SCOPE_DESCRIPTIONS,
    signedRoutes: {
      'POST /webhooks/processor': {
        header: PROCESSOR_SIGNATURE_HEADER,
        description: '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` with the shared webhook secret; |now - t| <= 300 s.',
      },
    },
  });
}
