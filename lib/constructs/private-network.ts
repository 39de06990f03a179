import {
  FlowLogDestination, FlowLogTrafficType, GatewayVpcEndpointAwsService, InterfaceVpcEndpointAwsService,
  IpAddresses, Peer, Port, SecurityGroup, SubnetType, Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { secureLogGroup } from '../common/encryption';
import { acknowledgeRule } from '../compliance/acknowledge';
import { requireProp } from '../errors';

/** Props of {@link PrivateNetwork}. */
export interface PrivateNetworkProps {
  /**
   * Availability zones to spread the isolated subnets (and each interface endpoint) over.
   * @default 2
   */
  readonly maxAzs?: number;
  /** @default '10.42.0.0/16' */
  readonly cidr?: string;
  /**
   * Interface endpoints to create besides the DynamoDB gateway endpoint (each costs per AZ and hour).
   * @default [SECRETS_MANAGER, XRAY]
   */
  readonly interfaceEndpoints?: readonly InterfaceVpcEndpointAwsService[];
  /** Key for the flow-log group. @default - the stack's logs key */
  readonly logEncryptionKey?: IKey;
}

/**
 * A VPC for Lambda functions with no route to the internet: private isolated subnets only (no NAT,
 * no internet gateway), VPC flow logs of all traffic to a KMS-encrypted log group, a DynamoDB
 * gateway endpoint and interface endpoints for the AWS APIs the handlers call. A function placed
 * here can reach only those services — exfiltration to an attacker's host has no route.
 *
 * Used by the example app's `regulated` profile (PCI DSS / NIST 800-53 "Lambda inside VPC").
 *
 * @example
 * const network = new PrivateNetwork(this, 'Network');
 * new SecureFunction(this, 'Fn', { entry, serviceName: 'svc', vpc: network.vpc });
 */
export class PrivateNetwork extends Construct {
  /** The VPC (isolated subnets only). */
  public readonly vpc: Vpc;
  /** Security group the interface endpoints accept HTTPS from (the VPC's own range). */
  public readonly endpointSecurityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: PrivateNetworkProps = {}) {
    super(scope, id);
    const maxAzs = props.maxAzs ?? 2;
    const cidr = props.cidr ?? '10.42.0.0/16';
    requireProp(Number.isInteger(maxAzs) && maxAzs >= 2, this, 'maxAzs', 'at least 2 availability zones keep the API up when one fails');

    this.vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr(cidr),
      maxAzs,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      restrictDefaultSecurityGroup: true,
      flowLogs: {
        all: {
          destination: FlowLogDestination.toCloudWatchLogs(secureLogGroup(this, 'FlowLogs', { encryptionKey: props.logEncryptionKey })),
          trafficType: FlowLogTrafficType.ALL,
        },
      },
    });

    const flowLogRole = this.vpc.node.findChild('all').node.findChild('IAMRole');
    acknowledgeRule(flowLogRole.node.findChild('DefaultPolicy'), 'IAMNoInlinePolicy',
      'Created by CDK for the VPC flow log alone: it lets the VPC Flow Logs service write to this one log group and is attached to no other role.',
      ['PCI.DSS.321', 'NIST.800.53.R5']);

    this.vpc.addGatewayEndpoint('DynamoDb', { service: GatewayVpcEndpointAwsService.DYNAMODB });

    this.endpointSecurityGroup = new SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'HTTPS from inside the VPC to the AWS API interface endpoints',
      allowAllOutbound: false,
    });
    this.endpointSecurityGroup.addIngressRule(Peer.ipv4(cidr), Port.tcp(443), 'HTTPS from functions in this VPC');
    for (const service of props.interfaceEndpoints ?? [InterfaceVpcEndpointAwsService.SECRETS_MANAGER, InterfaceVpcEndpointAwsService.XRAY]) {
      this.vpc.addInterfaceEndpoint(service.shortName, {
        service,
        privateDnsEnabled: true,
        securityGroups: [this.endpointSecurityGroup],
        open: false,
      });
    }
  }
}
