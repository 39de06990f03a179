import { dependsOn, literalText, referencedId, resourcesOfType } from '../template';
import { PreflightCheck, PreflightFinding } from '../types';

/**
 * With execution logging on, API Gateway writes to `API-Gateway-Execution-Logs_{restApiId}/{stageName}`
 * and, when that group does not exist, creates it itself: unencrypted and never expiring. The stack must
 * create it (KMS key, retention) before the stage.
 */
export const executionLogGroup: PreflightCheck = {
  id: 'execution-log-group',
  description: 'A stage with execution logging has its API-Gateway-Execution-Logs_{id}/{stage} group created by the stack first, with a KMS key and retention.',
  run: ({ template }) => resourcesOfType(template, 'AWS::ApiGateway::Stage').flatMap(([id, stage]): PreflightFinding[] => {
    const settings = (stage.Properties?.MethodSettings ?? []) as Record<string, unknown>[];
    if (!settings.some((s) => s.LoggingLevel === 'ERROR' || s.LoggingLevel === 'INFO')) return [];
    const apiId = referencedId(stage.Properties?.RestApiId);
    const stageName = stage.Properties?.StageName;
    const match = resourcesOfType(template, 'AWS::Logs::LogGroup').find(([, g]) => {
      const name = g.Properties?.LogGroupName as { 'Fn::Join'?: [string, unknown[]] } | undefined;
      const parts = name?.['Fn::Join']?.[1];
      return Array.isArray(parts) && literalText(name)?.startsWith('API-Gateway-Execution-Logs_')
        && parts.some((p) => referencedId(p) === apiId) && literalText(name)?.endsWith(`/${String(stageName)}`);
    });
    const fail = (message: string): PreflightFinding[] => [{ check: 'execution-log-group', level: 'error', logicalId: id, prop: 'executionLogGroup', message }];
    if (!match) return fail(`stage ${id} logs execution errors, but the stack does not create API-Gateway-Execution-Logs_<${apiId ?? 'api'}>/${String(stageName)}: API Gateway would create it unencrypted and never expiring. Create it with a KMS key and retention, named from the REST API id and stage, and make the stage depend on it (SecureRestApi does).`);
    const [groupId, group] = match;
    if (group.Properties?.KmsKeyId === undefined || group.Properties.RetentionInDays === undefined) {
      return fail(`execution-log group ${groupId} of stage ${id} needs a KmsKeyId and RetentionInDays.`);
    }
    return dependsOn(stage).includes(groupId) ? [] : fail(`stage ${id} does not depend on its execution-log group ${groupId}: the first execution log may create the group before CloudFormation does (then "already exists"). Add \`stage.node.addDependency(group)\`.`);
  }),
};
