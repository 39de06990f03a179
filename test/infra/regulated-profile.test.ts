/**
 * The `regulated` profile of the example app: what PCI DSS 3.2.1 and NIST 800-53 r5 ask for beyond the
 * standard profile is built, not acknowledged.
 */
import { acknowledgements } from '../../lib/compliance/acknowledge';
import { REGULATED_CONCURRENCY } from '../../lib/stacks/financial-api-stack';
import { exampleStack, nagFindings, testApp } from '../helpers/app';

type Resource = { Type: string; Properties?: Record<string, unknown> };

describe('regulated profile', () => {
  const app = testApp();
  // Reserved concurrency is opt-in (issue #12); this suite checks the profile with it on and a quota that fits.
  const { stack } = exampleStack({ profile: 'regulated', reserveConcurrency: true, accountConcurrencyLimit: 1000 }, app);
  const findings = nagFindings(app);
  const resources = app.synth().getStackByName(stack.stackName).template.Resources as Record<string, Resource>;
  const ofType = (type: string): [string, Resource][] => Object.entries(resources).filter(([, r]) => r.Type === type);
  // CDK's own deploy-time provider (restrictDefaultSecurityGroup) is invoked by CloudFormation only, never by a request.
  const functions = ofType('AWS::Lambda::Function').filter(([id]) => !id.startsWith('CustomVpcRestrictDefaultSG'));
  const authorizerId = stack.getLogicalId(stack.identity.authorizerFunction.node.defaultChild as never);

  test('all three rule packs report zero unacknowledged findings', () => {
    expect(findings).toEqual([]);
  });

  test('every function except the authorizer runs in the isolated subnets', () => {
    for (const [id, fn] of functions) {
      if (id === authorizerId) {
        expect(fn.Properties?.VpcConfig).toBeUndefined();
      } else {
        expect({ id, subnets: (fn.Properties?.VpcConfig as { SubnetIds?: unknown[] } | undefined)?.SubnetIds?.length }).toEqual({ id, subnets: 2 });
      }
    }
  });

  test('every function has reserved concurrency', () => {
    for (const [id, fn] of functions) {
      expect({ id, reserved: fn.Properties?.ReservedConcurrentExecutions }).toEqual({ id, reserved: expect.any(Number) });
    }
    expect(resources[authorizerId]?.Properties?.ReservedConcurrentExecutions).toBe(REGULATED_CONCURRENCY.authorizer);
  });

  test('the VPC has no route to the internet: no NAT gateway, no internet gateway, isolated subnets only', () => {
    expect(ofType('AWS::EC2::NatGateway')).toHaveLength(0);
    expect(ofType('AWS::EC2::InternetGateway')).toHaveLength(0);
    for (const [, subnet] of ofType('AWS::EC2::Subnet')) expect(subnet.Properties?.MapPublicIpOnLaunch).toBe(false);
    const routes = ofType('AWS::EC2::Route').map(([, r]) => r.Properties ?? {});
    expect(routes.filter((r) => r.DestinationCidrBlock === '0.0.0.0/0')).toHaveLength(0);
  });

  test('VPC flow logs capture all traffic to an encrypted log group', () => {
    const flowLogs = ofType('AWS::EC2::FlowLog');
    expect(flowLogs).toHaveLength(1);
    expect(flowLogs[0]![1].Properties).toMatchObject({ TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
  });

  test('the services the handlers call are reachable through endpoints (DynamoDB gateway, Secrets Manager, X-Ray)', () => {
    const services = ofType('AWS::EC2::VPCEndpoint').map(([, e]) => JSON.stringify(e.Properties?.ServiceName));
    expect(services.some((s) => s.includes('dynamodb'))).toBe(true);
    expect(services.some((s) => s.includes('secretsmanager'))).toBe(true);
    expect(services.some((s) => s.includes('xray'))).toBe(true);
  });

  test('interface endpoints accept HTTPS only from inside the VPC', () => {
    const groups = ofType('AWS::EC2::SecurityGroup').filter(([id]) => id.includes('EndpointSecurityGroup'));
    expect(groups).toHaveLength(1);
    expect(groups[0]![1].Properties?.SecurityGroupIngress).toEqual([
      expect.objectContaining({ CidrIp: '10.42.0.0/16', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }),
    ]);
  });

  test('the only "Lambda inside VPC" / concurrency acknowledgements left are the authorizer\'s VPC exemption', () => {
    const left = acknowledgements(app).filter((a) => /LambdaInsideVPC|LambdaConcurrency/.test(a.id));
    expect(left.map((a) => a.path).every((p) => p.endsWith('/Identity/AuthorizerFunction'))).toBe(true);
    expect(left.map((a) => a.id).sort()).toEqual(['NIST.800.53.R5-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC']);
    expect(left[0]!.reason).toMatch(/JWKS/);
  });
});
