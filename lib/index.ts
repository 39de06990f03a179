/**
 * Secure-by-default REST API constructs for AWS CDK v2.
 *
 * The main entry: constructs, route-table types, secure defaults and errors. Handler code imports
 * `@secure-api/cdk/runtime`; the cdk-nag rule packs are `@secure-api/cdk/rule-packs`.
 *
 * @example
 * import { SecureRestApi } from '@secure-api/cdk';
 * @packageDocumentation
 * @module @secure-api/cdk
 */
export * from './errors';
export * from './routes';
export * from './defaults/api';
export * from './defaults/lambda';
export * from './defaults/logging';
export * from './defaults/alarms';
export * from './defaults/waf';
export * from './defaults/usage-plans';
export * from './common/encryption';
export * from './constructs/secure-function';
export * from './constructs/secure-rest-api';
export * from './constructs/http-backend';
export * from './constructs/api-alarms';
export { accessLogFormatProblems, requiredAccessLogFields } from './common/access-log-format';
export * from './constructs/api-firewall';
export * from './constructs/usage-plan-tiers';
export * from './constructs/api-identity';
export * from './defaults/identity';
export * from './compliance/acknowledge';
export * from './constructs/private-network';
export * from './openapi';
export * from './preflight';
export * from './common/unique-names';
export * from './defaults/api-models';
