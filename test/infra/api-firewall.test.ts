import { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ApiFirewall, edgeProtectionMarkdown, edgeProtectionRows, routePathPattern, sensitiveRouteMatchers } from '../../lib/constructs/api-firewall';
import { SecureRestApiProps } from '../../lib/constructs/secure-rest-api';
import { DEFAULT_IP_RATE_LIMIT, DEFAULT_SENSITIVE_RATE_LIMIT, WAF_REDACTED_HEADERS, WAF_RULE_NAMES } from '../../lib/defaults/waf';
import * as z from 'zod/mini';
import { RouteDefinition } from '../../lib/routes';
import { SECURITY_HEADERS } from '../../lambda/runtime/security-headers';
import { nagFindings, testApp, testStack } from '../helpers/app';
import { buildApi, CREATE_PAYMENT, GET_PAYMENT, HEALTH, LIST_PAYMENTS, REFUND_PAYMENT, ROUTES, wafRules } from './edge-fixtures';

const defaults = buildApi();
const template = defaults.template();
const rules = wafRules(template);

/** Does the lower-cased URI match any of the sensitive rule's regexes for `method` (as WAF would after its transforms)? */
function sensitiveMatch(matchers: ReturnType<typeof sensitiveRouteMatchers>, method: string, uri: string): boolean {
  return matchers.some((m) => m.method === method && m.regexes.some((r) => new RegExp(r).test(uri.toLowerCase())));
}

describe('ApiFirewall: web ACL', () => {
  test('REGIONAL, default ALLOW, metrics and sampled requests on', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      VisibilityConfig: { CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: Match.anyValue() },
    });
  });

  test('rules and priorities are stable and explicit (rate limits before content inspection)', () => {
    expect([...rules.values()].map((r) => [r.Name, r.Priority])).toEqual([
      [WAF_RULE_NAMES.rateLimitSensitive, 30],
      [WAF_RULE_NAMES.rateLimitPerIp, 40],
      [WAF_RULE_NAMES.rateLimitPerToken, 45],
      [WAF_RULE_NAMES.bodySize, 50],
      ['AWS-AWSManagedRulesAmazonIpReputationList', 60],
      ['AWS-AWSManagedRulesAnonymousIpList', 70],
      ['AWS-AWSManagedRulesCommonRuleSet', 80],
      ['AWS-AWSManagedRulesKnownBadInputsRuleSet', 90],
      ['AWS-AWSManagedRulesSQLiRuleSet', 100],
    ]);
  });

  test('per-caller rule: 3,000 / 300 s per Authorization header value (bearer token), answered 429 (issue 14)', () => {
    const rule = rules.get(WAF_RULE_NAMES.rateLimitPerToken) as { Statement: { RateBasedStatement: Record<string, unknown> }; Action: { Block: { CustomResponse: { ResponseCode: number } } } };
    expect(rule.Statement.RateBasedStatement).toEqual({
      Limit: 3000,
      EvaluationWindowSec: 300,
      AggregateKeyType: 'CUSTOM_KEYS',
      CustomKeys: [{ Header: { Name: 'authorization', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } }],
    });
    expect(rule.Action.Block.CustomResponse.ResponseCode).toBe(429);
    expect(() => buildApi({ firewall: { tokenRateLimit: { limit: 5 } } })).toThrow(/tokenRateLimit\.limit/);
  });

  test('every rule has CloudWatch metrics and sampled requests, metric named after the rule', () => {
    for (const rule of rules.values()) {
      expect(rule.VisibilityConfig).toEqual({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: rule.Name });
    }
  });

  test('optional rules keep their priority slot: enabling them never renumbers the others', () => {
    const all = wafRules(buildApi({ firewall: { ipDenyList: ['198.51.100.0/24'], ipAllowList: ['203.0.113.0/24'], blockedCountries: ['KP'] } }).template());
    expect(all.get(WAF_RULE_NAMES.ipDenyList)?.Priority).toBe(0);
    expect(all.get(WAF_RULE_NAMES.ipAllowList)?.Priority).toBe(10);
    expect(all.get(WAF_RULE_NAMES.geoRestriction)?.Priority).toBe(20);
    for (const [name, rule] of rules) expect(all.get(name)?.Priority).toBe(rule.Priority);
  });
});

