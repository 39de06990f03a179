import { SecurityPolicy } from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { SecureDomainOptions } from '../../lib/constructs/secure-rest-api';
import { WAF_RULE_NAMES } from '../../lib/defaults/waf';
import { nagFindings, testApp } from '../helpers/app';
import { buildApi, wafRules } from './edge-fixtures';

const CERT_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000';

/** Builds the API in a stack that owns the certificate and the truststore bucket. */
function domainApi(domain: Partial<SecureDomainOptions> = {}, options: { mtls?: boolean; app?: ReturnType<typeof testApp> } = {}): ReturnType<typeof buildApi> {
  return buildApi({}, options.app, (stack) => ({
    domain: {
      domainName: 'api.example.com',
      certificate: Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN),
      ...(options.mtls ? { mtls: { bucket: Bucket.fromBucketName(stack, 'Truststore', 'example-truststore'), key: 'mtls/ca-bundle.pem', version: 'v7' } } : {}),
      ...domain,
    },
  }));
}

describe('Custom domain: TLS policy', () => {
  test('TLS 1.2 on a REGIONAL domain by default', () => {
    domainApi().template().hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'api.example.com',
      SecurityPolicy: 'TLS_1_2',
      EndpointConfiguration: { Types: ['REGIONAL'] },
      RegionalCertificateArn: CERT_ARN,
    });
  });

  test('TLS 1.0 is rejected at synth, naming the prop', () => {
    expect(() => domainApi({ securityPolicy: SecurityPolicy.TLS_1_0 })).toThrow(/`domain\.securityPolicy`/);
  });

  test('a malformed domain name is rejected at synth', () => {
    expect(() => domainApi({ domainName: 'not a domain' })).toThrow(/`domain\.domainName`/);
  });
});

describe('Custom domain: the execute-api endpoint', () => {
  test('is disabled when a domain is set, so the TLS policy and mTLS cannot be bypassed', () => {
    domainApi().template().hasResourceProperties('AWS::ApiGateway::RestApi', { DisableExecuteApiEndpoint: true });
  });

  test('stays enabled without a domain (it is then the only URL)', () => {
    buildApi().template().hasResourceProperties('AWS::ApiGateway::RestApi', { DisableExecuteApiEndpoint: false });
  });
});

describe('Custom domain: mutual TLS', () => {
  test('the truststore URI (and version) from S3 are in the template', () => {
    domainApi({}, { mtls: true }).template().hasResourceProperties('AWS::ApiGateway::DomainName', {
      SecurityPolicy: 'TLS_1_2',
      MutualTlsAuthentication: { TruststoreUri: 's3://example-truststore/mtls/ca-bundle.pem', TruststoreVersion: 'v7' },
    });
  });

  test('with mTLS the execute-api endpoint is disabled', () => {
    domainApi({}, { mtls: true }).template().hasResourceProperties('AWS::ApiGateway::RestApi', { DisableExecuteApiEndpoint: true });
  });

  test('without mTLS no truststore is configured', () => {
    domainApi().template().hasResourceProperties('AWS::ApiGateway::DomainName', { MutualTlsAuthentication: Match.absent() });
  });

  test('mTLS with an enhanced (TLS 1.3) policy is rejected: API Gateway does not support it', () => {
    expect(() => domainApi({ securityPolicy: SecurityPolicy.TLS13_1_3_2025_09 }, { mtls: true })).toThrow(/`domain\.mtls`/);
  });

  test('an empty truststore key is rejected', () => {
    expect(() => buildApi({}, undefined, (stack) => ({ domain: {
      domainName: 'api.example.com',
      certificate: Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN),
      mtls: { bucket: Bucket.fromBucketName(stack, 'Truststore', 'example-truststore'), key: '' },
    } }))).toThrow(/`domain\.mtls\.key`/);
  });
});

describe('Custom domain: WAF route matching follows the base path', () => {
  const regexOf = (t: Template): string => wafRules(t).get(WAF_RULE_NAMES.rateLimitSensitive)
    ?.Statement.RateBasedStatement.ScopeDownStatement.AndStatement.Statements[1].RegexMatchStatement.RegexString;

  test('root mapping: the bare path (domain) and /v1 (execute-api) both match', () => {
    const regex = new RegExp(regexOf(domainApi().template()));
    expect(regex.test('/payments')).toBe(true);
    expect(regex.test('/v1/payments')).toBe(true);
    expect(regex.test('/other/payments')).toBe(false);
  });

  test('base path mapping: /<basePath>/... matches, the mapping exists', () => {
    const t = domainApi({ basePath: 'pay' }).template();
    t.hasResourceProperties('AWS::ApiGateway::BasePathMapping', { BasePath: 'pay' });
    const regex = new RegExp(regexOf(t));
    expect(regex.test('/pay/payments')).toBe(true);
    expect(regex.test('/v1/payments')).toBe(true);
    expect(regex.test('/payments')).toBe(false);
  });
});

describe('Custom domain: cdk-nag', () => {
  test('a domain with mTLS has zero findings in all three packs', () => {
    const app = testApp();
    domainApi({}, { mtls: true, app });
    expect(nagFindings(app)).toEqual([]);
  });
});
