import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * One Logger and one Metrics instance per container, configured from the environment that
 * `SecureFunction` sets (`POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_METRICS_NAMESPACE`, `POWERTOOLS_LOG_LEVEL`).
 */
export const logger = new Logger();

/**
 * Powertools metrics (EMF), flushed once per invocation by the handler kit. The namespace falls back
 * to the library default so a function run outside `SecureFunction` (tests, scripts) still emits valid EMF.
 */
export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'SecureRestApi' });
