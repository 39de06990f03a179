import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** The rule packs this library is checked against, by the prefix of their rule ids. */
export const RULE_PACK_PREFIXES = {
  awsSolutions: 'AwsSolutions',
  pciDss321: 'PCI.DSS.321',
  nist80053r5: 'NIST.800.53.R5',
} as const;

/** A rule-pack id prefix. */
export type RulePackPrefix = (typeof RULE_PACK_PREFIXES)[keyof typeof RULE_PACK_PREFIXES];

/**
 * Acknowledges one rule on one construct in several packs at once, with one reason: the same
 * control (e.g. "Lambda inside a VPC") is a rule in both PCI DSS and NIST 800-53, and the decision
 * about it is one decision. `rule` is the part after the pack prefix (`LambdaDLQ`,
 * `IAMNoInlinePolicy`), or a full finding id when `packs` is empty.
 */
export function acknowledgeRule(scope: IConstruct, rule: string, reason: string, packs: readonly RulePackPrefix[]): void {
  if (reason.trim().length < 20) throw new Error(`acknowledgement of ${rule} at ${scope.node.path} needs a real reason`);
  const ids = packs.length === 0 ? [rule] : packs.map((p) => `${p}-${rule}`);
  for (const id of ids) Validations.of(scope).acknowledge({ id, reason });
}

/** One acknowledgement found in a construct tree. */
export interface Acknowledgement {
  /** Construct path it is attached to. */
  readonly path: string;
  /** Finding id, e.g. `AwsSolutions-IAM5[Resource::*]`. */
  readonly id: string;
  /** The recorded reason. */
  readonly reason: string;
}

const ACK_METADATA_KEY = 'aws:cdk:acknowledged-rules';

/** Every acknowledgement recorded with `Validations.of(...).acknowledge()` under `root`, sorted. */
export function acknowledgements(root: IConstruct): Acknowledgement[] {
  const found: Acknowledgement[] = [];
  for (const node of root.node.findAll()) {
    for (const entry of node.node.metadata) {
      if (entry.type !== ACK_METADATA_KEY) continue;
      for (const [qualified, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ path: node.node.path, id: qualified.replace(/^[^:]+::/, ''), reason });
      }
    }
  }
  return found.sort((a, b) => a.path.localeCompare(b.path) || a.id.localeCompare(b.id));
}
