import { allowsAction, referencedId, resourcesOfType, servicePrincipals, statements } from '../template';
import { CfnTemplateJson, PreflightCheck, PreflightFinding } from '../types';

/** Whether a key's policy lets `service` (a principal matching the pattern) use every one of `actions`. */
function keyAllows(template: CfnTemplateJson, keyId: string, service: (principal: string) => boolean, actions: readonly string[]): boolean {
  const policy = template.Resources?.[keyId]?.Properties?.KeyPolicy;
  const granted = statements(policy).filter((st) => servicePrincipals(st).some(service));
  return actions.every((action) => granted.some((st) => allowsAction(st, action)));
}

const LOGS_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'];
/** `logs.amazonaws.com` or `logs.<region>.amazonaws.com` (a region reference renders as `{}`). */
const LOGS_PRINCIPAL = (p: string): boolean => p.startsWith('logs.') && p.endsWith('.amazonaws.com') && !p.slice(5, -14).includes('.');

/**
 * A log group encrypted with a customer-managed key is refused by CreateLogGroup ("The specified KMS key
 * does not exist or is not allowed to be used") unless the key policy lets CloudWatch Logs use it.
 */
export const logsKeyPolicy: PreflightCheck = {
  id: 'logs-key-policy',
  description: 'The KMS key of a log group lets the CloudWatch Logs service principal encrypt, decrypt and generate data keys.',
  run: ({ template }) => resourcesOfType(template, 'AWS::Logs::LogGroup').flatMap(([id, group]): PreflightFinding[] => {
    const keyId = referencedId(group.Properties?.KmsKeyId);
    if (keyId === undefined || template.Resources?.[keyId]?.Type !== 'AWS::KMS::Key') return [];
    return keyAllows(template, keyId, LOGS_PRINCIPAL, LOGS_ACTIONS) ? [] : [{
      check: 'logs-key-policy', level: 'error', logicalId: id, prop: 'logEncryptionKey',
      message: `log group ${id} is encrypted with key ${keyId}, whose policy does not let logs.<region>.amazonaws.com ${LOGS_ACTIONS.join(', ')}: CreateLogGroup fails. Use the stack's logs key (stackLogsKey) or grant those actions to the CloudWatch Logs principal with a kms:EncryptionContext:aws:logs:arn condition.`,
    }];
  }),
};

const TOPIC_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'];

/**
 * CloudWatch publishes alarm notifications to an encrypted topic only when the topic's key lets
 * cloudwatch.amazonaws.com decrypt and generate data keys; otherwise every notification is dropped silently.
 */
export const alarmTopicKeyPolicy: PreflightCheck = {
  id: 'alarm-topic-key-policy',
  description: 'The KMS key of an SNS topic that alarms notify lets cloudwatch.amazonaws.com decrypt and generate data keys.',
  run: ({ template }) => {
    const alarmTopics = new Set([...resourcesOfType(template, 'AWS::CloudWatch::Alarm'), ...resourcesOfType(template, 'AWS::CloudWatch::CompositeAlarm')]
      .flatMap(([, a]) => [...(a.Properties?.AlarmActions ?? []) as unknown[], ...(a.Properties?.OKActions ?? []) as unknown[]].map(referencedId)));
    return resourcesOfType(template, 'AWS::SNS::Topic').flatMap(([id, topic]): PreflightFinding[] => {
      if (!alarmTopics.has(id)) return [];
      const keyId = referencedId(topic.Properties?.KmsMasterKeyId);
      if (keyId === undefined || template.Resources?.[keyId]?.Type !== 'AWS::KMS::Key') return [];
      return keyAllows(template, keyId, (p) => p === 'cloudwatch.amazonaws.com', TOPIC_ACTIONS) ? [] : [{
        check: 'alarm-topic-key-policy', level: 'error', logicalId: id, prop: 'alarmTopic.masterKey',
        message: `alarms notify topic ${id}, encrypted with key ${keyId} whose policy does not let cloudwatch.amazonaws.com ${TOPIC_ACTIONS.join(', ')}: CloudWatch drops every notification silently. Grant them to the CloudWatch principal (with aws:SourceAccount / aws:SourceArn conditions), as ApiAlarms does.`,
      }];
    });
  },
};
