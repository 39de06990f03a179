import { resourcesOfType } from '../template';
import { PreflightCheck, PreflightFinding } from '../types';

/**
 * Each `MethodSettings` entry of a stage stands alone: an entry for one method does not inherit the
 * `/*\/*` entry, so an entry that sets only throttling runs that method with execution logs and detailed
 * metrics off. Every entry must log errors, emit metrics and never trace data (bodies, tokens).
 */
export const stageMethodSettings: PreflightCheck = {
  id: 'stage-method-settings',
  description: 'Every MethodSettings entry of a stage sets LoggingLevel ERROR or INFO, MetricsEnabled true and DataTraceEnabled false (entries do not inherit /*/*).',
  run: ({ template }) => resourcesOfType(template, 'AWS::ApiGateway::Stage').flatMap(([id, stage]): PreflightFinding[] => {
    const settings = (stage.Properties?.MethodSettings ?? []) as Record<string, unknown>[];
    return settings.flatMap((entry): PreflightFinding[] => {
      const where = `${String(entry.HttpMethod)} ${String(entry.ResourcePath).replace(/~1/g, '/')}`;
      const problems: string[] = [];
      if (entry.LoggingLevel !== 'ERROR' && entry.LoggingLevel !== 'INFO') problems.push(`LoggingLevel is ${entry.LoggingLevel === undefined ? 'unset (OFF)' : JSON.stringify(entry.LoggingLevel)}`);
      if (entry.MetricsEnabled !== true) problems.push('MetricsEnabled is not true');
      if (entry.DataTraceEnabled === true) problems.push('DataTraceEnabled is true (request and response bodies in the execution log)');
      return problems.length === 0 ? [] : [{
        check: 'stage-method-settings', level: 'error', logicalId: id, prop: 'deployOptions.methodOptions',
        message: `method setting ${where} of stage ${id}: ${problems.join('; ')}. Set loggingLevel ERROR, metricsEnabled true and dataTraceEnabled false in every methodOptions entry (SecureRestApi does).`,
      }];
    });
  }),
};
