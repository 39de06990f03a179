import { ApiKeySourceType, Period } from 'aws-cdk-lib/aws-apigateway';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import * as fc from 'fast-check';
import { SecureRestApiProps } from '../../lib/constructs/secure-rest-api';
import { callerLimitsMarkdown, planMethodThrottle } from '../../lib/constructs/usage-plan-tiers';
import { PEOPLE_TIER, UsageTier } from '../../lib/defaults/usage-plans';
import { nagFindings, testApp } from '../helpers/app';
import { buildApi, ROUTES } from './edge-fixtures';

const { api, template: lazyTemplate } = buildApi({
  usagePlans: { apiKeys: [{ id: 'AcmeKey', tier: 'partner' }, { id: 'SandboxKey', tier: 'free' }] },
});
const template = lazyTemplate();

/** The usage plan resource whose name ends with `-<tier>`. */
function plan(t: Template, tier: string): { id: string; props: Record<string, any> } {
  const found = Object.entries(t.findResources('AWS::ApiGateway::UsagePlan'))
    .find(([, r]) => String((r as any).Properties.UsagePlanName).endsWith(`-${tier}`));
  if (!found) throw new Error(`no plan for tier ${tier}`);
  return { id: found[0], props: (found[1] as any).Properties };
}

describe('UsagePlanTiers: tiers', () => {
  test.each([
    ['free', 5, 10, 1_000],
    ['standard', 25, 50, 50_000],
    ['partner', 50, 100, 500_000],
  ])('%s: %d rps, burst %d, quota %d per day', (tier, rate, burst, quota) => {
    const { props } = plan(template, tier);
    expect(props.Throttle).toEqual({ RateLimit: rate, BurstLimit: burst });
    expect(props.Quota).toEqual({ Limit: quota, Period: 'DAY' });
    expect(props.Description).toMatch(/never authorize/);
  });

  test('exactly one plan per tier, each bound to this API stage', () => {
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 3);
    const [apiId] = Object.keys(template.findResources('AWS::ApiGateway::RestApi'));
    const [stageId] = Object.keys(template.findResources('AWS::ApiGateway::Stage'));
    for (const tier of ['free', 'standard', 'partner']) {
      expect(plan(template, tier).props.ApiStages).toEqual([expect.objectContaining({ ApiId: { Ref: apiId }, Stage: { Ref: stageId } })]);
    }
  });

  test('the default tiers are capped to a lowered stage throttle (explicit tiers above it are rejected)', () => {
    const t = buildApi({ throttle: { rateLimit: 20, burstLimit: 40 } }).template();
    expect(plan(t, 'free').props.Throttle).toEqual({ RateLimit: 5, BurstLimit: 10 });
    expect(plan(t, 'standard').props.Throttle).toEqual({ RateLimit: 20, BurstLimit: 40 });
    expect(plan(t, 'partner').props.Throttle).toEqual({ RateLimit: 20, BurstLimit: 40 });
    expect(plan(t, 'partner').props.ApiStages[0].Throttle['/payments/POST']).toEqual({ RateLimit: 2, BurstLimit: 4 });
  });

  test('tiers come from config', () => {
    const t = buildApi({ usagePlans: { tiers: { gold: { rateLimit: 40, burstLimit: 80, quota: { limit: 9_000, period: Period.WEEK } } } } }).template();
    t.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
    expect(plan(t, 'gold').props).toMatchObject({ Throttle: { RateLimit: 40, BurstLimit: 80 }, Quota: { Limit: 9_000, Period: 'WEEK' } });
  });
});

