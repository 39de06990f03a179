import { RouteTable } from '../routes';

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
];
