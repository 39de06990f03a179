import { Annotations, CfnElement, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { alarmSubscriber } from './checks/alarm-subscriber';
import { cognitoRefreshRotation, cognitoThreatProtectionTier } from './checks/cognito';
import { cognitoDomainPrefix } from './checks/cognito-domain-prefix';
import { executionLogGroup } from './checks/execution-log-group';
import { invokePermissionSourceArn } from './checks/invoke-permission-source-arn';
import { alarmTopicKeyPolicy, logsKeyPolicy } from './checks/key-policies';
import { lambdaVpcEniPermissions } from './checks/lambda-vpc-eni-permissions';
import { modelSchemaFormats } from './checks/model-schema-formats';
import { reservedConcurrency } from './checks/reserved-concurrency';
import { restApiName } from './checks/rest-api-name';
import { retainedUniqueNames } from './checks/retained-unique-names';
import { stageMethodSettings } from './checks/stage-method-settings';
import { wafLogDestination } from './checks/waf-log-destination';
import { CfnTemplateJson, PreflightCheck, PreflightFinding, PreflightInput, PreflightOptions } from './types';

export * from './types';
export { LAMBDA_VPC_ENI_ACTIONS } from './checks/lambda-vpc-eni-permissions';
export { LAMBDA_UNRESERVED_MINIMUM } from './checks/reserved-concurrency';
export { NO_ALARM_SUBSCRIBER_WARNING } from './checks/alarm-subscriber';
export { PHYSICAL_NAME_PROPERTIES, isPerCreation } from './checks/retained-unique-names';

/** Context key a consumer can set instead of `PreflightOptions.accountConcurrencyLimit`. */
export const ACCOUNT_CONCURRENCY_CONTEXT = 'secure-api:accountConcurrencyLimit';

/** Every preflight check, in the order they run. */
export const PREFLIGHT_CHECKS: readonly PreflightCheck[] = Object.freeze([
  lambdaVpcEniPermissions,
  invokePermissionSourceArn,
  reservedConcurrency,
  cognitoDomainPrefix,
  cognitoThreatProtectionTier,
  cognitoRefreshRotation,
  retainedUniqueNames,
  restApiName,
  stageMethodSettings,
  executionLogGroup,
  modelSchemaFormats,
  logsKeyPolicy,
  alarmTopicKeyPolicy,
  alarmSubscriber,
  wafLogDestination,
]);

/** Runs every check (minus `options.skip`) on a synthesized template. Pure: no construct tree needed. */
export function runPreflight(input: PreflightInput): PreflightFinding[] {
  const skip = input.options.skip ?? {};
  return PREFLIGHT_CHECKS.filter((c) => !(c.id in skip)).flatMap((c) => c.run(input));
}

const PREFLIGHTS = new WeakMap<Stack, Preflight>();

/**
 * The deploy preflight of a stack: synth-time checks ({@link PREFLIGHT_CHECKS}) for what a template can
 * meet on paper and still fail on at deploy or run time. Errors fail synthesis (`node.addValidation`)
 * with the construct path, the prop and the fix; warnings become synth warnings with a stable id
 * (`secure-rest-api:preflight-<check>`, or {@link NO_ALARM_SUBSCRIBER_WARNING}), which
 * `Annotations.of(scope).acknowledgeWarning(id, reason)` acknowledges.
 *
 * `SecureRestApi` applies it to its stack; any other stack opts in with `Preflight.of(stack)`.
 *
 * @example
 * Preflight.of(stack, { accountConcurrencyLimit: 1000 });
 */
export class Preflight {
  /** The preflight of `scope`'s stack, created (and wired into synthesis) on first use; options merge. */
  public static of(scope: IConstruct, options: PreflightOptions = {}): Preflight {
    const stack = Stack.of(scope);
    let preflight = PREFLIGHTS.get(stack);
    if (!preflight) {
      preflight = new Preflight(stack);
      PREFLIGHTS.set(stack, preflight);
    }
    preflight.options = { ...preflight.options, ...options, skip: { ...preflight.options.skip, ...options.skip } };
    return preflight;
  }

  /** The stack it checks. */
  public readonly stack: Stack;
  private options: PreflightOptions = {};

  private constructor(stack: Stack) {
    this.stack = stack;
    stack.node.addValidation({ validate: () => this.validate() });
  }

  /** The effective options (context applied). */
  public get effectiveOptions(): PreflightOptions {
    const fromContext = Number(this.stack.node.tryGetContext(ACCOUNT_CONCURRENCY_CONTEXT));
    return {
      ...this.options,
      accountConcurrencyLimit: this.options.accountConcurrencyLimit
        ?? (Number.isFinite(fromContext) && fromContext > 0 ? fromContext : undefined),
    };
  }

  /** The findings on the stack as it is now (call after synthesis, e.g. after `Template.fromStack`). */
  public findings(): PreflightFinding[] {
    const template = (this.stack as unknown as { _toCloudFormation(): CfnTemplateJson })._toCloudFormation();
    return runPreflight({ template, options: this.effectiveOptions, stackName: Token.isUnresolved(this.stack.stackName) ? undefined : this.stack.stackName });
  }

  private validate(): string[] {
    const byLogicalId = new Map<string, IConstruct>();
    for (const node of this.stack.node.findAll()) {
      if (CfnElement.isCfnElement(node) && Stack.of(node) === this.stack) byLogicalId.set(this.stack.resolve(node.logicalId) as string, node);
    }
    const skipped = this.options.skip ?? {};
    for (const [id, reason] of Object.entries(skipped)) Annotations.of(this.stack).addInfo(`preflight check ${id} skipped: ${reason}`);
    const errors: string[] = [];
    for (const finding of this.findings()) {
      const where = finding.logicalId !== undefined ? byLogicalId.get(finding.logicalId) : undefined;
      // Attach to the L2 construct when the resource is its default child (the path a consumer knows).
      const target = where?.node.scope && where.node.id === 'Resource' ? where.node.scope : (where ?? this.stack);
      if (finding.level === 'error') {
        errors.push(`[${target.node.path}] preflight ${finding.check}: \`${finding.prop}\`: ${finding.message}`);
      } else {
        const id = finding.check === 'no-alarm-subscriber' ? 'secure-rest-api:no-alarm-subscriber' : `secure-rest-api:preflight-${finding.check}`;
        Annotations.of(target).addWarningV2(id, finding.message);
      }
    }
    return errors;
  }
}
