/**
 * Issue #14 item 9: CORS preflight answers (OPTIONS mocks) carry the security headers and allow only the
 * resource's own methods; with several origins only a member of the allow-list is ever echoed.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { SECURITY_HEADERS } from '../../lambda/runtime/security-headers';
import { exampleStack } from '../helpers/app';
import { buildApi } from './edge-fixtures';

type Method = { Properties: { HttpMethod: string; ResourceId: unknown; Integration: { Type: string; IntegrationResponses: { ResponseParameters: Record<string, string>; ResponseTemplates?: Record<string, string> }[] }; MethodResponses: { ResponseParameters: Record<string, boolean> }[] } };

function preflights(template: Template): Map<string, Method> {
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: { ParentId?: unknown; PathPart?: string } }>;
  const pathOf = (ref: unknown): string => {
    const id = (ref as { Ref?: string }).Ref;
    const res = id ? resources[id] : undefined;
    if (!res || res.Type !== 'AWS::ApiGateway::Resource') return '';
    return `${pathOf(res.Properties.ParentId)}/${String(res.Properties.PathPart)}`;
  };
  const methods = Object.values(template.findResources('AWS::ApiGateway::Method')) as Method[];
  return new Map(methods.filter((m) => m.Properties.HttpMethod === 'OPTIONS').map((m) => [pathOf(m.Properties.ResourceId) || '/', m]));
}

describe('CORS preflight mocks', () => {
  const { template } = exampleStack();
  const options = preflights(template);

  test('one OPTIONS mock per routed resource, none on resources without routes', () => {
    expect([...options.keys()].sort()).toEqual(['/admin/payments', '/health', '/payments', '/payments/{paymentId}', '/webhooks/processor']);
    for (const m of options.values()) expect(m.Properties.Integration.Type).toBe('MOCK');
  });

  test('Access-Control-Allow-Methods lists only the resource\'s own methods', () => {
    const allow = (p: string): string | undefined => options.get(p)?.Properties.Integration.IntegrationResponses[0]?.ResponseParameters['method.response.header.Access-Control-Allow-Methods'];
    expect(allow('/payments')).toBe("'GET,POST,OPTIONS'");
    expect(allow('/payments/{paymentId}')).toBe("'GET,OPTIONS'");
    expect(allow('/health')).toBe("'GET,OPTIONS'");
    expect(allow('/admin/payments')).toBe("'GET,OPTIONS'");
  });

  test('every preflight answer carries every security header (and declares it in the method response)', () => {
    for (const [p, m] of options) {
      const params = m.Properties.Integration.IntegrationResponses[0]?.ResponseParameters ?? {};
      const declared = m.Properties.MethodResponses[0]?.ResponseParameters ?? {};
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
        expect({ p, name, value: params[`method.response.header.${name}`] }).toEqual({ p, name, value: `'${value}'` });
        expect(declared[`method.response.header.${name}`]).toBe(true);
      }
      expect(params['method.response.header.Access-Control-Allow-Origin']).toBe("'https://app.example.com'");
      expect(params['method.response.header.Vary']).toBe("'Origin'");
    }
  });

  test('several origins: the static origin is the first, the template echoes only other members, never *', () => {
    const t = buildApi({ allowedOrigins: ['https://a.example.com', 'https://b.example.com', 'https://c.example.com'] }).template();
    for (const m of preflights(t).values()) {
      const response = m.Properties.Integration.IntegrationResponses[0];
      expect(response?.ResponseParameters['method.response.header.Access-Control-Allow-Origin']).toBe("'https://a.example.com'");
      const vtl = response?.ResponseTemplates?.['application/json'] ?? '';
      expect(vtl).toContain('#if($origin == "https://b.example.com" || $origin == "https://c.example.com")');
      expect(vtl).toContain('#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)');
      expect(JSON.stringify(m)).not.toContain("'*'");
    }
  });
});
