/**
 * `npm run security`: the security report of the synthesized example app.
 *
 * Synthesizes the app exactly as `bin/app.ts` does (same settings, same rule packs) and reads the
 * protections back from the synthesized template — not from the library's intentions — so the
 * report shows what would be deployed: per route its auth, WAF rules, throttles, validation and
 * alarms; the findings of each rule pack; and every acknowledgement with its reason.
 * Writes reports/security-report.md and cdk.out/security-report.md. Exit code 1 when a rule pack
 * has an unacknowledged finding or a route lacks a protection.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { acknowledgements } from '../lib/compliance/acknowledge';
import { CRS_BODY_SIZE_RULE, CRS_SERVER_TO_SERVER_EXCEPTIONS, WAF_RULE_NAMES } from '../lib/defaults/waf';
import { isPublicRoute, protectionOf, routeKey, RouteDefinition, sensitivityOf } from '../lib/routes';
import { buildExampleApp } from '../lib/stacks/example-app';

type Cfn = { Type: string; Properties?: Record<string, unknown> };
interface Violation { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }

const root = path.join(__dirname, '..');
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'security-report-'));
const cdkJson = JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
const { stack } = buildExampleApp(app);
try {
  app.synth();
} catch {
  // Rule-pack failures are read from the validation report below.
}

const template = JSON.parse(fs.readFileSync(path.join(outdir, `${stack.artifactId}.template.json`), 'utf8')) as { Resources: Record<string, Cfn> };
const resources = template.Resources;
const ofType = (type: string): [string, Cfn][] => Object.entries(resources).filter(([, r]) => r.Type === type);
const problems: string[] = [];

function resourcePath(ref: unknown): string {
  const id = (ref as { Ref?: string } | undefined)?.Ref;
  const res = id ? resources[id] : undefined;
  if (!res || res.Type !== 'AWS::ApiGateway::Resource') return '';
  return `${resourcePath(res.Properties?.ParentId)}/${String(res.Properties?.PathPart)}`;
}

const methods = new Map(ofType('AWS::ApiGateway::Method').map(([id, r]) => [
  `${String(r.Properties?.HttpMethod)} ${resourcePath(r.Properties?.ResourceId) || '/'}`, { id, props: r.Properties ?? {} },
]));
const stageSettings = (ofType('AWS::ApiGateway::Stage')[0]?.[1].Properties?.MethodSettings ?? []) as {
  HttpMethod: string; ResourcePath: string; ThrottlingRateLimit?: number; ThrottlingBurstLimit?: number;
}[];
const plans = ofType('AWS::ApiGateway::UsagePlan').map(([, r]) => r.Properties ?? {});
const webAcl = ofType('AWS::WAFv2::WebACL')[0]?.[1].Properties;
const wafRules = ((webAcl?.Rules ?? []) as { Name: string; Priority: number; Statement: unknown }[]).sort((a, b) => a.Priority - b.Priority);
const alarms = [...ofType('AWS::CloudWatch::Alarm')].map(([id, r]) => ({ id, props: r.Properties ?? {} }));

const escapePath = (p: string): string => p.replace(/\//g, '~1');
const sample = (p: string): string => p.replace(/\{[^}]+\}/g, '0a1b2c3d-0000-4000-8000-000000000000');

/**
 * Whether a WAF statement can match a request to this route: And/Or/Not, method and URI byte/regex
 * matches are evaluated on a sample request (URI with and without the stage prefix, as WAF sees
 * them on the execute-api endpoint and on a custom domain); statements on other fields (IP, geo,
 * body size, managed groups) apply to every route.
 */
function statementMatches(statement: Record<string, unknown>, method: string, uri: string): boolean {
  const [kind, raw] = Object.entries(statement)[0] ?? ['', {}];
  const body = raw as Record<string, unknown>;
  switch (kind) {
    case 'AndStatement': return (body.Statements as Record<string, unknown>[]).every((x) => statementMatches(x, method, uri));
    case 'OrStatement': return (body.Statements as Record<string, unknown>[]).some((x) => statementMatches(x, method, uri));
    case 'NotStatement': return !statementMatches(body.Statement as Record<string, unknown>, method, uri);
    case 'RateBasedStatement': return body.ScopeDownStatement ? statementMatches(body.ScopeDownStatement as Record<string, unknown>, method, uri) : true;
    case 'ByteMatchStatement':
    case 'RegexMatchStatement': {
      const field = Object.keys((body.FieldToMatch ?? {}) as object)[0];
      const value = field === 'Method' ? method.toLowerCase() : field === 'UriPath' ? uri.toLowerCase() : undefined;
      if (value === undefined) return true;
      if (kind === 'RegexMatchStatement') {
        // eslint-disable-next-line security/detect-non-literal-regexp -- the pattern comes from our own template
        return new RegExp(String(body.RegexString)).test(value);
      }
      const search = String(body.SearchString).toLowerCase();
      switch (body.PositionalConstraint) {
        case 'EXACTLY': return value === search;
        case 'STARTS_WITH': return value.startsWith(search);
        case 'ENDS_WITH': return value.endsWith(search);
        default: return value.includes(search);
      }
    }
    default: return true;
  }
}

