import { render } from 'velocityjs';

/** Values a mapping template or gateway response template sees (`$context`, `$input`, `$util`, `$stageVariables`). */
export interface TemplateScope {
  readonly context: Record<string, unknown>;
  readonly headers: Record<string, string>;
  readonly query: Record<string, string>;
  readonly path: Record<string, string>;
  readonly body: string;
  readonly stageVariables: Record<string, string>;
}

/** Case-insensitive lookup (API Gateway matches header names without regard to case). */
export function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** A Java-map-like view (`.get(name)`), as `$input.params().header` is in API Gateway's VTL. */
function javaMap(values: Record<string, string>, caseInsensitive: boolean): Record<string, unknown> {
  return {
    ...values,
    get: (name: string) => (caseInsensitive ? headerValue(values, name) : values[name]) ?? '',
    keySet: () => Object.keys(values),
    containsKey: (name: string) => (caseInsensitive ? headerValue(values, name) : values[name]) !== undefined,
  };
}

/**
 * Renders an API Gateway mapping template (Velocity) with velocityjs: `$context` (including
 * `$context.responseOverride`), `$input.params()`, `$input.params('x')`, `$input.body`,
 * `$input.json('$')`, `$util.escapeJavaScript/urlEncode/urlDecode/base64Encode/base64Decode/parseJson`
 * and `$stageVariables`. Returns the output and the response overrides the template set.
 */
export function renderTemplate(template: string, scope: TemplateScope): { output: string; override: { status?: number; headers: Record<string, string> } } {
  const override = { header: {} as Record<string, string>, status: undefined as unknown };
  const context = { ...scope.context, responseOverride: override };
  const params = {
    header: javaMap(scope.headers, true),
    querystring: javaMap(scope.query, false),
    path: javaMap(scope.path, false),
  };
  const input = {
    body: scope.body,
    params: (name?: string) => {
      if (name === undefined) return params;
      return scope.path[name] ?? scope.query[name] ?? headerValue(scope.headers, name) ?? '';
    },
    json: (expr: string) => (expr === '$' ? (scope.body || '{}') : 'null'),
    path: (expr: string) => {
      if (expr !== '$') return undefined;
      try {
        return JSON.parse(scope.body || '{}') as unknown;
      } catch {
        return undefined;
      }
    },
  };
  const util = {
    escapeJavaScript: (s: unknown) => JSON.stringify(String(s)).slice(1, -1).replace(/'/g, "\\'"),
    urlEncode: (s: unknown) => encodeURIComponent(String(s)),
    urlDecode: (s: unknown) => decodeURIComponent(String(s)),
    base64Encode: (s: unknown) => Buffer.from(String(s), 'utf8').toString('base64'),
    base64Decode: (s: unknown) => Buffer.from(String(s), 'base64').toString('utf8'),
    parseJson: (s: unknown) => JSON.parse(String(s)) as unknown,
  };
  const output = render(template, { context, input, util, stageVariables: scope.stageVariables });
  const status = override.status === undefined || override.status === '' ? undefined : Number(override.status);
  return { output, override: { ...(status !== undefined && !Number.isNaN(status) ? { status } : {}), headers: override.header } };
}

/** Reads a dotted path (`authorizer.principalId`) from a nested object. */
export function lookup(root: Record<string, unknown>, dotted: string): unknown {
  let node: unknown = root;
  for (const part of dotted.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/**
 * Substitutes `$context.*` variables in an access-log format, as API Gateway does: plain
 * substitution (no Velocity), `-` for a variable without a value.
 */
export function substituteContext(format: string, context: Record<string, unknown>): string {
  return format.replace(/\$context\.([A-Za-z0-9_.-]*[A-Za-z0-9_])/g, (_m, name: string) => {
    const value = lookup(context, name);
    if (value === undefined || value === null || value === '') return '-';
    return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  });
}
