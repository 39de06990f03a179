import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { SecureRestApi } from '../../lib/constructs/secure-rest-api';
import { ACCESS_LOG_FIELDS, accessLogFormatString } from '../../lib/defaults/logging';
import { testStack } from '../helpers/app';

/*
 * Proof that the metric filters and saved queries fit the access-log line the stage really emits:
 * the format is read from the synthesized AWS::ApiGateway::Stage, rendered the way API Gateway
 * renders it (context variables substituted into the template text), parsed as JSON, and the
 * synthesized filter patterns are evaluated against it.
 */

// ---------------------------------------------------------------------------------------------
// A small evaluator for the subset of CloudWatch Logs JSON filter patterns the library uses:
//   { <selector> <op> <value> [ (&& | ||) ... ] }   with parentheses,
//   selector  $.a.b            op  = != < <= > >=      value  number | "string" | bareword
// Numbers compare only with JSON numbers: the conservative reading of CloudWatch's rule that a
// numeric comparison needs a numeric field (a field quoted as "401" must not be relied on).
// ---------------------------------------------------------------------------------------------

type Op = '=' | '!=' | '<' | '<=' | '>' | '>=';
type Node =
  | { kind: 'cmp'; selector: string[]; op: Op; value: number | string }
  | { kind: 'and' | 'or'; left: Node; right: Node };

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s*(\$\.[A-Za-z0-9_.]+|&&|\|\||!=|<=|>=|=|<|>|\(|\)|\{|\}|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_-]*)\s*/y;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new Error(`unexpected input at ${pos}: ${text.slice(pos)}`);
    tokens.push(m[1] as string);
    pos = re.lastIndex;
  }
  return tokens;
}

/** Parses `{ ... }` into an AST; throws on anything outside the subset. */
function parsePattern(pattern: string): Node {
  const tokens = tokenize(pattern.trim());
  let i = 0;
  const next = (): string => {
    const t = tokens[i++];
    if (t === undefined) throw new Error('unexpected end of pattern');
    return t;
  };
  const expect = (t: string): void => {
    const got = next();
    if (got !== t) throw new Error(`expected ${t}, got ${got}`);
  };
  const term = (): Node => {
    if (tokens[i] === '(') {
      i++;
      const inner = expr();
      expect(')');
      return inner;
    }
    const sel = next();
    if (!sel.startsWith('$.')) throw new Error(`expected a selector, got ${sel}`);
    const op = next();
    if (!['=', '!=', '<', '<=', '>', '>='].includes(op)) throw new Error(`expected an operator, got ${op}`);
    const raw = next();
    let value: number | string;
    if (/^-?\d/.test(raw)) value = Number(raw);
    else if (raw.startsWith('"')) value = JSON.parse(raw) as string;
    else if (/^[A-Za-z_]/.test(raw)) value = raw;
    else throw new Error(`expected a value, got ${raw}`);
    if (typeof value === 'string' && !['=', '!='].includes(op)) throw new Error(`${op} needs a number`);
    return { kind: 'cmp', selector: sel.slice(2).split('.'), op: op as Op, value };
  };
  const expr = (): Node => {
    let left = term();
    while (tokens[i] === '&&' || tokens[i] === '||') {
      const kind = next() === '&&' ? 'and' : 'or';
      left = { kind, left, right: term() };
    }
    return left;
  };
  expect('{');
  const ast = expr();
  expect('}');
  if (i !== tokens.length) throw new Error(`trailing input: ${tokens.slice(i).join(' ')}`);
  return ast;
}