describe('ApiFirewall: AWS managed rule groups', () => {
  test.each([
    ['AWS-AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesAmazonIpReputationList'],
    ['AWS-AWSManagedRulesCommonRuleSet', 'AWSManagedRulesCommonRuleSet'],
    ['AWS-AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet'],
    ['AWS-AWSManagedRulesSQLiRuleSet', 'AWSManagedRulesSQLiRuleSet'],
  ])('%s blocks (override action none)', (ruleName, group) => {
    const rule = rules.get(ruleName);
    expect(rule?.OverrideAction).toEqual({ None: {} });
    expect(rule?.Statement.ManagedRuleGroupStatement).toMatchObject({ VendorName: 'AWS', Name: group });
  });

  test('Anonymous IP list counts by default and blocks with blockAnonymousIps', () => {
    expect(rules.get('AWS-AWSManagedRulesAnonymousIpList')?.OverrideAction).toEqual({ Count: {} });
    const blocking = wafRules(buildApi({ firewall: { blockAnonymousIps: true } }).template());
    expect(blocking.get('AWS-AWSManagedRulesAnonymousIpList')?.OverrideAction).toEqual({ None: {} });
  });

  test('with 16 KB bodies, only SizeRestrictions_BODY of the Common rule set counts (the BodySizeLimit rule replaces it)', () => {
    expect(rules.get('AWS-AWSManagedRulesCommonRuleSet')?.Statement.ManagedRuleGroupStatement.RuleActionOverrides)
      .toEqual([{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }]);
  });

  test('with bodies up to 8 KB only the group\'s size rule counts: BodySizeLimit enforces the API\'s own (smaller or equal) limit', () => {
    const small = wafRules(buildApi({ maxBodyBytes: 8 * 1024 }).template());
    expect(small.get('AWS-AWSManagedRulesCommonRuleSet')?.Statement.ManagedRuleGroupStatement.RuleActionOverrides)
      .toEqual([{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }]);
    expect(small.get(WAF_RULE_NAMES.bodySize)?.Statement.SizeConstraintStatement.Size).toBe(8 * 1024);
    // No server-to-server route in this table: the User-Agent and XSS rules block everywhere.
    expect(small.has(WAF_RULE_NAMES.commonRuleSetBrowserRoutes)).toBe(false);
  });

  test('a single managed rule can be overridden, with a warning when it stops blocking', () => {
    const { stack, template: t } = buildApi({ firewall: { ruleActionOverrides: {
      AWSManagedRulesCommonRuleSet: { GenericLFI_BODY: 'count' },
      AWSManagedRulesSQLiRuleSet: { SQLi_BODY: 'block' },
    } } });
    const overridden = wafRules(t());
    expect(overridden.get('AWS-AWSManagedRulesCommonRuleSet')?.Statement.ManagedRuleGroupStatement.RuleActionOverrides).toEqual([
      { Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } },
      { Name: 'GenericLFI_BODY', ActionToUse: { Count: {} } },
    ]);
    expect(overridden.get('AWS-AWSManagedRulesSQLiRuleSet')?.Statement.ManagedRuleGroupStatement.RuleActionOverrides)
      .toEqual([{ Name: 'SQLi_BODY', ActionToUse: { Block: {} } }]);
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('GenericLFI_BODY only counts'));
  });
});

