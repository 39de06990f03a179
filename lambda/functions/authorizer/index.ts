import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { logger, metrics } from '../../runtime/powertools';
import { Authorizer, configFromEnv, createAuthorizer } from './authorizer';
import { AUTHORIZER_ENV } from './route-policy';

export { createAuthorizer, configFromEnv, reasonFor } from './authorizer';
export type { Authorizer, AuthorizerConfig, AuthorizerOptions } from './authorizer';

function init(): Authorizer {
  // A bad configuration throws here, during init: the function never answers "allow" (fail closed).
  const authorizer = createAuthorizer(configFromEnv(process.env), { logger, metrics });
  // Start the JWKS download during init (which runs with a full CPU share before the first
  // invocation); errors are logged and the first verify() fetches again.
  void authorizer.hydrate();
  return authorizer;
}

// In Lambda the environment is set, so the verifier and JWKS prefetch happen at cold start.
// Importing the module without it (tests, tooling) creates nothing and touches no network.
let instance: Authorizer | undefined = process.env[AUTHORIZER_ENV.userPoolId] ? init() : undefined;

/**
 * Lambda REQUEST authorizer for API Gateway REST APIs: verifies a Cognito access token with
 * aws-jwt-verify and returns an IAM policy covering every route the token's scopes and groups permit.
 * Missing or invalid token: throws `Unauthorized` (401). Valid token, route not permitted: Deny (403).
 */
export async function handler(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  instance ??= init();
  return instance.handle(event);
}
