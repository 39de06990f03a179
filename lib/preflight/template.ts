import { CfnResourceJson, CfnTemplateJson } from './types';

/** The resources of a template of one type, as `[logicalId, resource]`. */
export function resourcesOfType(template: CfnTemplateJson, type: string): [string, CfnResourceJson][] {
  return Object.entries(template.Resources ?? {}).filter(([, r]) => r.Type === type);
}

/** The logical id a `Ref` or `Fn::GetAtt` points to, if the value is one. */
export function referencedId(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return v.Ref;
  const att = v['Fn::GetAtt'];
  if (Array.isArray(att) && typeof att[0] === 'string') return att[0];
  if (typeof att === 'string') return att.split('.')[0];
  return undefined;
}

/** Every logical id referenced anywhere inside a value (Ref / Fn::GetAtt / Fn::Sub not included). */
export function referencedIds(value: unknown, found: Set<string> = new Set()): Set<string> {
  const id = referencedId(value);
  if (id !== undefined) found.add(id);
  if (Array.isArray(value)) value.forEach((v) => referencedIds(v, found));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => referencedIds(v, found));
  return found;
}

/** `DependsOn` as a list. */
export function dependsOn(resource: CfnResourceJson): string[] {
  const d = resource.DependsOn;
  return d === undefined ? [] : typeof d === 'string' ? [d] : [...d];
}

/** The literal text of a value: a string, or the string parts of an `Fn::Join` with '' (other parts as `{}`). */
export function literalText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const join = (value as Record<string, unknown> | null)?.['Fn::Join'];
  if (Array.isArray(join) && Array.isArray(join[1])) {
    return (join[1] as unknown[]).map((p) => (typeof p === 'string' ? p : (literalText(p) ?? '{}'))).join(join[0] as string);
  }
  return undefined;
}

/** One IAM policy statement as synthesized. */
export interface PolicyStatementJson {
  readonly Effect?: string;
  readonly Action?: string | readonly string[];
  readonly Resource?: unknown;
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of a policy document. */
export function statements(document: unknown): PolicyStatementJson[] {
  const st = (document as { Statement?: unknown } | undefined)?.Statement;
  if (Array.isArray(st)) return st as PolicyStatementJson[];
  return st !== undefined ? [st as PolicyStatementJson] : [];
}

/** Whether an allow statement's actions cover `action` (IAM wildcards, case-insensitive). */
export function allowsAction(statement: PolicyStatementJson, action: string): boolean {
  if (statement.Effect !== undefined && statement.Effect !== 'Allow') return false;
  return [statement.Action ?? []].flat().some((pattern) => wildcardMatch(pattern, action));
}

/** IAM-style `*` / `?` match, case-insensitive. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const p = pattern.toLowerCase();
  const v = value.toLowerCase();
  // Iterative glob match (no regex built from input).
  let pi = 0;
  let vi = 0;
  let star = -1;
  let mark = 0;
  while (vi < v.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === v[vi])) { pi++; vi++; } else if (pi < p.length && p[pi] === '*') { star = pi++; mark = vi; } else if (star >= 0) { pi = star + 1; vi = ++mark; } else return false;
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** Service principals a statement names (`logs.eu-west-1.amazonaws.com`, or a `Fn::Join` rendered as text). */
export function servicePrincipals(statement: PolicyStatementJson): string[] {
  const service = (statement.Principal as { Service?: unknown } | undefined)?.Service;
  return [service ?? []].flat().map((s) => literalText(s) ?? '').filter(Boolean);
}

/** The statements of every policy attached to a role: inline `Policies` and `AWS::IAM::Policy` resources naming it. */
export function roleStatements(template: CfnTemplateJson, roleId: string): { statements: PolicyStatementJson[]; policyIds: string[]; managedPolicyArns: string[] } {
  const role = template.Resources?.[roleId];
  const inline = ((role?.Properties?.Policies ?? []) as { PolicyDocument?: unknown }[]).flatMap((p) => statements(p.PolicyDocument));
  const attached = [...resourcesOfType(template, 'AWS::IAM::Policy'), ...resourcesOfType(template, 'AWS::IAM::ManagedPolicy')]
    .filter(([, p]) => ((p.Properties?.Roles ?? []) as unknown[]).some((r) => referencedId(r) === roleId));
  const managedPolicyArns = ((role?.Properties?.ManagedPolicyArns ?? []) as unknown[]).map((a) => literalText(a) ?? '');
  return {
    statements: [...inline, ...attached.flatMap(([, p]) => statements(p.Properties?.PolicyDocument))],
    policyIds: attached.map(([id]) => id),
    managedPolicyArns,
  };
}
