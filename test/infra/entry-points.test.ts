/**
 * What each package entry point loads: the main entry works without the optional peer cdk-nag, the runtime kit
 * (handler code) without aws-cdk-lib and constructs, and neither exposes the payments example.
 */
describe('main entry (@secure-api/cdk)', () => {
  test('loads without cdk-nag (an optional peer only @secure-api/cdk/rule-packs needs)', () => {
    jest.isolateModules(() => {
      jest.doMock('cdk-nag', () => { throw new Error('the main entry loaded cdk-nag'); });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const entry = require('../../lib') as Record<string, unknown>;
      for (const name of ['SecureRestApi', 'SecureFunction', 'ApiIdentity', 'ApiFirewall', 'UsagePlanTiers', 'ApiAlarms', 'SecureApiConfigError', 'Preflight', 'HttpBackend']) {
        expect(typeof entry[name]).toBe('function');
      }
    });
  });

  test('does not export the payments example', () => {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const names = Object.keys(require('../../lib') as object);
      expect(names.filter((n) => /payment|financial|example|appSettings|applyRulePacks/i.test(n))).toEqual([]);
    });
  });
});

describe('runtime entry (@secure-api/cdk/runtime)', () => {
  test('loads without aws-cdk-lib or constructs (handler bundles never carry the CDK)', () => {
    jest.isolateModules(() => {
      jest.doMock('aws-cdk-lib', () => { throw new Error('the runtime kit loaded aws-cdk-lib'); });
      jest.doMock('constructs', () => { throw new Error('the runtime kit loaded constructs'); });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const kit = require('../../lambda/runtime') as Record<string, unknown>;
      for (const name of ['apiHandler', 'ApiError', 'principalFrom', 'SecretCache', 'SECURITY_HEADERS']) {
        expect(kit[name]).toBeDefined();
      }
    });
  });
});
