/**
 * The runtime kit: everything a handler behind a `SecureRestApi` needs (published as `<package>/runtime`).
 * Pure Node.js + Zod + Powertools: it never imports the CDK.
 *
 * @example
 * import { apiHandler, ApiError } from '@secure-api/cdk/runtime';
 * @packageDocumentation
 * @module @secure-api/cdk/runtime
 */
export * from './handler';
export * from './errors';
export * from './http';
export * from './validation';
export * from './authorizer-context';
export * from './secrets';
export * from './security-headers';
export * from './limits';
export * from './schemas';
export * from './iban';
export * from './cursor';
export * from './webhook-signature';
export * from './powertools';
export * from './secret-metrics';
export * from './authorizer-metrics';
