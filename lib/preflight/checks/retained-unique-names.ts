import { referencedIds, resourcesOfType } from '../template';
import { PreflightCheck, PreflightFinding, CfnTemplateJson } from '../types';

/** The physical-name property of resource types that are commonly retained, by type. */
export const PHYSICAL_NAME_PROPERTIES: Readonly<Record<string, string>> = Object.freeze({
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Cognito::UserPoolDomain': 'Domain',
  'AWS::Lambda::Function': 'FunctionName',
});

/** Pseudo parameters that are the same on every creation of the stack (a name built only from them repeats). */
const REPEATING = new Set(['AWS::StackName', 'AWS::AccountId', 'AWS::Region', 'AWS::Partition', 'AWS::URLSuffix']);

/** Whether a name changes on every creation of the stack: it carries AWS::StackId or an attribute of a resource the stack creates. */
export function isPerCreation(name: unknown, template: CfnTemplateJson): boolean {
  if (typeof name === 'string') return false;
  const text = JSON.stringify(name);
  if (text.includes('"AWS::StackId"')) return true;
  return [...referencedIds(name)].some((id) => !REPEATING.has(id) && template.Resources?.[id] !== undefined);
}

/**
 * A resource kept on stack deletion (DeletionPolicy Retain) with a fixed physical name makes the next
 * deployment after a delete fail with "already exists": its name must change per stack creation.
 */
export const retainedUniqueNames: PreflightCheck = {
  id: 'retained-unique-names',
  description: 'A resource retained on delete has a generated name or one that changes per stack creation (part of AWS::StackId), so delete + redeploy works.',
  run: ({ template }) => Object.entries(PHYSICAL_NAME_PROPERTIES).flatMap(([type, prop]) =>
    resourcesOfType(template, type).flatMap(([id, resource]): PreflightFinding[] => {
      if (resource.DeletionPolicy !== 'Retain' && resource.DeletionPolicy !== 'RetainExceptOnCreate') return [];
      const name = resource.Properties?.[prop];
      if (name === undefined || isPerCreation(name, template)) return [];
      return [{
        check: 'retained-unique-names', level: 'error', logicalId: id, prop,
        message: `${type} ${id} is retained on stack deletion and named ${JSON.stringify(name)}, the same on every creation: deploying again after a delete fails with "already exists". Leave the name to CloudFormation, or add a per-creation part (stackCreationSuffix(), a part of AWS::StackId) to ${prop}.`,
      }];
    })),
};