describe('UsagePlanTiers: per-method throttles by sensitivity', () => {
  test.each([
    // tier, POST /payments (high), GET /payments/{paymentId} (standard), POST refunds (high)
    ['free', { RateLimit: 0.5, BurstLimit: 1 }, { RateLimit: 2.5, BurstLimit: 5 }],
    ['standard', { RateLimit: 2.5, BurstLimit: 5 }, { RateLimit: 12.5, BurstLimit: 25 }],
    ['partner', { RateLimit: 5, BurstLimit: 10 }, { RateLimit: 25, BurstLimit: 50 }],
  ])('%s: money-moving routes get a tenth of the tier, reads of private data half', (tier, high, standard) => {
    expect(plan(template, tier).props.ApiStages[0].Throttle).toEqual({
      '/payments/POST': high,
      '/payments/{paymentId}/GET': standard,
      '/payments/{paymentId}/refunds/POST': high,
    });
  });

  test('only routes that require an API key are in the plans (API Gateway reads the key nowhere else)', () => {
    for (const tier of ['free', 'standard', 'partner']) {
      const keys = Object.keys(plan(template, tier).props.ApiStages[0].Throttle);
      expect(keys).not.toContain('/health/GET');
      expect(keys).not.toContain('/payments/GET');
    }
  });

  test('a plan method throttle is never above its tier and money-moving routes are always below reads', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 5 }),
      (rate, burstFactor) => {
        const tier: UsageTier = { rateLimit: rate, burstLimit: rate * burstFactor, quota: { limit: 1, period: Period.DAY } };
        const [low, standard, high] = (['low', 'standard', 'high'] as const).map((s) => planMethodThrottle(tier, s));
        for (const l of [low, standard, high]) {
          expect(l!.rateLimit).toBeGreaterThan(0);
          expect(l!.rateLimit).toBeLessThanOrEqual(tier.rateLimit);
          expect(l!.burstLimit).toBeLessThanOrEqual(tier.burstLimit);
          expect(Number.isInteger(l!.burstLimit)).toBe(true);
          expect(l!.burstLimit).toBeGreaterThanOrEqual(l!.rateLimit);
        }
        expect(high!.rateLimit).toBeLessThan(standard!.rateLimit);
        expect(standard!.rateLimit).toBeLessThanOrEqual(low!.rateLimit);
        expect(high!.rateLimit).toBeLessThan(tier.rateLimit);
      },
    ), { numRuns: 500 });
  });

  test('a tier can set its own method throttles', () => {
    const t = buildApi({ usagePlans: { tiers: { only: {
      rateLimit: 20, burstLimit: 40, quota: { limit: 100, period: Period.DAY },
      methodThrottle: { high: { rateLimit: 1, burstLimit: 2 } },
    } } } }).template();
    expect(plan(t, 'only').props.ApiStages[0].Throttle['/payments/POST']).toEqual({ RateLimit: 1, BurstLimit: 2 });
  });

  test('stage-level method throttles stay for callers without a plan', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ResourcePath: '/*', HttpMethod: '*', ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 }),
        Match.objectLike({ ResourcePath: '/~1health', HttpMethod: 'GET', ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 }),
        Match.objectLike({ ResourcePath: '/~1payments', HttpMethod: 'GET', ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }),
        Match.objectLike({ ResourcePath: '/~1payments', HttpMethod: 'POST', ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 }),
      ]),
    });
  });
});

describe('UsagePlanTiers: API keys meter, they never authorize', () => {
  test('apiKeyRequired only on the routes the table marks as keyed', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map((m: any) => m.Properties)
      .filter((p) => p.HttpMethod !== 'OPTIONS');
    const keyed = methods.filter((p) => p.ApiKeyRequired === true).length;
    expect(keyed).toBe(ROUTES.filter((r) => r.apiKeyRequired === true).length);
    expect(methods.filter((p) => p.ApiKeyRequired !== true)).toHaveLength(ROUTES.length - keyed);
  });

  test('every keyed protected route still goes through the authorizer', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map((m: any) => m.Properties)
      .filter((p) => p.ApiKeyRequired === true);
    expect(methods.length).toBeGreaterThan(0);
    for (const m of methods) {
      expect(m.AuthorizationType).toBe('CUSTOM');
      expect(m.AuthorizerId).toBeDefined();
    }
  });

  test('keys are generated by API Gateway (no value in the template) and attached to their tier', () => {
    const keys = template.findResources('AWS::ApiGateway::ApiKey');
    expect(Object.keys(keys)).toHaveLength(2);
    for (const key of Object.values(keys) as any[]) {
      expect(key.Properties.Value).toBeUndefined();
      expect(key.Properties.Enabled).toBe(true);
      expect(key.Properties.Description).toMatch(/not authorization/);
    }
    const acme = Object.keys(keys).find((k) => k.includes('AcmeKey'));
    template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyId: { Ref: acme }, KeyType: 'API_KEY', UsagePlanId: { Ref: plan(template, 'partner').id },
    });
    expect(api.usagePlans.apiKeys.size).toBe(2);
  });

  test('API keys come from the authorizer (usageIdentifierKey), never from a header a browser app would have to carry (issue 14.3)', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER' });
  });

  test('apiKeySource HEADER is an explicit, warned opt-out', () => {
    const { stack, template: t } = buildApi({ apiKeySource: ApiKeySourceType.HEADER });
    t().hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'HEADER' });
    Annotations.fromStack(stack).hasWarning('/TestStack/Api', Match.stringLikeRegexp('apiKeySource is HEADER'));
  });

  test('the people plan (one key for every user token) has no quota and no throttle, so no user can exhaust it for others', () => {
    const { api, template: t } = buildApi();
    const secret = new Secret(api, 'PeopleKeySecret', { generateSecretString: { passwordLength: 40, excludePunctuation: true } });
    api.usagePlans.addApiKey('PeopleKey', PEOPLE_TIER, { value: secret.secretValue.unsafeUnwrap() });
    const people = Object.values(t().findResources('AWS::ApiGateway::UsagePlan')).filter((p) => String(p.Properties.UsagePlanName).endsWith('-people'));
    expect(people).toHaveLength(1);
    expect(people[0]!.Properties.Quota).toBeUndefined();
    expect(people[0]!.Properties.Throttle).toBeUndefined();
    t().hasResourceProperties('AWS::ApiGateway::ApiKey', { Value: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['{{resolve:secretsmanager:'])]) }) });
  });

  test('a literal key value (it would sit in the template) and a tier named "people" are refused', () => {
    const { api } = buildApi();
    expect(() => api.usagePlans.addApiKey('Literal', 'partner', { value: 'abcdefghijklmnopqrstuvwxyz0123456789' })).toThrow(/apiKeys\.Literal\.value/);
    expect(() => buildApi({ usagePlans: { tiers: { people: { rateLimit: 5, burstLimit: 10, quota: { limit: 100, period: Period.DAY } } } } })).toThrow(/`tiers\.people`/);
  });
});