/** WAF rules that apply to this route. */
function wafRulesFor(route: RouteDefinition): string[] {
  const stageName = String((ofType('AWS::ApiGateway::Stage')[0]?.[1].Properties?.StageName) ?? '');
  const uris = [sample(route.path), `/${stageName}${sample(route.path)}`];
  return wafRules.filter((rule) => uris.some((u) => statementMatches(rule.Statement as Record<string, unknown>, route.method, u))).map((r) => r.Name);
}

function fnLogicalIdOf(method: Record<string, unknown>): string | undefined {
  const uri = JSON.stringify((method.Integration as { Uri?: unknown } | undefined)?.Uri ?? '');
  return /"Fn::GetAtt":\["([^"]+)","Arn"\]/.exec(uri)?.[1];
}

const lines: string[] = [];
const w = (s = ''): void => { lines.push(s); };
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

w('# Security report — FinancialApiStack');
w();
w(`Generated by \`npm run security\` from the synthesized template (${new Date().toISOString().slice(0, 10)}). Every value below is read from the CloudFormation template that \`cdk deploy\` would deploy.`);
w();
w('## Routes');
w();
w('| route | auth | sensitivity | API key | WAF rules | stage throttle (rps/burst) | plan throttles | validation | handler alarms |');
w('|---|---|---|---|---|---|---|---|---|');
for (const route of stack.api.routes) {
  const key = routeKey(route);
  const method = methods.get(key);
  if (!method) { problems.push(`${key}: no method in the template`); continue; }
  const p = method.props;
  const protection = protectionOf(route);
  const auth = isPublicRoute(route)
    ? `**public**: ${route.auth.reason}`
    : `${String(p.AuthorizationType)} authorizer; scopes ${protection?.scopes.join(' + ') ?? ''}${protection?.groups ? `; group ${protection.groups.join(' or ')}` : ''}`;
  if (!isPublicRoute(route) && (p.AuthorizationType !== 'CUSTOM' || !p.AuthorizerId)) problems.push(`${key}: protected route without authorizer`);
  const setting = stageSettings.find((s) => s.HttpMethod === route.method && s.ResourcePath === `/${escapePath(route.path)}`);
  const stageThrottle = setting ? `${setting.ThrottlingRateLimit ?? '-'}/${setting.ThrottlingBurstLimit ?? '-'}` : 'stage default';
  const planThrottles = plans.map((plan) => {
    const throttle = ((plan.ApiStages ?? []) as { Throttle?: Record<string, { RateLimit: number; BurstLimit: number }> }[])
      .map((s) => s.Throttle?.[`${route.path}/${route.method}`]).find(Boolean);
    return throttle ? `${String(plan.UsagePlanName ?? '')}: ${throttle.RateLimit}/${throttle.BurstLimit}` : undefined;
  }).filter(Boolean).join('<br>') || '-';
  const params = Object.keys((p.RequestParameters ?? {}) as Record<string, boolean>).map((k) => k.replace('method.request.', ''));
  const models = Object.keys((p.RequestModels ?? {}) as Record<string, unknown>);
  const validation = [p.RequestValidatorId ? 'validator' : 'NO VALIDATOR', models.length ? 'body model' : '', ...params].filter(Boolean).join(', ');
  if (!p.RequestValidatorId) problems.push(`${key}: no request validator`);
  const waf = wafRulesFor(route);
  if (webAcl === undefined) problems.push('no WAF web ACL in the template');
  const fnId = fnLogicalIdOf(p);
  const fnAlarms = fnId ? alarms.filter((a) => JSON.stringify(a.props).includes(`"${fnId}"`)).map((a) => String(a.props.AlarmName ?? a.id)) : [];
  w(`| \`${key}\` | ${cell(auth)} | ${sensitivityOf(route)} | ${p.ApiKeyRequired === true ? 'required' : '-'} | ${cell(waf.join(', '))} | ${stageThrottle} | ${planThrottles} | ${cell(validation)} | ${cell(fnAlarms.join(', ') || '-')} |`);
}
w();
w(`CORS allow-list: ${stack.api.allowedOrigins.map((o) => `\`${o}\``).join(', ') || 'none (no browser access)'}.`);
w();

w('## WAF web ACL');
w();
if (webAcl) {
  w(`Default action: ${Object.keys((webAcl.DefaultAction ?? {}) as object).join('')}; scope ${String(webAcl.Scope)}.`);
  w();
  w('| priority | rule | action |');
  w('|---|---|---|');
  for (const r of wafRules as unknown as { Name: string; Priority: number; Action?: object; OverrideAction?: object }[]) {
    const action = r.Action ? Object.keys(r.Action).join('') : `managed group (${Object.keys(r.OverrideAction ?? {}).join('')} override)`;
    w(`| ${r.Priority} | ${r.Name} | ${action} |`);
  }
  w();
  // What the Common rule set does not block, read from the template, with the reason for each exception.
  const crs = wafRules.find((r) => r.Name === WAF_RULE_NAMES.commonRuleSet) as unknown as
    { Statement: { ManagedRuleGroupStatement?: { RuleActionOverrides?: { Name: string; ActionToUse: object }[] } } } | undefined;
  const counted = (crs?.Statement.ManagedRuleGroupStatement?.RuleActionOverrides ?? [])
    .filter((o) => Object.keys(o.ActionToUse).includes('Count')).map((o) => o.Name);
  const browserOnly = wafRules.some((r) => r.Name === WAF_RULE_NAMES.commonRuleSetBrowserRoutes);
  w('### Common rule set rules that do not block everywhere');
  w();
  w('| rule | where it blocks | why |');
  w('|---|---|---|');
  for (const rule of counted) {
    const exception = CRS_SERVER_TO_SERVER_EXCEPTIONS.find((e) => e.rule === rule);
    if (rule === CRS_BODY_SIZE_RULE) {
      w(`| ${rule} | nowhere (counts) | The web ACL's own ${WAF_RULE_NAMES.bodySize} rule enforces the API's body limit on every route, server-to-server ones included. |`);
    } else if (exception && browserOnly) {
      w(`| ${rule} | every route except ${(stack.api.firewall?.serverToServerRoutes ?? []).map((k) => `\`${k}\``).join(', ')} (rule ${WAF_RULE_NAMES.commonRuleSetBrowserRoutes}) | ${cell(exception.reason)} |`);
    } else {
      w(`| ${rule} | nowhere (counts, by configuration) | ruleActionOverrides |`);
    }
  }
} else {
  w('**No web ACL.**');
}
w();

w('## Alarms');
w();
w('| alarm | metric / expression | threshold | evaluation | missing data |');
w('|---|---|---|---|---|');
for (const a of alarms.sort((x, y) => String(x.props.AlarmName).localeCompare(String(y.props.AlarmName)))) {
  const metric = a.props.MetricName ? `${String(a.props.Namespace)} ${String(a.props.MetricName)}` : 'metric math / anomaly band';
  const threshold = a.props.Threshold !== undefined ? `${String(a.props.ComparisonOperator)} ${String(a.props.Threshold)}` : String(a.props.ComparisonOperator);
  w(`| ${cell(String(a.props.AlarmName ?? a.id))} | ${cell(metric)} | ${cell(threshold)} | ${String(a.props.DatapointsToAlarm ?? a.props.EvaluationPeriods)}/${String(a.props.EvaluationPeriods)} × ${String(a.props.Period ?? '-')}s | ${String(a.props.TreatMissingData)} |`);
}
w();

const reportFile = path.join(outdir, 'validation-report.json');
const report = fs.existsSync(reportFile)
  ? JSON.parse(fs.readFileSync(reportFile, 'utf8')) as { pluginReports: { pluginName: string; violations: Violation[] }[] }
  : { pluginReports: [] };
const acks = acknowledgements(app);
w('## Rule packs');
w();
w('| pack | unacknowledged findings | acknowledged |');
w('|---|---|---|');
const packs = ['AwsSolutions', 'PCI.DSS.321', 'NIST.800.53.R5'];
for (const pack of packs) {
  const pr = report.pluginReports.find((r) => r.pluginName === pack);
  const count = (pr?.violations ?? []).reduce((n, v) => n + v.violatingConstructs.length, 0);
  if (count > 0) problems.push(`${pack}: ${count} unacknowledged findings`);
  w(`| ${pack} | ${count} | ${acks.filter((a) => a.id.startsWith(pack)).length} |`);
}
w();
for (const pr of report.pluginReports) {
  for (const v of pr.violations) for (const c of v.violatingConstructs) w(`- **UNACKNOWLEDGED** ${v.ruleName} (${v.severity}) at \`${c.constructPath}\``);
}
w();
w('### Acknowledged findings and their reasons');
w();
w('| construct | finding | reason |');
w('|---|---|---|');
for (const a of acks) w(`| \`${a.path}\` | ${a.id} | ${cell(a.reason)} |`);
w();
w('## Result');
w();
w(problems.length === 0 ? 'No unacknowledged finding; every route has its protections.' : problems.map((p) => `- FAILED: ${p}`).join('\n'));

const markdown = `${lines.join('\n')}\n`;
fs.mkdirSync(path.join(root, 'reports'), { recursive: true });
fs.writeFileSync(path.join(root, 'reports', 'security-report.md'), markdown);
fs.mkdirSync(path.join(root, 'cdk.out'), { recursive: true });
fs.writeFileSync(path.join(root, 'cdk.out', 'security-report.md'), markdown);
process.stdout.write(markdown);
process.exitCode = problems.length === 0 ? 0 : 1;