describe('ApiFirewall: rate-based rules', () => {
  test('per-IP limit for the whole API: 3,000 per 5 min, no scope-down, 429', () => {
    const rule = rules.get(WAF_RULE_NAMES.rateLimitPerIp);
    expect(rule?.Statement).toEqual({ RateBasedStatement: { Limit: 3000, EvaluationWindowSec: 300, AggregateKeyType: 'IP' } });
    expect(rule?.Action.Block.CustomResponse).toMatchObject({ ResponseCode: 429, CustomResponseBodyKey: 'too-many-requests' });
  });

  test('stricter per-IP limit on sensitive routes: 20 per minute, scoped to the high routes of the table', () => {
    const stmt = rules.get(WAF_RULE_NAMES.rateLimitSensitive)?.Statement.RateBasedStatement;
    expect(stmt).toMatchObject({ Limit: 20, EvaluationWindowSec: 60, AggregateKeyType: 'IP' });
    // Both high routes are POST: one method match AND one URI regex over the stage prefix.
    expect(stmt.ScopeDownStatement).toEqual({ AndStatement: { Statements: [
      { ByteMatchStatement: {
        FieldToMatch: { Method: {} }, PositionalConstraint: 'EXACTLY', SearchString: 'post',
        TextTransformations: [{ Priority: 0, Type: 'LOWERCASE' }],
      } },
      { RegexMatchStatement: {
        FieldToMatch: { UriPath: {} },
        RegexString: '^(?:/v1)(?:/payments|/payments/[^/]+/refunds)/?$',
        TextTransformations: [{ Priority: 0, Type: 'URL_DECODE' }, { Priority: 1, Type: 'NORMALIZE_PATH' }, { Priority: 2, Type: 'LOWERCASE' }],
      } },
    ] } });
  });

  test('the sensitive matcher covers exactly the high routes (on the URI WAF sees on execute-api)', () => {
    const m = sensitiveRouteMatchers(ROUTES, ['/v1']);
    expect(sensitiveMatch(m, 'POST', '/v1/payments')).toBe(true);
    expect(sensitiveMatch(m, 'POST', '/v1/payments/')).toBe(true);
    expect(sensitiveMatch(m, 'POST', '/v1/payments/pay_123/refunds')).toBe(true);
    expect(sensitiveMatch(m, 'POST', '/V1/Payments')).toBe(true);
    expect(sensitiveMatch(m, 'GET', '/v1/payments')).toBe(false);
    expect(sensitiveMatch(m, 'GET', '/v1/payments/pay_123')).toBe(false);
    expect(sensitiveMatch(m, 'POST', '/v1/payments/pay_123')).toBe(false);
    expect(sensitiveMatch(m, 'POST', '/v1/payments/a/b/refunds')).toBe(false);
    expect(sensitiveMatch(m, 'POST', '/v1/paymentsX')).toBe(false);
  });

  test('429 carries the uniform JSON error body, security headers, Retry-After and the CORS origin', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', { CustomResponseBodies: { 'too-many-requests': {
      ContentType: 'APPLICATION_JSON', Content: Match.anyValue(),
    } } });
    const body = (Object.values(template.findResources('AWS::WAFv2::WebACL'))[0] as any).Properties.CustomResponseBodies['too-many-requests'].Content;
    expect(JSON.parse(body)).toEqual({ error: { code: 'TOO_MANY_REQUESTS', message: 'Too many requests. Retry later.' } });
    for (const [name, window] of [[WAF_RULE_NAMES.rateLimitPerIp, '300'], [WAF_RULE_NAMES.rateLimitSensitive, '60']] as const) {
      const headers = new Map((rules.get(name)?.Action.Block.CustomResponse.ResponseHeaders as { Name: string; Value: string }[]).map((h) => [h.Name, h.Value]));
      expect(headers.get('Retry-After')).toBe(window);
      for (const [h, v] of Object.entries(SECURITY_HEADERS)) expect(headers.get(h)).toBe(v);
      expect(headers.get('Access-Control-Allow-Origin')).toBe('https://app.example.com');
      expect([...headers.keys()].some((h) => h.toLowerCase() === 'content-type')).toBe(false);
    }
  });

  test('limits are configurable', () => {
    const custom = wafRules(buildApi({ firewall: { rateLimit: { limit: 600, evaluationWindowSec: 60 }, sensitiveRateLimit: { limit: 10, evaluationWindowSec: 120 } } }).template());
    expect(custom.get(WAF_RULE_NAMES.rateLimitPerIp)?.Statement.RateBasedStatement).toMatchObject({ Limit: 600, EvaluationWindowSec: 60 });
    expect(custom.get(WAF_RULE_NAMES.rateLimitSensitive)?.Statement.RateBasedStatement).toMatchObject({ Limit: 10, EvaluationWindowSec: 120 });
  });

  test('no high route: no sensitive rule (a scope-down cannot be empty)', () => {
    const low = wafRules(buildApi({ routes: [HEALTH, LIST_PAYMENTS, GET_PAYMENT] }).template());
    expect(low.has(WAF_RULE_NAMES.rateLimitSensitive)).toBe(false);
    expect(low.has(WAF_RULE_NAMES.rateLimitPerIp)).toBe(true);
  });

  test('several methods: one AND per method under an OR', () => {
    const deleteRoute: RouteDefinition = { ...GET_PAYMENT, method: 'DELETE', sensitivity: 'high' };
    const scope = wafRules(buildApi({ routes: [...ROUTES, deleteRoute] }).template()).get(WAF_RULE_NAMES.rateLimitSensitive)
      ?.Statement.RateBasedStatement.ScopeDownStatement;
    expect(scope.OrStatement.Statements.map((s: any) => s.AndStatement.Statements[0].ByteMatchStatement.SearchString)).toEqual(['delete', 'post']);
  });

  test('a long table is split into several regexes, each within the 512-character WAF limit', () => {
    const many: RouteDefinition[] = Array.from({ length: 40 }, (_, i) => ({ ...CREATE_PAYMENT, path: `/payments/{paymentId}/action-number-${i}` }));
    const [matcher] = sensitiveRouteMatchers(many, ['/v1', '']);
    expect(matcher?.regexes.length).toBeGreaterThan(1);
    for (const r of matcher?.regexes ?? []) expect(r.length).toBeLessThanOrEqual(512);
    for (let i = 0; i < 40; i++) expect(sensitiveMatch([matcher!], 'POST', `/v1/payments/p1/action-number-${i}`)).toBe(true);
  });
});

