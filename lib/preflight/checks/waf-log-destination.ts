import { WAF_LOG_GROUP_PREFIX } from '../../defaults/waf';
import { literalText, referencedId, resourcesOfType } from '../template';
import { PreflightCheck, PreflightFinding } from '../types';

/** WAF refuses a CloudWatch Logs destination whose name does not start with `aws-waf-logs-`. */
export const wafLogDestination: PreflightCheck = {
  id: 'waf-log-destination',
  description: 'A WAF logging configuration writes to a log group named aws-waf-logs-* (WAF refuses any other).',
  run: ({ template }) => resourcesOfType(template, 'AWS::WAFv2::LoggingConfiguration').flatMap(([id, config]): PreflightFinding[] =>
    ((config.Properties?.LogDestinationConfigs ?? []) as unknown[]).flatMap((destination): PreflightFinding[] => {
      let name: string | undefined;
      const ref = referencedId(destination);
      if (ref !== undefined && template.Resources?.[ref]?.Type === 'AWS::Logs::LogGroup') {
        name = literalText(template.Resources[ref].Properties?.LogGroupName) ?? '';
      } else {
        const arn = literalText(destination);
        if (arn === undefined || !arn.includes(':logs:')) return [];
        name = arn.split(':log-group:')[1] ?? '';
      }
      return name.startsWith(WAF_LOG_GROUP_PREFIX) ? [] : [{
        check: 'waf-log-destination', level: 'error', logicalId: id, prop: 'firewall.logGroupName',
        message: `WAF logging configuration ${id} writes to log group "${name || '(generated name)'}": WAF accepts only names starting with ${WAF_LOG_GROUP_PREFIX}. Name the group ${WAF_LOG_GROUP_PREFIX}... (ApiFirewall does).`,
      }];
    })),
};
