import { Annotations, ArnFormat, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { IKey, Key } from 'aws-cdk-lib/aws-kms';
import { ILogGroup, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEFAULT_LOG_RETENTION } from '../defaults/logging';

const LOGS_KEY_ID = 'SecureApiLogsKey';

/** Log-group name patterns the stack's logs key serves, per stack (filled as log groups are added). */
const LOGS_KEY_NAME_PATTERNS = new WeakMap<Stack, Set<string>>();

/**
 * The stack's customer-managed KMS key for CloudWatch Logs: created once per stack, on first use,
 * with rotation on and RETAIN on delete (logs encrypted with a deleted key are unreadable).
 * Only the CloudWatch Logs service of this account and region may use it, and only for this stack's
 * log groups (`kms:EncryptionContext:aws:logs:arn`): the names CloudFormation generates
 * (`<stack name>-<logical id>-<random>`) and each fixed name a {@link secureLogGroup} declares.
 */
export function stackLogsKey(scope: Construct): IKey {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(LOGS_KEY_ID);
  if (existing) return existing as IKey;
  const key = new Key(stack, LOGS_KEY_ID, {
    description: 'Encrypts the API, Lambda and WAF log groups of this stack',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const patterns = new Set<string>([`${stack.stackName}-*`]);
  LOGS_KEY_NAME_PATTERNS.set(stack, patterns);
  const logsService = new ServicePrincipal(`logs.${stack.region}.amazonaws.com`).withConditions({
    ArnLike: {
      // Lazy: log groups with fixed names add theirs after the key exists.
      'kms:EncryptionContext:aws:logs:arn': Lazy.list({
        produce: () => [...patterns].map((name) => logGroupArn(stack, name)),
      }),
    },
  });
  key.grant(logsService, 'kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*');
  return key;
}

/** `arn:<partition>:logs:<region>:<account>:log-group:<name>` of a log group of this stack's account and region. */
export function logGroupArn(stack: Stack, name: string): string {
  return stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/** Props of {@link secureLogGroup}. */
export interface SecureLogGroupOptions {
  /** @default - the stack's logs key ({@link stackLogsKey}) */
  readonly encryptionKey?: IKey;
  /** @default DEFAULT_LOG_RETENTION (one year) */
  readonly retention?: RetentionDays;
  /** Physical name; only where a service demands a prefix (WAF: `aws-waf-logs-`). @default - generated */
  readonly logGroupName?: string;
}

/** A log group that is KMS-encrypted, has explicit retention, and survives stack deletion. */
export function secureLogGroup(scope: Construct, id: string, options: SecureLogGroupOptions = {}): ILogGroup {
  if (options.retention !== undefined && options.retention < DEFAULT_LOG_RETENTION) {
    // Legal but weaker than PCI DSS 10.7 (one year of audit trail): said at synth, never silent.
    Annotations.of(scope).addWarningV2('secure-rest-api:short-log-retention',
      `log group ${id} keeps logs for ${options.retention} days, less than the one year PCI DSS 10.7 asks for (logRetention)`);
  }
  const encryptionKey = options.encryptionKey ?? stackLogsKey(scope);
  if (options.encryptionKey === undefined && options.logGroupName !== undefined) {
    LOGS_KEY_NAME_PATTERNS.get(Stack.of(scope))?.add(options.logGroupName);
  }
  return new LogGroup(scope, id, {
    encryptionKey,
    retention: options.retention ?? DEFAULT_LOG_RETENTION,
    logGroupName: options.logGroupName,
    // Audit logs outlive the stack: deleting the API must not delete the evidence.
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