describe('ApiFirewall: derived from the route table (no second place to edit)', () => {
  test('adding a route marked high gives it the stricter WAF rule and the lower plan and stage throttles', () => {
    const added: RouteDefinition = {
      method: 'POST', path: '/payouts/{payoutId}/approve', handler: 'health', sensitivity: 'high', apiKeyRequired: true,
      auth: { scopes: ['payouts/approve'] },
    };
    const before = buildApi();
    const after = buildApi({ routes: [...ROUTES, added] });

    const regex = (t: Template): string => wafRules(t).get(WAF_RULE_NAMES.rateLimitSensitive)
      ?.Statement.RateBasedStatement.ScopeDownStatement.AndStatement.Statements[1].RegexMatchStatement.RegexString;
    expect(new RegExp(regex(before.template())).test('/v1/payouts/po_1/approve')).toBe(false);
    expect(new RegExp(regex(after.template())).test('/v1/payouts/po_1/approve')).toBe(true);

    // Inside every usage plan: a tenth of the tier, below the tier's own rate.
    after.template().hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 25, BurstLimit: 50 },
      ApiStages: [Match.objectLike({ Throttle: Match.objectLike({ '/payouts/{payoutId}/approve/POST': { RateLimit: 2.5, BurstLimit: 5 } }) })],
    });
    // And at the stage, for callers without a plan: the high method throttle.
    after.template().hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([Match.objectLike({ ResourcePath: '/~1payouts~1{payoutId}~1approve', HttpMethod: 'POST', ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 })]),
    });
  });
});

