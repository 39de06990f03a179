import { literalText, resourcesOfType } from '../template';
import { PreflightCheck, PreflightFinding } from '../types';

/**
 * A Lambda permission for an AWS service without a SourceArn lets that service invoke the function on
 * behalf of any resource, in any account (confused deputy): pin it to the resource that invokes it.
 */
export const invokePermissionSourceArn: PreflightCheck = {
  id: 'invoke-permission-source-arn',
  description: 'A Lambda invoke permission for an AWS service principal names the invoking resource (SourceArn).',
  run: ({ template }) => resourcesOfType(template, 'AWS::Lambda::Permission').flatMap(([id, permission]): PreflightFinding[] => {
    const principal = literalText(permission.Properties?.Principal) ?? '';
    if (!principal.endsWith('.amazonaws.com') || permission.Properties?.SourceArn !== undefined) return [];
    return [{
      check: 'invoke-permission-source-arn', level: 'error', logicalId: id, prop: 'sourceArn',
      message: `permission ${id} lets ${principal} invoke the function without a SourceArn: any ${principal.split('.')[0] ?? ''} resource of any account could drive it. Set \`sourceArn\` to the resource that invokes it (e.g. the secret for Secrets Manager rotation, the API's execute-api ARN).`,
    }];
  }),
};
