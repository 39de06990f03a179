/**
 * DAST-style invariants over the whole synthesized example app: properties that must hold for every
 * resource, whoever adds it. A new route, function, log group or policy that breaks one fails here.
 */
import { isPublicRoute, routeKey } from '../../lib/routes';
import { exampleStack } from '../helpers/app';

type Resource = { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };

const { stack, template } = exampleStack();
const resources = template.toJSON().Resources as Record<string, Resource>;
const ofType = (type: string): [string, Resource][] => Object.entries(resources).filter(([, r]) => r.Type === type);

/** Rebuilds `/a/{b}` for an AWS::ApiGateway::Resource id (or the root). */
function resourcePath(ref: unknown): string {
  const id = (ref as { Ref?: string }).Ref;
  if (!id) return '';
  const res = resources[id];
  if (!res || res.Type !== 'AWS::ApiGateway::Resource') return '';
  return `${resourcePath(res.Properties?.ParentId)}/${String(res.Properties?.PathPart)}`;
}

describe('every API method', () => {
  const routes = stack.api.routes;
  const methods = ofType('AWS::ApiGateway::Method').map(([id, r]) => ({
    id,
    httpMethod: r.Properties?.HttpMethod as string,
    path: resourcePath(r.Properties?.ResourceId) || '/',
    props: r.Properties ?? {},
  }));

  test('the template has a method for every route in the table, and no method outside it (except CORS preflight)', () => {
    const inTemplate = methods.filter((m) => m.httpMethod !== 'OPTIONS').map((m) => `${m.httpMethod} ${m.path}`).sort();
    expect(inTemplate).toEqual(routes.map(routeKey).sort());
  });

  test('has an authorizer, or is public because the route table says so', () => {
    for (const m of methods) {
      if (m.httpMethod === 'OPTIONS') continue;
      const route = routes.find((r) => routeKey(r) === `${m.httpMethod} ${m.path}`);
      expect(route).toBeDefined();
      if (isPublicRoute(route!)) {
        expect(m.props.AuthorizationType).toBe('NONE');
      } else {
        expect({ route: routeKey(route!), type: m.props.AuthorizationType, hasAuthorizer: m.props.AuthorizerId !== undefined })
          .toEqual({ route: routeKey(route!), type: 'CUSTOM', hasAuthorizer: true });
      }
    }
  });

  test('CORS preflight methods are mock integrations only (they can never reach a handler)', () => {
    for (const m of methods.filter((x) => x.httpMethod === 'OPTIONS')) {
      expect((m.props.Integration as { Type: string }).Type).toBe('MOCK');
    }
  });

  test('validates the request (body and parameters)', () => {
    for (const m of methods.filter((x) => x.httpMethod !== 'OPTIONS')) expect(m.props.RequestValidatorId).toBeDefined();
  });
});

describe('every log group', () => {
  test.each(ofType('AWS::Logs::LogGroup').map(([id, r]) => [id, r] as const))('%s has retention, a KMS key and is retained', (_id, r) => {
    expect(r.Properties?.RetentionInDays).toEqual(expect.any(Number));
    expect(r.Properties?.KmsKeyId).toBeDefined();
    expect(r.DeletionPolicy).toBe('Retain');
  });
});

describe('every Lambda function', () => {
  const functions = ofType('AWS::Lambda::Function');

  test('there are functions to check', () => {
    expect(functions.length).toBeGreaterThan(0);
  });

  test.each(functions.map(([id, r]) => [id, r] as const))('%s has a bounded timeout, the newest runtime and its own role', (_id, r) => {
    expect(r.Properties?.Timeout).toBeLessThanOrEqual(29);
    expect(r.Properties?.Runtime).toBe('nodejs24.x');
    const roleId = ((r.Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'])[0];
    const sharers = functions.filter(([, other]) => JSON.stringify(other.Properties?.Role).includes(`"${roleId}"`));
    expect(sharers).toHaveLength(1);
  });

  test('no role policy grants a wildcard action', () => {
    for (const [id, p] of ofType('AWS::IAM::Policy')) {
      const statements = (p.Properties?.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement;
      for (const s of statements) {
        for (const action of [s.Action].flat()) expect({ id, action }).toEqual({ id, action: expect.not.stringMatching(/^\*$|:\*$/) });
      }
    }
  });

  test('no role has a managed policy except the API Gateway account logging role', () => {
    for (const [id, role] of ofType('AWS::IAM::Role')) {
      const managed = JSON.stringify(role.Properties?.ManagedPolicyArns ?? []);
      if (managed === '[]') continue;
      expect({ id, managed }).toEqual({ id, managed: expect.stringContaining('AmazonAPIGatewayPushToCloudWatchLogs') });
    }
  });
});

describe('every data store', () => {
  const stores = ['AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable', 'AWS::KMS::Key', 'AWS::SecretsManager::Secret',
    'AWS::Cognito::UserPool', 'AWS::S3::Bucket', 'AWS::Logs::LogGroup'];
  const found = Object.entries(resources).filter(([, r]) => stores.includes(r.Type));

  test.each(found.map(([id, r]) => [id, r.Type, r] as const))('%s (%s) is retained on stack deletion and replacement', (_id, _type, r) => {
    expect(r.DeletionPolicy).toBe('Retain');
    expect(r.UpdateReplacePolicy).toBe('Retain');
  });

  test('every DynamoDB table has PITR, deletion protection and a customer-managed key', () => {
    for (const [id, r] of ofType('AWS::DynamoDB::Table')) {
      expect({ id, pitr: r.Properties?.PointInTimeRecoverySpecification }).toMatchObject({ id, pitr: { PointInTimeRecoveryEnabled: true } });
      expect({ id, protection: r.Properties?.DeletionProtectionEnabled }).toEqual({ id, protection: true });
      expect({ id, sse: r.Properties?.SSESpecification }).toMatchObject({ id, sse: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: expect.anything() } });
    }
  });
});

describe('every resource policy', () => {
  /** Policy documents that grant to principals outside the account's IAM (resource policies). */
  const documents: { id: string; doc: { Statement: { Effect: string; Principal?: unknown; Condition?: unknown }[] } }[] = [];
  for (const [id, r] of Object.entries(resources)) {
    const p = r.Properties ?? {};
    for (const key of ['KeyPolicy', 'PolicyDocument', 'ResourcePolicy']) {
      const doc = p[key];
      if (doc && typeof doc === 'object' && 'Statement' in doc) documents.push({ id, doc: doc as never });
    }
  }

  test('no statement allows Principal * without a condition', () => {
    for (const { id, doc } of documents) {
      for (const s of doc.Statement) {
        const principal = JSON.stringify(s.Principal ?? null);
        const open = principal === '"*"' || principal === '{"AWS":"*"}';
        if (s.Effect === 'Allow' && open) expect({ id, condition: s.Condition }).toEqual({ id, condition: expect.anything() });
      }
    }
  });

  test('Lambda invoke permissions are scoped to this API (SourceArn) or a named service', () => {
    for (const [id, p] of ofType('AWS::Lambda::Permission')) {
      expect({ id, principal: p.Properties?.Principal }).toEqual({ id, principal: expect.stringMatching(/\.amazonaws\.com$/) });
      expect({ id, sourceArn: p.Properties?.SourceArn !== undefined }).toEqual({ id, sourceArn: true });
    }
  });
});
