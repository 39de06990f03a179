/**
 * Types of the deploy preflight: checks of a synthesized CloudFormation template for what it can meet on
 * paper and still fail on at deploy or run time (service-side permissions, unique names, quotas, silent
 * misconfiguration). A check is a pure function of the template; `Preflight` wires the checks into
 * synthesis.
 */

/** One resource of a CloudFormation template, as synthesized (tokens resolved to intrinsics). */
export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | readonly string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** The part of a CloudFormation template the checks read. */
export interface CfnTemplateJson {
  readonly Resources?: Readonly<Record<string, CfnResourceJson>>;
}

/** Options of the preflight (what the template cannot know about the target account). */
export interface PreflightOptions {
  /**
   * The target account's Lambda concurrency quota in the target region (Service Quotas, "Concurrent
   * executions"; `aws lambda get-account-settings` shows `ConcurrentExecutions`). The sum of reserved
   * concurrency in the stack is checked against it: Lambda keeps at least 100 executions unreserved.
   * @default - context `secure-api:accountConcurrencyLimit`, else unknown (a stack that reserves concurrency gets a warning)
   */
  readonly accountConcurrencyLimit?: number;
  /**
   * Checks to skip, by id, each with the reason (recorded as an info annotation). Use only for a check
   * that cannot apply to your account, e.g. names another stack guarantees.
   * @default - none
   */
  readonly skip?: Readonly<Record<string, string>>;
}

/** Severity of a finding: an error fails synthesis, a warning is a synth warning with a stable id. */
export type PreflightLevel = 'error' | 'warning';

/** One finding of a check. */
export interface PreflightFinding {
  /** Id of the check that found it. */
  readonly check: string;
  readonly level: PreflightLevel;
  /** Logical id of the resource it is about (`undefined` for the stack as a whole). */
  readonly logicalId?: string;
  /** The prop (of the library construct, or the CloudFormation property) to change. */
  readonly prop: string;
  /** What fails, when, and the fix. */
  readonly message: string;
}

/** What a check sees. */
export interface PreflightInput {
  readonly template: CfnTemplateJson;
  readonly options: PreflightOptions;
  /** Name of the stack the template deploys as. @default - unknown */
  readonly stackName?: string;
}

/** One preflight check: a pure function from a template to findings. */
export interface PreflightCheck {
  /** Stable id (`secure-rest-api:preflight-<id>` for warnings). */
  readonly id: string;
  /** What it checks, one sentence (the README and docs/deploy.md list them). */
  readonly description: string;
  readonly run: (input: PreflightInput) => PreflightFinding[];
}