describe('ApiFirewall: body size', () => {
  test('bodies above maxBodyBytes are blocked with 413 and the JSON envelope; oversize bodies MATCH', () => {
    const rule = rules.get(WAF_RULE_NAMES.bodySize);
    expect(rule?.Statement).toEqual({ SizeConstraintStatement: {
      FieldToMatch: { Body: { OversizeHandling: 'MATCH' } }, ComparisonOperator: 'GT', Size: 16384,
      TextTransformations: [{ Priority: 0, Type: 'NONE' }],
    } });
    expect(rule?.Action.Block.CustomResponse).toMatchObject({ ResponseCode: 413, CustomResponseBodyKey: 'payload-too-large' });
    const body = (Object.values(template.findResources('AWS::WAFv2::WebACL'))[0] as any).Properties.CustomResponseBodies['payload-too-large'].Content;
    expect(JSON.parse(body)).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'The request is too large.' } });
  });

  test('the body inspection limit is deliberately the smallest that covers maxBodyBytes', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', { AssociationConfig: { RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_16' } } } });
    const t = buildApi({ maxBodyBytes: 40_000 }).template();
    t.hasResourceProperties('AWS::WAFv2::WebACL', { AssociationConfig: { RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_48' } } } });
    expect(wafRules(t).get(WAF_RULE_NAMES.bodySize)?.Statement.SizeConstraintStatement.Size).toBe(40_000);
  });

  test('above 64 KB WAF cannot enforce the size: no rule, a warning, and the largest inspection limit', () => {
    const { stack, template: t } = buildApi({ maxBodyBytes: 100_000 });
    expect(wafRules(t()).has(WAF_RULE_NAMES.bodySize)).toBe(false);
    t().hasResourceProperties('AWS::WAFv2::WebACL', { AssociationConfig: { RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_64' } } } });
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('above the 64 KB WAF can inspect'));
  });
});

describe('ApiFirewall: IP lists and geo restriction', () => {
  test('deny list: IPv4 and IPv6 sets, blocked (WAF_FILTERED gateway response)', () => {
    const t = buildApi({ firewall: { ipDenyList: ['198.51.100.0/24', '2001:db8::/32'] } }).template();
    t.hasResourceProperties('AWS::WAFv2::IPSet', { Scope: 'REGIONAL', IPAddressVersion: 'IPV4', Addresses: ['198.51.100.0/24'] });
    t.hasResourceProperties('AWS::WAFv2::IPSet', { Scope: 'REGIONAL', IPAddressVersion: 'IPV6', Addresses: ['2001:db8::/32'] });
    const rule = wafRules(t).get(WAF_RULE_NAMES.ipDenyList);
    expect(rule?.Action).toEqual({ Block: {} });
    expect(rule?.Statement.OrStatement.Statements).toHaveLength(2);
    expect(rule?.Statement.OrStatement.Statements[0].IPSetReferenceStatement.Arn['Fn::GetAtt'][1]).toBe('Arn');
  });

  test('allow list: every other source is blocked', () => {
    const rule = wafRules(buildApi({ firewall: { ipAllowList: ['203.0.113.0/24'] } }).template()).get(WAF_RULE_NAMES.ipAllowList);
    expect(rule?.Action).toEqual({ Block: {} });
    expect(rule?.Statement.NotStatement.Statement.IPSetReferenceStatement).toBeDefined();
  });

  test('geo: allowed countries block everything else; blocked countries are blocked', () => {
    const allowed = wafRules(buildApi({ firewall: { allowedCountries: ['DE', 'FR'] } }).template()).get(WAF_RULE_NAMES.geoRestriction);
    expect(allowed?.Statement).toEqual({ NotStatement: { Statement: { GeoMatchStatement: { CountryCodes: ['DE', 'FR'] } } } });
    expect(allowed?.Action).toEqual({ Block: {} });
    const blocked = wafRules(buildApi({ firewall: { blockedCountries: ['KP'] } }).template()).get(WAF_RULE_NAMES.geoRestriction);
    expect(blocked?.Statement).toEqual({ GeoMatchStatement: { CountryCodes: ['KP'] } });
  });
});

describe('ApiFirewall: server-to-server routes (webhooks)', () => {
  const WEBHOOK: RouteDefinition = {
    method: 'POST', path: '/webhooks/processor', handler: 'health', body: z.strictObject({ id: z.string() }),
    auth: { public: true, reason: 'Processor callback authenticated by an HMAC signature in the handler' },
  };
  const withWebhook = buildApi({ routes: [...ROUTES, WEBHOOK] });
  const s2s = wafRules(withWebhook.template());
  const crs = s2s.get(WAF_RULE_NAMES.commonRuleSet)?.Statement.ManagedRuleGroupStatement.RuleActionOverrides as { Name: string; ActionToUse: object }[];
  const browserOnly = s2s.get(WAF_RULE_NAMES.commonRuleSetBrowserRoutes);
  const labels = JSON.stringify(browserOnly?.Statement.AndStatement.Statements[0]);
  const exempt = browserOnly?.Statement.AndStatement.Statements[1].NotStatement.Statement;

  test('the public route with a body is the default server-to-server route', () => {
    expect(withWebhook.api.firewall?.serverToServerRoutes).toEqual(['POST /webhooks/processor']);
  });

  test('NoUserAgent_HEADER and CrossSiteScripting_BODY count inside the group and are blocked again by label, except on the webhook', () => {
    expect(crs).toEqual(expect.arrayContaining([
      { Name: 'NoUserAgent_HEADER', ActionToUse: { Count: {} } },
      { Name: 'CrossSiteScripting_BODY', ActionToUse: { Count: {} } },
      { Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } },
    ]));
    expect(browserOnly?.Priority).toBeGreaterThan(s2s.get(WAF_RULE_NAMES.commonRuleSet)?.Priority as number);
    expect(browserOnly?.Action).toEqual({ Block: {} });
    expect(labels).toContain('awswaf:managed:aws:core-rule-set:NoUserAgent_Header');
    expect(labels).toContain('awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body');
    const regex = JSON.stringify(exempt);
    expect(regex).toContain('webhooks/processor');
    expect(regex).not.toContain('payments');
  });

  test('an explicit list is checked against the route table; [] keeps the rules blocking everywhere', () => {
    expect(() => buildApi({ routes: [...ROUTES, WEBHOOK], firewall: { serverToServerRoutes: ['POST /nope'] } }))
      .toThrow(/serverToServerRoutes\[0\]/);
    const none = wafRules(buildApi({ routes: [...ROUTES, WEBHOOK], firewall: { serverToServerRoutes: [] } }).template());
    expect(none.has(WAF_RULE_NAMES.commonRuleSetBrowserRoutes)).toBe(false);
    expect(JSON.stringify(none.get(WAF_RULE_NAMES.commonRuleSet))).not.toContain('NoUserAgent_HEADER');
  });

  test('a consumer\'s own override of one of those rules wins (no label re-block for it)', () => {
    const own = wafRules(buildApi({ routes: [...ROUTES, WEBHOOK], firewall: { ruleActionOverrides: { AWSManagedRulesCommonRuleSet: { NoUserAgent_HEADER: 'block' } } } }).template());
    const stmt = JSON.stringify(own.get(WAF_RULE_NAMES.commonRuleSetBrowserRoutes));
    expect(stmt).not.toContain('NoUserAgent_Header');
    expect(stmt).toContain('CrossSiteScripting_Body');
  });
});

