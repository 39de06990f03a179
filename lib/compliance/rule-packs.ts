/**
 * The cdk-nag rule packs a financial workload is checked against (`@secure-api/cdk/rule-packs`; needs the
 * optional peer dependency `cdk-nag`, which the main entry never loads).
 * @packageDocumentation
 * @module @secure-api/cdk/rule-packs
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';

/** Which cdk-nag packs to apply. */
export interface RulePackOptions {
  /** @default true */
  readonly awsSolutions?: boolean;
  /** @default true */
  readonly pciDss321?: boolean;
  /** @default true */
  readonly nist80053r5?: boolean;
}

/**
 * Registers the rule packs a financial workload is judged against as CDK validation plugins:
 * synthesis then fails on any unacknowledged error or warning, and `cdk.out/validation-report.json`
 * lists the findings.
 */
export function applyRulePacks(app: App, options: RulePackOptions = {}): void {
  const plugins = [
    ...(options.awsSolutions ?? true ? [new AwsSolutionsChecks(app)] : []),
    ...(options.pciDss321 ?? true ? [new PCIDSS321Checks(app)] : []),
    ...(options.nist80053r5 ?? true ? [new NIST80053R5Checks(app)] : []),
  ];
  Validations.of(app).addPlugins(...plugins);
}
