import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { RequestAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import { markRouteTableAuthorizer, routePolicyFor } from '../../lib/common/library-authorizer';
import { SecureFunction } from '../../lib/constructs/secure-function';
import { RouteTable } from '../../lib/routes';

const HEALTH_ENTRY = path.join(__dirname, '..', '..', 'lambda', 'example', 'handlers', 'health.ts');

/**
 * A REQUEST authorizer registered as the library's own for `routes`, without a user pool: for template
 * tests of other layers (WAF, usage plans, stage). The real one (ApiIdentity + the aws-jwt-verify
 * function) is tested in api-identity.test.ts and test/lambda/authorizer.test.ts.
 */
export function routeTableAuthorizer(stack: Stack, routes: RouteTable, id = 'Authorizer'): RequestAuthorizer {
  const fn = new SecureFunction(stack, `${id}Fn`, { entry: HEALTH_ENTRY, serviceName: 'test' });
  const authorizer = new RequestAuthorizer(stack, id, { handler: fn, identitySources: ['method.request.header.Authorization'] });
  markRouteTableAuthorizer(authorizer, routePolicyFor(routes));
  return authorizer;
}