describe('ApiFirewall: logging', () => {
  test('log group named aws-waf-logs-*-<part of the stack id> (new on every stack creation), KMS-encrypted, one year, retained', () => {
    const group = Object.values(template.findResources('AWS::Logs::LogGroup'))
      .find((g) => JSON.stringify(g.Properties?.LogGroupName ?? '').includes('aws-waf-logs-')) as { Properties: { LogGroupName: unknown } };
    const [, parts] = (group.Properties.LogGroupName as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    expect(String(parts[0])).toMatch(/^aws-waf-logs-[A-Za-z0-9-]+-$/);
    expect(JSON.stringify(parts[1])).toContain('AWS::StackId');
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: {
        LogGroupName: Match.anyValue(),
        KmsKeyId: Match.objectLike({ 'Fn::GetAtt': Match.arrayWith(['Arn']) }),
        RetentionInDays: 365,
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('authorization, cookie and x-api-key headers are redacted (CloudFormation SingleHeader.Name)', () => {
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: WAF_REDACTED_HEADERS.map((h) => ({ SingleHeader: { Name: h } })),
    });
    expect(WAF_REDACTED_HEADERS).toEqual(['authorization', 'cookie', 'x-api-key']);
  });

  test('extra headers can be redacted too, the three defaults stay', () => {
    buildApi({ firewall: { additionalRedactedHeaders: ['x-session-token'] } }).template().hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: [...WAF_REDACTED_HEADERS, 'x-session-token'].map((h) => ({ SingleHeader: { Name: h } })),
    });
  });

  test('logs the web ACL to the log group ARN without the trailing :*', () => {
    const config = Object.values(template.findResources('AWS::WAFv2::LoggingConfiguration'))[0] as any;
    expect(config.Properties.ResourceArn).toEqual({ 'Fn::GetAtt': [Object.keys(template.findResources('AWS::WAFv2::WebACL'))[0], 'Arn'] });
    const arn = JSON.stringify(config.Properties.LogDestinationConfigs[0]);
    expect(arn).toContain(':log-group:aws-waf-logs-');
    expect(arn).toContain('AWS::StackId');
    expect(arn).not.toContain('*');
  });

  test('a resource policy scoped to this log group lets WAF log delivery write, for this account only', () => {
    const policy = Object.values(template.findResources('AWS::Logs::ResourcePolicy'))
      .map((p: any) => JSON.stringify(p.Properties.PolicyDocument)).find((d) => d.includes('delivery.logs.amazonaws.com'));
    expect(policy).toBeDefined();
    expect(policy).toContain('logs:CreateLogStream');
    expect(policy).toContain('logs:PutLogEvents');
    expect(policy).toContain('aws:SourceAccount');
    expect(policy).toContain('log-group:aws-waf-logs-');
    expect(policy).toContain(':log-stream:*');
  });
});

