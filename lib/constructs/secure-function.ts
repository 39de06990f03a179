import { spawnSync } from 'child_process';
import * as path from 'path';
import { Aws, Duration, Token, Validations } from 'aws-cdk-lib';
import { ISecurityGroup, IVpc, SubnetSelection, SubnetType } from 'aws-cdk-lib/aws-ec2';
import { IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { ApplicationLogLevel, Code, LoggingFormat, SystemLogLevel, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { ILogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { secureLogGroup } from '../common/encryption';
import { acknowledgeRule } from '../compliance/acknowledge';
import {
  DEFAULT_ARCHITECTURE, DEFAULT_ESBUILD_TARGET, DEFAULT_LOG_LEVEL, DEFAULT_MEMORY_MB, DEFAULT_METRICS_NAMESPACE,
  DEFAULT_RUNTIME, DEFAULT_TIMEOUT, LAMBDA_UNUSED_SDK_MODULES, MAX_MEMORY_MB, MAX_TIMEOUT, MIN_MEMORY_MB,
} from '../defaults/lambda';
import { requireProp, SecureApiConfigError } from '../errors';

/** Options every {@link SecureFunction} accepts; what `SecureRestApi` passes through per handler. */
export interface SecureFunctionOptions {
  /**
   * Memory in MB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Timeout; at most 29 s (API Gateway's integration timeout).
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency: caps what one function can consume (and what an attacker can make it cost).
   * @default - unreserved (account pool)
   */
  readonly reservedConcurrentExecutions?: number;
  /** Extra environment variables (never secrets: put those in Secrets Manager). @default - none */
  readonly environment?: Record<string, string>;
  /** Key for the function's log group. @default - the stack's logs key */
  readonly logEncryptionKey?: IKey;
  /** @default RetentionDays.ONE_YEAR */
  readonly logRetention?: RetentionDays;
  /** Powertools log level. @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** CloudWatch namespace for Powertools metrics. @default 'SecureRestApi' */
  readonly metricsNamespace?: string;
  /**
   * Run the function in this VPC (PCI DSS / NIST 800-53 "Lambda inside VPC"). The subnets need a
   * route to every service the function calls: VPC endpoints for AWS APIs, no NAT.
   * @default - not in a VPC (acknowledged with the reason in the rule-pack report)
   */
  readonly vpc?: IVpc;
  /** @default - private isolated subnets of `vpc` */
  readonly vpcSubnets?: SubnetSelection;
  /** @default - a security group with egress to the VPC only, created by Lambda */
  readonly securityGroups?: ISecurityGroup[];
  /**
   * Why this function runs outside a VPC, recorded with the PCI DSS / NIST "Lambda inside VPC"
   * acknowledgement when `vpc` is not set.
   * @default - the generic reason (AWS APIs only, VPC endpoints cost; pass `vpc` to comply)
   */
  readonly vpcExemptionReason?: string;
  /**
   * Who invokes the function, recorded with the "dead-letter queue" acknowledgement: a DLQ only
   * receives failed asynchronous invocations.
   * @default 'API Gateway'
   */
  readonly invokedSynchronouslyBy?: string;
  /**
   * Modules esbuild leaves out of the bundle (resolved at run time from the Lambda runtime).
   * @default LAMBDA_UNUSED_SDK_MODULES (SDK credential sources Lambda never reaches)
   */
  readonly externalModules?: readonly string[];
  /**
   * Module format of the bundle.
   * @default 'cjs'
   */
  readonly format?: 'cjs' | 'esm';
  /**
   * Emit a source map and enable `--enable-source-maps` (readable stack traces in logs). Off by
   * default: `npm run bench` measured the flag adding 6-22 ms to the authorizer's and ~40 ms to a
   * payments handler's cold start (Node parses the whole map at load), see docs/performance.md.
   * @default false
   */
  readonly sourceMap?: boolean;
}

/** Props of {@link SecureFunction}. */
export interface SecureFunctionProps extends SecureFunctionOptions {
  /**
   * Entry file (`.ts .mts .cts .js .mjs .cjs`), bundled by the locally installed esbuild (never Docker).
   * Exactly one of `entry` and `code` is required.
   * @default - none: `code` must be set
   */
  readonly entry?: string;
  /**
   * Pre-bundled code (a folder with `index.js`), used as is: no bundling at synth. The library's own
   * functions (authorizer, secret rotation) ship this way.
   * @default - none: `entry` is bundled
   */
  readonly code?: Code;
  /** Exported handler name. @default 'handler' */
  readonly handler?: string;
  /** `POWERTOOLS_SERVICE_NAME`: the `service` field of every log line and metric. */
  readonly serviceName: string;
  /** @default - none */
  readonly description?: string;
}

/**
 * A Lambda function with the library's defaults: bundled by the locally installed esbuild (never
 * Docker), newest Node.js runtime on arm64, minified bundle with the AWS SDK clients it uses bundled,
 * its own KMS-encrypted log group with retention, JSON logs, X-Ray tracing, bounded timeout and memory,
 * its own role holding only what the function is granted, and Powertools configured by environment.
 *
 * @example
 * const fn = new SecureFunction(this, 'GetPayment', {
 *   entry: 'lambda/example/handlers/get-payment.ts',
 *   serviceName: 'payments',
 * });
 * table.grantReadData(fn);
 */
export class SecureFunction extends NodejsFunction {
  /** The function's own log group (KMS-encrypted, explicit retention). */
  public readonly functionLogGroup: ILogGroup;
  /** The function's own execution role (no managed policies). */
  public readonly executionRole: IRole;

  constructor(scope: Construct, id: string, props: SecureFunctionProps) {
    const timeout = props.timeout ?? DEFAULT_TIMEOUT;
    const memorySize = props.memorySize ?? DEFAULT_MEMORY_MB;
    const sourceMap = props.sourceMap ?? false;
    const logGroup = secureLogGroup(scope, `${id}Logs`, {
      encryptionKey: props.logEncryptionKey,
      retention: props.logRetention,
    });
    // An explicit role keeps AWSLambdaBasicExecutionRole (logs:* on every log group) off the function.
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${id}`,
    });
    if ((props.entry === undefined) === (props.code === undefined)) {
      throw new SecureApiConfigError(scope, 'entry', `${id}: set exactly one of \`entry\` (bundled here) and \`code\` (pre-bundled)`);
    }
    if (props.entry !== undefined) requireLocalEsbuild(scope, id);
    super(scope, id, {
      ...(props.code !== undefined
        ? { code: props.code, handler: `index.${props.handler ?? 'handler'}` }
        : { entry: props.entry, handler: props.handler ?? 'handler' }),
      description: props.description,
      runtime: DEFAULT_RUNTIME,
      architecture: DEFAULT_ARCHITECTURE,
      memorySize,
      timeout,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? (props.vpcSubnets ?? { subnetType: SubnetType.PRIVATE_ISOLATED }) : undefined,
      securityGroups: props.securityGroups,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel[props.logLevel ?? DEFAULT_LOG_LEVEL],
      systemLogLevelV2: SystemLogLevel.WARN,
      tracing: Tracing.ACTIVE,
      awsSdkConnectionReuse: false, // SDK v3 reuses connections by default; the env var is v2-only
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? DEFAULT_LOG_LEVEL,
        // Never log whole events: they carry tokens and bodies.
        POWERTOOLS_LOGGER_LOG_EVENT: 'false',
        ...(sourceMap ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        minify: true,
        sourceMap,
        // CDK rejects a source-map mode without source maps.
        sourceMapMode: sourceMap ? SourceMapMode.DEFAULT : undefined,
        sourcesContent: false,
        target: DEFAULT_ESBUILD_TARGET,
        format: props.format === 'esm' ? OutputFormat.ESM : OutputFormat.CJS,
        mainFields: ['module', 'main'],
        // Bundle the SDK v3 clients the function imports instead of relying on the runtime's copy
        // (pinned versions, only the code the function uses, faster init as measured), except the
        // credential sources Lambda never reaches.
        externalModules: [...(props.externalModules ?? LAMBDA_UNUSED_SDK_MODULES)],
        logLevel: LogLevel.ERROR,
        ...(props.format === 'esm'
          ? { banner: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);" }
          : {}),
      },
    });
    requireProp(Token.isUnresolved(timeout.toSeconds()) || timeout.toSeconds() <= MAX_TIMEOUT.toSeconds(), this, 'timeout',
      `${timeout.toSeconds()} s exceeds ${MAX_TIMEOUT.toSeconds()} s, API Gateway's integration timeout`);
    requireProp(timeout.toSeconds() >= 1, this, 'timeout', 'must be at least 1 second');
    requireProp(memorySize >= MIN_MEMORY_MB && memorySize <= MAX_MEMORY_MB, this, 'memorySize',
      `${memorySize} MB is outside ${MIN_MEMORY_MB}..${MAX_MEMORY_MB} MB`);
    if (props.reservedConcurrentExecutions !== undefined) {
      requireProp(props.reservedConcurrentExecutions >= 1, this, 'reservedConcurrentExecutions',
        'must be at least 1 (0 disables the function)');
    }
    this.functionLogGroup = logGroup;
    this.executionRole = role;
    // With an explicit role CDK adds no log permissions: grant writes to this function's log group only.
    logGroup.grantWrite(role);
    if (props.vpc) this.grantNetworkInterfaces(role);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Resource::* appears only for actions that support no resource-level permissions: X-Ray PutTraceSegments/PutTelemetryRecords, secretsmanager:GetRandomPassword on rotation functions and ec2:DescribeNetworkInterfaces on functions in a VPC (Lambda documents that it works only on "*"); every other statement of this role names its resources.',
    });
    this.acknowledgeComplianceRules(role, props);
  }

  /**
   * The ENI permissions Lambda checks on the execution role at CreateFunction for a function in a VPC
   * (what AWSLambdaVPCAccessExecutionRole grants, minus its logs:* on every log group). CDK attaches that
   * managed policy only to roles it creates; this function brings its own role. They sit in the role's
   * default policy, which the function resource already depends on (CloudFormation creates it first).
   */
  private grantNetworkInterfaces(role: Role): void {
    // DescribeNetworkInterfaces only works on "*" (Lambda developer guide, configuration-vpc).
    role.addToPrincipalPolicy(new PolicyStatement({
      sid: 'LambdaVpcDescribeNetworkInterfaces',
      actions: ['ec2:DescribeNetworkInterfaces'],
      resources: ['*'],
    }));
    // Scoped to this account and region. No ec2:Vpc/ec2:Subnet condition: Lambda's permission check at
    // CreateFunction evaluates the role against network-interface/* without that context, so a
    // condition on it would make the check (and the deployment) fail.
    role.addToPrincipalPolicy(new PolicyStatement({
      sid: 'LambdaVpcManageNetworkInterfaces',
      actions: ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
      resources: [`arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:*/*`],
    }));
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:*/*]',
      reason: 'Lambda creates, deletes and re-addresses the function\'s network interfaces itself; their ids (and those of the subnets and security groups a new interface touches) are unknown before Lambda makes them, so the statement is scoped to this account and region, as the Lambda developer guide recommends for DeleteNetworkInterface.',
    });
  }

  private acknowledgeComplianceRules(role: Role, props: SecureFunctionProps): void {
    acknowledgeRule(this, 'LambdaDLQ',
      `Invoked synchronously by ${props.invokedSynchronouslyBy ?? 'API Gateway'}: the caller receives the error and retries; a dead-letter queue only receives failed asynchronous invocations, so it would stay empty.`,
      ['NIST.800.53.R5']);
    acknowledgeRule(role.node.findChild('DefaultPolicy'), 'IAMNoInlinePolicy',
      'The policy is attached to exactly one role (this function\'s own) and holds only the grants of this function, scoped to its resources; a customer-managed policy would invite sharing across functions.',
      ['PCI.DSS.321', 'NIST.800.53.R5']);
    if (props.reservedConcurrentExecutions === undefined) {
      acknowledgeRule(this, 'LambdaConcurrency',
        'Concurrency is capped upstream by the stage, per-method and usage-plan throttles and the WAF rate rules; reserving it per function can make the stack undeployable in accounts with the default quota. Set `reservedConcurrentExecutions` (the example\'s regulated profile does with financialApi:reservedConcurrency) and declare the account quota to the preflight.',
        ['NIST.800.53.R5']);
    }
    if (props.vpc === undefined) {
      acknowledgeRule(this, 'LambdaInsideVPC',
        props.vpcExemptionReason ?? 'The function reaches only AWS APIs over TLS with IAM-signed requests and holds no network-reachable resource; a VPC needs interface endpoints (a monthly cost per AZ) and a real account\'s network design. Pass `vpc` (the regulated profile does).',
        ['PCI.DSS.321', 'NIST.800.53.R5']);
    }
  }
}

/**
 * Fails synth when no esbuild is installed, instead of letting `NodejsFunction` fall back to a Docker
 * build (which needs a Docker daemon and downloads an image).
 * @internal exported for its test; `available` defaults to {@link esbuildAvailable} where CDK looks.
 */
export function requireLocalEsbuild(scope: Construct, id: string, available: boolean = defaultEsbuildAvailable()): void {
  if (available) return;
  throw new SecureApiConfigError(scope, 'entry',
    `${id}: esbuild is not installed, and the library never bundles with Docker. Install it in your app: npm install --save-dev esbuild`);
}

let esbuildFound: boolean | undefined;

function defaultEsbuildAvailable(): boolean {
  esbuildFound ??= esbuildAvailable([path.dirname(require.resolve('aws-cdk-lib/package.json')), process.cwd()]);
  return esbuildFound;
}

/**
 * Whether CDK's bundling would find a local esbuild: the `esbuild` package resolvable from `searchFrom`
 * (CDK resolves it from aws-cdk-lib; the app's folder covers the consumer's own install), else an
 * `esbuild` binary on `PATH`.
 */
export function esbuildAvailable(searchFrom: readonly string[], envPath: string | undefined = process.env.PATH): boolean {
  try {
    require.resolve('esbuild/package.json', { paths: [...searchFrom] });
    return true;
  } catch {
    const probe = spawnSync('esbuild', ['--version'], { stdio: 'ignore', env: { ...process.env, PATH: envPath ?? '' } });
    return probe.status === 0 && probe.error === undefined;
  }
}
