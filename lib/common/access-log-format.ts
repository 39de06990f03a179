import { Stack, Token } from 'aws-cdk-lib';
import { CfnStage, Stage } from 'aws-cdk-lib/aws-apigateway';
import { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { ACCESS_LOG_METRIC_DIMENSIONS, ACCESS_LOG_STATUS_FILTERS } from '../defaults/alarms';
import { ACCESS_LOG_FIELDS } from '../defaults/logging';

/** Marks an unquoted (numeric) `$context` variable while the format is parsed as JSON. */
const NUMBER_MARK = '\u0000number:';

/**
 * The access-log keys `ApiAlarms`' metric filters read, with the variable and JSON type each must have:
 * the filters' own fields (`status`, compared as a number) and their dimensions (`apiId`, `stage`).
 * Derived from the filter definitions, so a new filter field is checked without editing this list.
 */
export function requiredAccessLogFields(): { key: string; variable: string; type: 'string' | 'number' }[] {
  const keys = new Set<string>([
    ...Object.values(ACCESS_LOG_STATUS_FILTERS).map((f) => f.field as string),
    ...Object.values(ACCESS_LOG_METRIC_DIMENSIONS).map((selector) => selector.replace(/^\$\./, '')),
  ]);
  return [...keys].sort().map((key) => {
    const field = ACCESS_LOG_FIELDS[key];
    if (!field) throw new Error(`ACCESS_LOG_FIELDS has no field ${key}, which an access-log metric filter reads`);
    return { key, variable: field.variable, type: field.type };
  });
}

/**
 * Why an access-log format does not give `ApiAlarms`' metric filters what they match on (empty when it
 * does). The format must be a JSON object (one line per request) with, at the top level,
 * `"status":$context.status` unquoted (the filters compare numbers), `"apiId":"$context.apiId"` and
 * `"stage":"$context.stage"` (the metric dimensions). Pure: used at synth and in tests.
 */
export function accessLogFormatProblems(format: string): string[] {
  // Unquoted variables in value position become marked strings, so the rest parses as plain JSON.
  const marked = format.replace(/(:\s*)\$context\.([A-Za-z0-9_.]+)(?=\s*[,}])/g, (_m, sep: string, v: string) => `${sep}${JSON.stringify(`${NUMBER_MARK}$context.${v}`)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(marked);
  } catch {
    return ['is not a JSON object (CLF, XML or CSV lines cannot be matched by the JSON metric filters); use accessLogFormatString()'];
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return ['is not a JSON object; use accessLogFormatString()'];
  const line = parsed as Record<string, unknown>;
  const problems: string[] = [];
  for (const { key, variable, type } of requiredAccessLogFields()) {
    const value = line[key];
    const wanted = type === 'number' ? `"${key}":${variable}` : `"${key}":"${variable}"`;
    if (value === undefined) {
      problems.push(`has no "${key}" field (${wanted}), which the metric filters read`);
    } else if (type === 'number' && value === variable) {
      problems.push(`quotes "${key}": it must be the bare number ${wanted}, or the filters' numeric comparisons never match`);
    } else if (value !== (type === 'number' ? `${NUMBER_MARK}${variable}` : variable)) {
      problems.push(`has "${key}" but not as ${wanted}`);
    }
  }
  return problems;
}

/** What a stage's access-log setting means for `ApiAlarms`. */
export type AccessLogCheck =
  | { readonly kind: 'ok' }
  | { readonly kind: 'unknown'; readonly why: string }
  | { readonly kind: 'wrong'; readonly prop: 'stage' | 'accessLogGroup'; readonly message: string };

/**
 * Checks that `stage` writes its access log to `accessLogGroup` in a format the metric filters read.
 * Tokens that cannot be resolved yet give `unknown`, never a false `wrong`.
 */
export function checkStageAccessLog(stage: Stage, accessLogGroup: ILogGroup): AccessLogCheck {
  const cfn = stage.node.defaultChild;
  if (!(cfn instanceof CfnStage)) return { kind: 'unknown', why: 'the stage has no CfnStage to read its access-log setting from' };
  const stack = Stack.of(stage);
  const setting = stack.resolve(cfn.accessLogSetting) as { destinationArn?: unknown; format?: unknown } | undefined;
  if (!setting || setting.destinationArn === undefined) {
    return { kind: 'wrong', prop: 'stage', message: 'writes no access log; the metric filters and queries need one (accessLogDestination with accessLogFormatString())' };
  }
  const destination = setting.destinationArn;
  const group = stack.resolve(accessLogGroup.logGroupArn) as unknown;
  if (JSON.stringify(destination) !== JSON.stringify(group)) {
    const literal = (x: unknown): boolean => typeof x === 'string' && !Token.isUnresolved(x);
    if ((literal(destination) && literal(group)) || (isLocalReference(destination) && isLocalReference(group))) {
      return { kind: 'wrong', prop: 'accessLogGroup', message: `is ${JSON.stringify(group)}, but the stage writes its access log to ${JSON.stringify(destination)}: the metric filters would watch a log group that gets no access log` };
    }
    return { kind: 'unknown', why: 'the stage\'s access-log destination and accessLogGroup are references that cannot be compared at synth' };
  }
  if (setting.format === undefined) {
    return { kind: 'wrong', prop: 'stage', message: 'logs in API Gateway\'s default (CLF) access-log format, which the JSON metric filters cannot match; use AccessLogFormat.custom(accessLogFormatString())' };
  }
  if (typeof setting.format !== 'string') return { kind: 'unknown', why: 'the stage\'s access-log format is built from tokens' };
  const problems = accessLogFormatProblems(setting.format);
  if (problems.length > 0) {
    return { kind: 'wrong', prop: 'stage', message: `access-log format ${problems.join('; ')} (accessLogFormatString() has every field)` };
  }
  return { kind: 'ok' };
}


/** `{ Ref }` or `{ Fn::GetAtt }` of a resource of the same template: two different ones are two different resources. */
function isLocalReference(x: unknown): boolean {
  if (typeof x !== 'object' || x === null) return false;
  const keys = Object.keys(x);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Fn::GetAtt');
}