describe('ApiFirewall: association', () => {
  test('the web ACL is associated with the API stage', () => {
    const [apiId] = Object.keys(template.findResources('AWS::ApiGateway::RestApi'));
    const [stageId] = Object.keys(template.findResources('AWS::ApiGateway::Stage'));
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('FirewallWebAcl'), 'Arn'] },
      ResourceArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':apigateway:eu-west-1::/restapis/', { Ref: apiId }, '/stages/', { Ref: stageId }]] },
    });
  });

  test('an existing web ACL can be associated instead, with a warning', () => {
    const arn = 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shared/11111111-2222-3333-4444-555555555555';
    const { stack, template: t } = buildApi({ webAclArn: arn });
    t().resourceCountIs('AWS::WAFv2::WebACL', 0);
    t().hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: arn });
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('existing web ACL'));
  });

  test('standalone: without a stage nothing is associated; associate() attaches the ACL to any stage', () => {
    const build = (associate: boolean): Template => {
      const stack = testStack();
      const api = new RestApi(stack, 'Plain', { deployOptions: { stageName: 'prod' } });
      api.root.addMethod('GET');
      const firewall = new ApiFirewall(stack, 'Fw', { routes: [HEALTH] });
      if (associate) firewall.associate(api.deploymentStage);
      return Template.fromStack(stack);
    };
    build(false).resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    build(true).hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { 'Fn::Join': ['', Match.arrayWith([{ Ref: Match.stringLikeRegexp('PlainDeploymentStageprod') }])] },
    });
  });
});