describe('UsagePlanTiers: rejected configurations', () => {
  const q = { limit: 100, period: Period.DAY };
  test.each<[string, SecureRestApiProps['usagePlans'], RegExp]>([
    ['a tier without a quota', { tiers: { free: { rateLimit: 5, burstLimit: 10 } as never } }, /`tiers\.free\.quota`/],
    ['a quota of zero', { tiers: { free: { rateLimit: 5, burstLimit: 10, quota: { limit: 0, period: Period.DAY } } } }, /`tiers\.free\.quota\.limit`/],
    ['burst below the rate', { tiers: { free: { rateLimit: 10, burstLimit: 5, quota: q } } }, /`tiers\.free\.burstLimit`/],
    ['zero rate', { tiers: { free: { rateLimit: 0, burstLimit: 5, quota: q } } }, /`tiers\.free\.rateLimit`/],
    ['tier above the stage throttle', { tiers: { big: { rateLimit: 500, burstLimit: 1000, quota: q } } }, /`tiers\.big\.rateLimit`.*stage/],
    ['plan method throttle above the tier rate', { tiers: { free: { rateLimit: 5, burstLimit: 10, quota: q, methodThrottle: { low: { rateLimit: 8, burstLimit: 10 } } } } }, /`tiers\.free\.methodThrottle\.low\.rateLimit`/],
    ['plan method burst above the tier burst', { tiers: { free: { rateLimit: 5, burstLimit: 10, quota: q, methodThrottle: { low: { rateLimit: 5, burstLimit: 20 } } } } }, /`tiers\.free\.methodThrottle\.low\.burstLimit`/],
    ['sensitive routes not stricter than the tier', { tiers: { free: { rateLimit: 5, burstLimit: 10, quota: q, methodThrottle: { high: { rateLimit: 5, burstLimit: 10 }, standard: { rateLimit: 5, burstLimit: 10 } } } } }, /`tiers\.free\.methodThrottle\.high\.rateLimit`/],
    ['money-moving routes not below reads', { tiers: { free: { rateLimit: 5, burstLimit: 10, quota: q, methodThrottle: { high: { rateLimit: 3, burstLimit: 5 }, standard: { rateLimit: 2, burstLimit: 5 } } } } }, /`tiers\.free\.methodThrottle\.high\.rateLimit`.*below reads/],
    ['no tiers', { tiers: {} }, /`tiers`/],
    ['upper-case tier name', { tiers: { Gold: { rateLimit: 5, burstLimit: 10, quota: q } } }, /`tiers\.Gold`/],
    ['key for an unknown tier', { apiKeys: [{ id: 'K', tier: 'platinum' }] }, /`apiKeys\[0\]\.tier`/],
  ])('%s', (_name, usagePlans, message) => {
    expect(() => buildApi({ usagePlans })).toThrow(message);
  });
});

describe('UsagePlanTiers: cdk-nag', () => {
  test('an API with plans and keys has zero findings in all three packs', () => {
    const app = testApp();
    buildApi({ usagePlans: { apiKeys: [{ id: 'AcmeKey', tier: 'partner' }] } }, app);
    expect(nagFindings(app)).toEqual([]);
  });
});

describe('limits per caller type (issue 14.3: the edge table)', () => {
  test('README and docs/edge.md show exactly the table derived from the defaults', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { readFileSync } = require('fs') as typeof import('fs');
    const table = callerLimitsMarkdown();
    for (const doc of ['README.md', 'docs/edge.md']) expect(readFileSync(`${__dirname}/../../${doc}`, 'utf8')).toContain(table);
  });

  test('people: no quota and a per-token WAF bucket; each integration tier: its own plan and quota', () => {
    const lines = callerLimitsMarkdown().split('\n');
    expect(lines.find((l) => l.startsWith('| signed-in person'))).toMatch(/none \(people plan: no quota, no plan throttle\).*/);
    expect(lines.find((l) => l.startsWith('| signed-in person'))).toContain('3000/300s per token');
    expect(lines.find((l) => l.includes('`partner` tier'))).toContain('500,000 per day');
  });
});
