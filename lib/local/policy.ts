/** One IAM statement as authorizers return them. */
export interface IamStatement {
  readonly Effect: string;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
}

/** An authorizer's policy document. */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly IamStatement[] | IamStatement;
}

/**
 * Evaluates a policy for `execute-api:Invoke` on `arn` the way IAM does: an explicit Deny wins, then
 * an Allow, else implicit deny. Wildcards: `*` any run of characters (including `/` and `:`), `?`
 * exactly one; action names are case-insensitive, resources are not. Written independently of the
 * authorizer's own policy builder so it can catch its bugs.
 */
export function evaluatePolicy(policy: PolicyDocument, arn: string, action = 'execute-api:Invoke'): 'Allow' | 'Deny' | 'ImplicitDeny' {
  const statements: readonly IamStatement[] = Array.isArray(policy.Statement) ? (policy.Statement as readonly IamStatement[]) : [policy.Statement as IamStatement];
  const list = (v: string | readonly string[] | undefined): readonly string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : v);
  const matches = (s: IamStatement): boolean => {
    const actionOk = s.Action !== undefined
      ? list(s.Action).some((a) => globMatch(a.toLowerCase(), action.toLowerCase()))
      : s.NotAction !== undefined && !list(s.NotAction).some((a) => globMatch(a.toLowerCase(), action.toLowerCase()));
    const resourceOk = s.Resource !== undefined
      ? list(s.Resource).some((r) => globMatch(r, arn))
      : s.NotResource !== undefined && !list(s.NotResource).some((r) => globMatch(r, arn));
    return actionOk && resourceOk;
  };
  if (statements.some((s) => s.Effect === 'Deny' && matches(s))) return 'Deny';
  if (statements.some((s) => s.Effect === 'Allow' && matches(s))) return 'Allow';
  return 'ImplicitDeny';
}

/** IAM-style glob: `*` any run of characters, `?` one character, everything else literal. */
export function globMatch(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let mark = 0;
  // Linear-time wildcard matching (no regular expression built from input: no ReDoS).
  while (v < value.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === value[v])) {
      p++;
      v++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = v;
    } else if (star !== -1) {
      p = star + 1;
      v = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