describe('ApiFirewall: rejected configurations', () => {
  test.each<[string, SecureRestApiProps['firewall'], RegExp]>([
    ['rate limit below the WAF minimum of 10', { rateLimit: { limit: 9 } }, /`rateLimit\.limit`/],
    ['fractional rate limit', { rateLimit: { limit: 100.5 } }, /`rateLimit\.limit`/],
    ['evaluation window WAF does not offer', { rateLimit: { limit: 100, evaluationWindowSec: 30 as never } }, /`rateLimit\.evaluationWindowSec`/],
    ['sensitive limit below the WAF minimum', { sensitiveRateLimit: { limit: 5 } }, /`sensitiveRateLimit\.limit`/],
    ['sensitive limit not stricter than the global one', { sensitiveRateLimit: { limit: 3000, evaluationWindowSec: 300 } }, /`sensitiveRateLimit\.limit`.*stricter/],
    ['sensitive limit equal per second over another window', { rateLimit: { limit: 600, evaluationWindowSec: 60 }, sensitiveRateLimit: { limit: 6000, evaluationWindowSec: 600 } }, /`sensitiveRateLimit\.limit`/],
    ['unknown managed rule group', { ruleActionOverrides: { AWSManagedRulesFoo: { X: 'count' } } as never }, /`ruleActionOverrides\.AWSManagedRulesFoo`/],
    ['override to allow', { ruleActionOverrides: { AWSManagedRulesCommonRuleSet: { NoUserAgent_HEADER: 'allow' as never } } }, /`ruleActionOverrides\.AWSManagedRulesCommonRuleSet\.NoUserAgent_HEADER`/],
    ['empty allow list (would block everyone)', { ipAllowList: [] }, /`ipAllowList`/],
    ['malformed CIDR', { ipDenyList: ['10.0.0.0/33'] }, /`ipDenyList\[0\]`/],
    ['bare address without prefix', { ipDenyList: ['10.0.0.1'] }, /`ipDenyList\[0\]`/],
    ['/0 range', { ipAllowList: ['0.0.0.0/0'] }, /`ipAllowList\[0\]`/],
    ['both geo lists', { allowedCountries: ['DE'], blockedCountries: ['KP'] }, /`allowedCountries`/],
    ['lower-case country code', { blockedCountries: ['kp'] }, /`blockedCountries\[0\]`/],
    ['log group without the aws-waf-logs- prefix', { logGroupName: '/aws/waf/payments' }, /`logGroupName`/],
    ['redacted header in upper case', { additionalRedactedHeaders: ['X-Token'] }, /`additionalRedactedHeaders\[0\]`/],
  ])('%s', (_name, firewall, message) => {
    expect(() => buildApi({ firewall })).toThrow(message);
  });

  test('firewall options together with an existing web ACL', () => {
    expect(() => buildApi({ firewall: {}, webAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/x/1' })).toThrow(/`firewall`/);
  });

  test('the error names the construct path', () => {
    expect(() => buildApi({ firewall: { rateLimit: { limit: 1 } } })).toThrow(/\[TestStack\/Api\/Firewall\]/);
  });
});

describe('edge protection table (docs, security report)', () => {
  test('one row per route: auth, WAF rules and throttle per tier derived from the table', () => {
    const rows = edgeProtectionRows(ROUTES);
    const create = rows.find((r) => r.route === 'POST /payments');
    expect(create).toMatchObject({
      auth: 'payments/write', sensitivity: 'high', apiKeyRequired: true,
      throttle: { stage: { rateLimit: 10, burstLimit: 20 }, free: { rateLimit: 0.5, burstLimit: 1 }, standard: { rateLimit: 2.5, burstLimit: 5 }, partner: { rateLimit: 5, burstLimit: 10 } },
    });
    expect(create?.wafRules[0]).toBe(WAF_RULE_NAMES.rateLimitSensitive);
    const health = rows.find((r) => r.route === 'GET /health');
    expect(health?.wafRules).not.toContain(WAF_RULE_NAMES.rateLimitSensitive);
    expect(Object.keys(health?.throttle ?? {})).toEqual(['stage']);
    expect(health?.auth).toMatch(/^public \(/);
  });

  test('markdown table has a header and one line per route', () => {
    const md = edgeProtectionMarkdown(ROUTES).split('\n');
    expect(md[0]).toBe('| route | auth | sensitivity | API key | WAF rules | stage (all callers) | free plan | standard plan | partner plan |');
    expect(md).toHaveLength(2 + ROUTES.length);
    expect(md.find((l) => l.startsWith('| `POST /payments/{paymentId}/refunds`'))).toContain(`**${DEFAULT_SENSITIVE_RATE_LIMIT.limit}/${DEFAULT_SENSITIVE_RATE_LIMIT.evaluationWindowSec}s per IP (sensitive)**`);
    expect(md.find((l) => l.startsWith('| `GET /payments` '))).toContain(`${DEFAULT_IP_RATE_LIMIT.limit}/${DEFAULT_IP_RATE_LIMIT.evaluationWindowSec}s per IP`);
  });

  test('route path patterns: literals escaped and lower-cased, params one segment', () => {
    expect(routePathPattern('/Payments/{paymentId}/v1.0')).toBe('/payments/[^/]+/v1\\.0');
    expect(routePathPattern('/')).toBe('');
    expect(REFUND_PAYMENT.sensitivity).toBe('high');
  });
});

describe('cdk-nag with every firewall option on', () => {
  test('AwsSolutions, PCI DSS 3.2.1 and NIST 800-53 r5: zero findings', () => {
    const app = testApp();
    const stack = testStack(app);
    new ApiFirewall(stack, 'Fw', {
      routes: ROUTES, pathPrefixes: ['/v1'],
      ipAllowList: ['203.0.113.0/24', '2001:db8::/32'], ipDenyList: ['198.51.100.7/32'], allowedCountries: ['DE'],
    });
    expect(nagFindings(app)).toEqual([]);
  });
});
