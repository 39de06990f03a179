/**
 * The secrets cache's metric contract, shared by `lambda/runtime/secrets.ts` (which emits it through
 * Powertools Metrics) and `ApiAlarms.monitorSecretAccess()` (which alarms on it). Pure data.
 *
 * Metric: namespace = the function's `POWERTOOLS_METRICS_NAMESPACE`, unit Count, dimension `service`
 * (Powertools default, = `POWERTOOLS_SERVICE_NAME`). One count per failed fetch of a secret
 * (Secrets Manager publishes no per-secret error metric of its own).
 */
export const SECRET_FETCH_ERROR_METRIC = 'SecretFetchErrors';
