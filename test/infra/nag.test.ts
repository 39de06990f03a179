import { Bucket } from 'aws-cdk-lib/aws-s3';
import { exampleStack, nagFindings, testApp } from '../helpers/app';

describe('cdk-nag AwsSolutions + PCI DSS 3.2.1 + NIST 800-53 r5 on the example app', () => {
  test('has zero unacknowledged errors and warnings', () => {
    const app = testApp();
    exampleStack({}, app);
    expect(nagFindings(app)).toEqual([]);
  });

  test('the check can fail: an insecure resource is reported (guards against a silent plugin)', () => {
    const app = testApp();
    const { stack } = exampleStack({}, app);
    new Bucket(stack, 'UnencryptedBucketForTest');
    const findings = nagFindings(app);
    expect(findings.some((f) => f.rule.startsWith('AwsSolutions-S'))).toBe(true);
  });
});
