import { allowsAction, dependsOn, referencedId, resourcesOfType, roleStatements } from '../template';
import { PreflightCheck, PreflightFinding } from '../types';

/** What Lambda checks on the execution role when a function is created or updated with a VPC config. */
export const LAMBDA_VPC_ENI_ACTIONS: readonly string[] = Object.freeze([
  'ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses',
]);

const MANAGED = /:iam::aws:policy\/service-role\/(AWSLambdaVPCAccessExecutionRole|AWSLambdaENIManagementAccess)$/;

/**
 * A function in a VPC whose role cannot manage network interfaces is refused by Lambda at CreateFunction
 * ("The provided execution role does not have permissions to call CreateNetworkInterface on EC2"); the
 * policy granting them must exist before the function (DependsOn), or the first create races it.
 */
export const lambdaVpcEniPermissions: PreflightCheck = {
  id: 'lambda-vpc-eni-permissions',
  description: 'A Lambda function in a VPC has a role that grants the ENI actions Lambda checks at CreateFunction, created before the function.',
  run: ({ template }) => resourcesOfType(template, 'AWS::Lambda::Function').flatMap(([id, fn]): PreflightFinding[] => {
    if (fn.Properties?.VpcConfig === undefined) return [];
    const roleId = referencedId(fn.Properties.Role);
    // A role from outside the template (an ARN string) cannot be checked here.
    if (roleId === undefined || template.Resources?.[roleId]?.Type !== 'AWS::IAM::Role') return [];
    const { statements, policyIds, managedPolicyArns } = roleStatements(template, roleId);
    if (managedPolicyArns.some((arn) => MANAGED.test(arn))) return [];
    const missing = LAMBDA_VPC_ENI_ACTIONS.filter((action) => !statements.some((st) => allowsAction(st, action)));
    if (missing.length > 0) {
      return [{
        check: 'lambda-vpc-eni-permissions', level: 'error', logicalId: id, prop: 'role',
        message: `function ${id} runs in a VPC but its role ${roleId} does not allow ${missing.join(', ')}: Lambda refuses CreateFunction. Build it as a SecureFunction (it grants them when \`vpc\` is set) or add those actions to the role (what AWSLambdaVPCAccessExecutionRole grants).`,
      }];
    }
    const granting = policyIds.filter((pid) => template.Resources?.[pid]?.Properties !== undefined);
    const deps = new Set(dependsOn(fn));
    const notFirst = granting.filter((pid) => !deps.has(pid));
    return notFirst.length === granting.length && granting.length > 0 ? [{
      check: 'lambda-vpc-eni-permissions', level: 'error', logicalId: id, prop: 'role',
      message: `function ${id} runs in a VPC but does not depend on ${notFirst.join(', ')}, the policy granting its ENI permissions: CloudFormation may create the function first and Lambda refuses it. Add \`fn.node.addDependency(role)\`.`,
    }] : [];
  }),
};