function lookup(event: unknown, selector: string[]): unknown {
  let cur: unknown = event;
  for (const key of selector) {
    if (cur === null || typeof cur !== 'object' || !(key in cur)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function evaluate(node: Node, event: unknown): boolean {
  if (node.kind !== 'cmp') {
    return node.kind === 'and'
      ? evaluate(node.left, event) && evaluate(node.right, event)
      : evaluate(node.left, event) || evaluate(node.right, event);
  }
  const actual = lookup(event, node.selector);
  if (typeof node.value === 'number') {
    if (typeof actual !== 'number') return false;
    switch (node.op) {
      case '=': return actual === node.value;
      case '!=': return actual !== node.value;
      case '<': return actual < node.value;
      case '<=': return actual <= node.value;
      case '>': return actual > node.value;
      case '>=': return actual >= node.value;
    }
  }
  if (typeof actual !== 'string') return false;
  return node.op === '=' ? actual === node.value : actual !== node.value;
}

/** Does a filter pattern match one JSON log line? */
function matches(pattern: string, line: string): boolean {
  return evaluate(parsePattern(pattern), JSON.parse(line) as unknown);
}

/** Every comparison of a pattern: selector and the JSON type its value needs. */
function comparisons(node: Node): { field: string; type: 'number' | 'string' }[] {
  if (node.kind !== 'cmp') return [...comparisons(node.left), ...comparisons(node.right)];
  return [{ field: node.selector.join('.'), type: typeof node.value === 'number' ? 'number' : 'string' }];
}

// ---------------------------------------------------------------------------------------------
// Rendering a line the way API Gateway does: each $context variable replaced by its value, text
// kept as is. An empty value renders as "-".
// ---------------------------------------------------------------------------------------------

const SAMPLE_CONTEXT: Readonly<Record<string, string>> = {
  '$context.requestId': 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  '$context.apiId': 'a1b2c3d4e5',
  '$context.extendedRequestId': 'Yl0fDFc4oAMFzTw=',
  '$context.requestTime': '27/Nov/2026:16:01:26 +0000',
  '$context.requestTimeEpoch': '1795881686000',
  '$context.identity.sourceIp': '203.0.113.7',
  '$context.identity.userAgent': 'curl/8.5.0',
  '$context.identity.caller': '-',
  '$context.identity.user': '-',
  '$context.authorizer.principalId': '-',
  '$context.authorizer.clientId': '-',
  '$context.identity.apiKeyId': '-',
  '$context.httpMethod': 'POST',
  '$context.resourcePath': '/payments',
  '$context.path': '/v1/payments',
  '$context.protocol': 'HTTP/1.1',
  '$context.domainName': 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com',
  '$context.stage': 'v1',
  '$context.responseLength': '120',
  '$context.responseLatency': '37',
  '$context.integration.status': '-',
  '$context.integration.latency': '-',
  '$context.integration.error': '-',
  '$context.error.responseType': 'UNAUTHORIZED',
  '$context.error.message': 'Unauthorized',
  '$context.authorizer.status': '401',
  '$context.authorizer.latency': '12',
  '$context.authorizer.error': '-',
  '$context.wafResponseCode': 'WAF_ALLOW',
  '$context.webaclArn': 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/x/1',
};

function render(format: string, overrides: Record<string, string> = {}): string {
  return format.replace(/\$context\.[A-Za-z.]+[A-Za-z]/g, (variable) => {
    const value = overrides[variable] ?? SAMPLE_CONTEXT[variable];
    if (value === undefined) throw new Error(`no sample value for ${variable}`);
    // Values land inside the format's own quotes (strings) or bare (numbers): escape like API Gateway.
    return JSON.stringify(value).slice(1, -1);
  });
}

const lineWithStatus = (format: string, status: number): string => render(format, { '$context.status': String(status) });

/** Context variables that would put a body, a token, a secret or an API key value in the log. */
const FORBIDDEN_VARIABLES: readonly RegExp[] = [
  /^\$input\./, // request body and parameters
  /^\$method\.request\./, // headers (Authorization, X-Api-Key)
  /^\$util\./,
  /^\$context\.identity\.apiKey$/, // the key value itself (apiKeyId is fine)
  /^\$context\.authorizer\.claims\./, // raw token claims (e-mail, phone)
  /^\$context\.requestOverride\./,
  /^\$context\.responseOverride\./,
  /token/i,
  /secret/i,
  /password/i,
  /body/i,
];

function forbiddenVariables(format: string): string[] {
  const variables = format.match(/\$[A-Za-z]+(?:\.[A-Za-z]+)+/g) ?? [];
  return variables.filter((v) => FORBIDDEN_VARIABLES.some((re) => re.test(v)));
}

// ---------------------------------------------------------------------------------------------

interface Synthesized {
  readonly format: string;
  readonly filters: { pattern: string; metricName: string; dimensions: Record<string, string> }[];
  readonly queries: { name: string; query: string; logGroups: number }[];
}

function synthesize(): Synthesized {
  const stack = testStack();
  new SecureRestApi(stack, 'Api', {
    routes: [{ method: 'GET', path: '/health', handler: 'health', sensitivity: 'low', auth: { public: true, reason: 'Liveness probe for uptime monitors' } }],
    allowedOrigins: [],
    handlersDir: path.join(__dirname, '..', '..', 'lambda', 'example', 'handlers'),
  });
  const template = Template.fromStack(stack);
  const stages = Object.values(template.findResources('AWS::ApiGateway::Stage')) as { Properties: { AccessLogSetting: { Format: string } } }[];
  expect(stages).toHaveLength(1);
  const filters = (Object.values(template.findResources('AWS::Logs::MetricFilter')) as {
    Properties: { FilterPattern: string; MetricTransformations: { MetricName: string; Dimensions: { Key: string; Value: string }[] }[] };
  }[]).map(({ Properties: p }) => {
    const t = p.MetricTransformations[0];
    if (!t) throw new Error('metric filter without transformation');
    return { pattern: p.FilterPattern, metricName: t.MetricName, dimensions: Object.fromEntries(t.Dimensions.map((d) => [d.Key, d.Value])) };
  });
  const queries = (Object.values(template.findResources('AWS::Logs::QueryDefinition')) as {
    Properties: { Name: string; QueryString: string; LogGroupNames: unknown[] };
  }[]).map(({ Properties: p }) => ({ name: p.Name, query: p.QueryString, logGroups: p.LogGroupNames.length }));
  return { format: (stages[0] as { Properties: { AccessLogSetting: { Format: string } } }).Properties.AccessLogSetting.Format, filters, queries };
}

let synthesized: Synthesized;
beforeAll(() => {
  synthesized = synthesize();
});

describe('filter-pattern evaluator (the subset the library uses)', () => {
  test('numeric equality and ranges', () => {
    expect(matches('{ $.status = 401 }', '{"status":401}')).toBe(true);
    expect(matches('{ $.status = 401 }', '{"status":200}')).toBe(false);
    expect(matches('{ $.status >= 500 }', '{"status":500}')).toBe(true);
    expect(matches('{ $.status >= 500 }', '{"status":499}')).toBe(false);
    expect(matches('{ $.status > 500 }', '{"status":500}')).toBe(false);
    expect(matches('{ $.status < 300 }', '{"status":204}')).toBe(true);
    expect(matches('{ $.status <= 204 }', '{"status":204}')).toBe(true);
    expect(matches('{ $.status != 200 }', '{"status":200}')).toBe(false);
  });

  test('a numeric comparison never matches a quoted number or a missing field', () => {
    expect(matches('{ $.status = 401 }', '{"status":"401"}')).toBe(false);
    expect(matches('{ $.status = 401 }', '{"other":401}')).toBe(false);
  });

  test('strings, nested selectors, && / || and parentheses', () => {
    expect(matches('{ $.stage = "v1" }', '{"stage":"v1"}')).toBe(true);
    expect(matches('{ $.stage = v1 }', '{"stage":"v2"}')).toBe(false);
    expect(matches('{ $.a.b = 1 }', '{"a":{"b":1}}')).toBe(true);
    expect(matches('{ $.status = 401 && $.stage = "v1" }', '{"status":401,"stage":"v2"}')).toBe(false);
    expect(matches('{ $.status = 401 || $.status = 403 }', '{"status":403}')).toBe(true);
    expect(matches('{ ($.status = 401 || $.status = 403) && $.stage = "v1" }', '{"status":403,"stage":"v1"}')).toBe(true);
  });

  test('rejects patterns outside the subset instead of guessing', () => {
    expect(() => parsePattern('$.status = 401')).toThrow(/expected \{/);
    expect(() => parsePattern('{ $.status ~ 401 }')).toThrow();
    expect(() => parsePattern('{ $.stage > "v1" }')).toThrow(/needs a number/);
    expect(() => parsePattern('{ $.status = 401 } extra')).toThrow();
  });

  test('reports the fields and value types a pattern compares', () => {
    expect(comparisons(parsePattern('{ $.status >= 500 && $.stage = "v1" }'))).toEqual([
      { field: 'status', type: 'number' }, { field: 'stage', type: 'string' },
    ]);
  });
});

describe('the access-log format the stage emits', () => {
  test('is the library format, and a rendered line is valid JSON with numbers where declared', () => {
    expect(synthesized.format).toBe(accessLogFormatString());
    const line = JSON.parse(lineWithStatus(synthesized.format, 401)) as Record<string, unknown>;
    for (const [name, field] of Object.entries(ACCESS_LOG_FIELDS)) {
      expect([name, typeof line[name]]).toEqual([name, field.type]);
    }
  });

  test('only always-filled variables are unquoted numbers (an empty value renders "-", which is not JSON)', () => {
    const alwaysFilled = new Set(['$context.status', '$context.responseLatency', '$context.requestTimeEpoch']);
    const numeric = Object.values(ACCESS_LOG_FIELDS).filter((f) => f.type === 'number').map((f) => f.variable);
    expect(numeric.every((v) => alwaysFilled.has(v))).toBe(true);
    // Every optional field can be "-" and the line stays valid JSON.
    const dashes: Record<string, string> = {};
    for (const field of Object.values(ACCESS_LOG_FIELDS)) if (field.type === 'string') dashes[field.variable] = '-';
    expect(() => JSON.parse(render(synthesized.format, { ...dashes, '$context.status': '200' }))).not.toThrow();
  });

  test('carries no body, token, secret or API key value', () => {
    expect(forbiddenVariables(synthesized.format)).toEqual([]);
    expect(synthesized.format).toContain('$context.identity.apiKeyId');
    // The check itself can fail: it catches each kind of leak.
    expect(forbiddenVariables('{"k":"$context.identity.apiKey","b":"$input.body","h":"$method.request.header.Authorization","c":"$context.authorizer.claims.email"}'))
      .toEqual(['$context.identity.apiKey', '$input.body', '$method.request.header.Authorization', '$context.authorizer.claims.email']);
  });
});

describe('metric filters fit the access-log format', () => {
  test('there is a filter for 401, 403, 429 and 5xx', () => {
    expect(synthesized.filters.map((f) => f.metricName).sort()).toEqual(['Status401', 'Status403', 'Status429', 'Status5xx']);
  });

  test('each field a filter compares exists in the format with the same name and JSON type', () => {
    for (const filter of synthesized.filters) {
      for (const { field, type } of comparisons(parsePattern(filter.pattern))) {
        const declared = ACCESS_LOG_FIELDS[field];
        expect([filter.metricName, field, declared?.type]).toEqual([filter.metricName, field, type]);
        // And the format text really emits it that way: bare for a number, quoted for a string.
        const emitted = type === 'number' ? `"${field}":${declared?.variable},` : `"${field}":"${declared?.variable}"`;
        expect(synthesized.format).toContain(emitted);
      }
    }
  });

  test('each dimension reads a string field of the format', () => {
    for (const filter of synthesized.filters) {
      expect(Object.keys(filter.dimensions).sort()).toEqual(['ApiId', 'Stage']);
      for (const selector of Object.values(filter.dimensions)) {
        const field = selector.replace(/^\$\./, '');
        expect([selector, ACCESS_LOG_FIELDS[field]?.type]).toEqual([selector, 'string']);
        expect(synthesized.format).toContain(`"${field}":"$context.`);
      }
    }
  });

  test.each([
    [401, ['Status401']],
    [403, ['Status403']],
    [429, ['Status429']],
    [500, ['Status5xx']],
    [503, ['Status5xx']],
    [200, []],
    [404, []],
    [499, []],
  ])('a rendered %d line is counted by %j only', (status, expected) => {
    const line = lineWithStatus(synthesized.format, status);
    const hits = synthesized.filters.filter((f) => matches(f.pattern, line)).map((f) => f.metricName).sort();
    expect(hits).toEqual(expected);
  });

  test('regression guard: with status quoted as a string, the 401 filter would count nothing', () => {
    const quoted = synthesized.format.replace('"status":$context.status', '"status":"$context.status"');
    expect(quoted).not.toBe(synthesized.format);
    const filter401 = synthesized.filters.find((f) => f.metricName === 'Status401');
    expect(filter401).toBeDefined();
    expect(matches(filter401?.pattern ?? '', lineWithStatus(quoted, 401))).toBe(false);
    expect(matches(filter401?.pattern ?? '', lineWithStatus(synthesized.format, 401))).toBe(true);
  });
});

describe('saved Logs Insights queries read fields the access log has', () => {
  const KEYWORDS = new Set(['fields', 'filter', 'stats', 'sort', 'limit', 'by', 'as', 'desc', 'asc', 'or', 'and',
    'count', 'count_distinct', 'avg', 'pct', 'max']);

  test('every identifier of the access-log-only queries is a format field (or an alias)', () => {
    const accessOnly = synthesized.queries.filter((q) => q.logGroups === 1);
    expect(accessOnly.length).toBe(4);
    for (const { name, query } of accessOnly) {
      const aliases = new Set([...query.matchAll(/\bas\s+([A-Za-z0-9_]+)/g)].map((m) => m[1]));
      const identifiers = [...query.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)].map((m) => m[0])
        .filter((w) => !KEYWORDS.has(w) && !aliases.has(w));
      const unknown = identifiers.filter((w) => !(w in ACCESS_LOG_FIELDS));
      expect([name, unknown]).toEqual([name, []]);
    }
  });

  test('the correlation query matches the ids the access log carries', () => {
    const correlation = synthesized.queries.find((q) => q.name.endsWith('/requests-by-correlation-id'));
    expect(correlation?.query).toMatch(/requestId = /);
    expect(correlation?.query).toMatch(/correlationId = /);
    expect(ACCESS_LOG_FIELDS.requestId?.type).toBe('string');
    expect(ACCESS_LOG_FIELDS.correlationId?.type).toBe('string');
  });
});
