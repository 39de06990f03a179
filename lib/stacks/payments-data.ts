import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ITable, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { IKey, Key } from 'aws-cdk-lib/aws-kms';
import { CfnPermission, Function as LambdaFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import { ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { libraryFunctionCode } from '../common/library-functions';
import { PAYMENTS_TABLE } from '../../lambda/example/payments/payments-table';
import { DEFAULT_PREVIOUS_GRACE_MS, PREVIOUS_GRACE_ENV } from '../../lambda/runtime/limits';
import { SecureFunction, SecureFunctionOptions } from '../constructs/secure-function';
import { SecureRestApi } from '../constructs/secure-rest-api';

/** Days between automatic rotations of the cursor-signing key. */
export const CURSOR_KEY_ROTATION_DAYS = 30;

/** Props of {@link PaymentsData}. */
export interface PaymentsDataProps {
  /**
   * Customer-managed key for the table and the secrets.
   * @default - a new key with rotation, RETAIN
   */
  readonly encryptionKey?: IKey;
  /** Options of the rotation function. @default - SecureFunction defaults */
  readonly rotationFunction?: SecureFunctionOptions;
  /** Powertools service name of the rotation function. @default 'payments-secrets' */
  readonly serviceName?: string;
  /**
   * How long a rotated-out secret value (AWSPREVIOUS: webhook secret, cursor key) is still accepted
   * after the rotation that replaced it; `Duration.seconds(0)` refuses it at once.
   * @default Duration.hours(24)
   */
  readonly previousSecretGrace?: Duration;
}

/** What one payments handler may do: the actions it calls and the secrets it reads. */
interface HandlerAccess {
  readonly tableActions: readonly string[];
  readonly secrets: readonly ('cursor' | 'webhook')[];
  readonly writes: boolean;
}

/** Least privilege per handler: each function gets exactly the DynamoDB actions its code calls. */
export const PAYMENTS_HANDLER_ACCESS: Readonly<Record<string, HandlerAccess>> = Object.freeze({
  'create-payment': { tableActions: ['dynamodb:PutItem', 'dynamodb:GetItem'], secrets: [], writes: true },
  'get-payment': { tableActions: ['dynamodb:GetItem'], secrets: [], writes: false },
  'list-payments': { tableActions: ['dynamodb:Query'], secrets: ['cursor'], writes: false },
  'admin-list-payments': { tableActions: ['dynamodb:Scan'], secrets: ['cursor'], writes: false },
  'processor-webhook': { tableActions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'], secrets: ['webhook'], writes: true },
});

/**
 * The example payments API's data: a DynamoDB table (customer-managed KMS key, point-in-time
 * recovery, deletion protection, RETAIN, on-demand), the cursor-signing key (Secrets Manager,
 * rotated every 30 days by a {@link SecureFunction}) and the processor's webhook secret.
 * {@link PaymentsData.connect} grants each handler of a {@link SecureRestApi} only what it uses.
 *
 * @example
 * const data = new PaymentsData(this, 'Data');
 * data.connect(api);
 */
export class PaymentsData extends Construct {
  /** The customer-managed key of the table and secrets. */
  public readonly key: IKey;
  /** The payments table. */
  public readonly table: ITable;
  /** HMAC key that signs pagination cursors (rotated automatically). */
  public readonly cursorSecret: ISecret;
  /** HMAC secret shared with the payment processor for webhook signatures. */
  public readonly webhookSecret: ISecret;
  /** The function that rotates {@link cursorSecret}. */
  public readonly rotationFunction: SecureFunction;
  private readonly previousSecretGrace: Duration;

  constructor(scope: Construct, id: string, props: PaymentsDataProps = {}) {
    super(scope, id);
    this.previousSecretGrace = props.previousSecretGrace ?? Duration.millis(DEFAULT_PREVIOUS_GRACE_MS);
    this.key = props.encryptionKey ?? new Key(this, 'Key', {
      description: 'Encrypts the payments table and its secrets',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // `Table` rather than `TableV2`: a customer-managed key on TableV2 needs a region-bound stack.
    const table = new Table(this, 'Table', {
      partitionKey: { name: PAYMENTS_TABLE.partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    table.addGlobalSecondaryIndex({
      indexName: PAYMENTS_TABLE.ownerIndex,
      partitionKey: { name: PAYMENTS_TABLE.ownerIndexPartitionKey, type: AttributeType.STRING },
      sortKey: { name: PAYMENTS_TABLE.ownerIndexSortKey, type: AttributeType.STRING },
    });
    this.table = table;
    Validations.of(table).acknowledge({
      id: 'NIST.800.53.R5-DynamoDBInBackupPlan',
      reason: 'Point-in-time recovery (35 days of continuous backups), deletion protection and RETAIN protect the data; AWS Backup plans and vaults are governed account-wide by the organisation, not by this example stack.',
    });

    this.cursorSecret = new Secret(this, 'CursorKey', {
      description: 'HMAC key signing pagination cursors (AWSCURRENT signs, AWSPREVIOUS still verifies)',
      encryptionKey: this.key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.rotationFunction = new SecureFunction(this, 'CursorKeyRotation', {
      ...props.rotationFunction,
      code: libraryFunctionCode('rotation-random-key'),
      serviceName: props.serviceName ?? 'payments-secrets',
      description: 'Rotates the cursor-signing key',
      invokedSynchronouslyBy: 'Secrets Manager (one call per rotation step; a failed step fails the rotation, which alarms)',
    });
    this.cursorSecret.addRotationSchedule('Rotation', {
      rotationLambda: this.rotationFunction,
      automaticallyAfter: Duration.days(CURSOR_KEY_ROTATION_DAYS),
    });
    // CDK lets the Secrets Manager service invoke the rotation function for any secret: pin the
    // permission to this secret so no other secret's rotation can drive it (confused deputy).
    for (const child of this.rotationFunction.node.children) {
      if (child instanceof CfnPermission && child.principal === 'secretsmanager.amazonaws.com') {
        child.sourceArn = this.cursorSecret.secretArn;
      }
    }

    this.webhookSecret = new Secret(this, 'WebhookSecret', {
      description: 'HMAC secret the payment processor signs webhooks with',
      encryptionKey: this.key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const manualRotation = 'Shared with the external payment processor: a new value must be registered with the processor first, so rotation is a tested runbook (put the new value, the processor switches while AWSPREVIOUS verifies for at most the grace window, 24 h by default; revoke at once by removing AWSPREVIOUS; docs/handlers.md), not a Lambda on a schedule.';
    Validations.of(this.webhookSecret).acknowledge({ id: 'AwsSolutions-SMG4', reason: manualRotation });
    Validations.of(this.webhookSecret).acknowledge({ id: 'NIST.800.53.R5-SecretsManagerRotationEnabled', reason: manualRotation });
  }

  /**
   * Grants each payments handler of `api` only the table actions and secrets it uses, and tells it
   * their names. Handlers not in {@link PAYMENTS_HANDLER_ACCESS} get nothing.
   */
  public connect(api: SecureRestApi): void {
    for (const [name, access] of Object.entries(PAYMENTS_HANDLER_ACCESS)) {
      const fn = api.functions.get(name);
      if (!fn) continue;
      this.grantHandler(fn, access);
    }
  }

  private grantHandler(fn: IFunction, access: HandlerAccess): void {
    // Explicit statements instead of `table.grant()`, which adds `<table>/index/*` to every action:
    // only Query needs an index, and only the owner index.
    const onTable = access.tableActions.filter((a) => a !== 'dynamodb:Query');
    if (onTable.length > 0) fn.addToRolePolicy(new PolicyStatement({ actions: onTable, resources: [this.table.tableArn] }));
    if (access.tableActions.includes('dynamodb:Query')) {
      fn.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${this.table.tableArn}/index/${PAYMENTS_TABLE.ownerIndex}`] }));
    }
    // The table is encrypted with a customer-managed key that DynamoDB uses on the caller's behalf:
    // reads need Decrypt; writes also Encrypt and GenerateDataKey. Named actions, no wildcards.
    this.key.grant(fn, ...(access.writes ? ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt']));
    const env: Record<string, string> = { [PAYMENTS_TABLE.tableNameEnv]: this.table.tableName };
    if (access.secrets.length > 0) env[PREVIOUS_GRACE_ENV] = String(this.previousSecretGrace.toSeconds());
    if (access.secrets.includes('cursor')) {
      this.cursorSecret.grantRead(fn, ['AWSCURRENT', 'AWSPREVIOUS']);
      env[PAYMENTS_TABLE.cursorSecretEnv] = this.cursorSecret.secretArn;
    }
    if (access.secrets.includes('webhook')) {
      this.webhookSecret.grantRead(fn, ['AWSCURRENT', 'AWSPREVIOUS']);
      env[PAYMENTS_TABLE.webhookSecretEnv] = this.webhookSecret.secretArn;
    }
    if (fn instanceof LambdaFunction) {
      for (const [k, v] of Object.entries(env)) fn.addEnvironment(k, v);
    }
  }
}
