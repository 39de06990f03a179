import { readFileSync } from 'fs';
import * as path from 'path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { SECURITY_HEADERS } from '../../lambda/shared/security-headers';
import { bundleOf } from '../helpers/bundles';

const FIXTURE = JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'events', 'apigw-rest-proxy.json'), 'utf8')) as APIGatewayProxyEvent;

function healthEvent(overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  const event = structuredClone(FIXTURE);
  event.resource = '/health';
  event.path = '/health';
  event.httpMethod = 'GET';
  event.body = null;
  // The route declares no query parameters: the handler kit rejects any (tested below).
  event.queryStringParameters = null;
  event.multiValueQueryStringParameters = null;
  event.headers = { Origin: 'https://app.example.com' };
  return { ...event, ...overrides };
}

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

describe('GET /health, the bundled code from cdk.out (esbuild, as deployed)', () => {
  let handler: Handler;
  const saved = process.env.ALLOWED_ORIGINS;

  beforeAll(() => {
    const bundle = bundleOf(/HealthFunction[0-9A-F]{8}$/);
    process.env.ALLOWED_ORIGINS = String(bundle.environment.ALLOWED_ORIGINS);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = (require(bundle.entryFile) as { handler: Handler }).handler;
  });
  afterAll(() => {
    process.env.ALLOWED_ORIGINS = saved;
  });

  test('answers 200 {"status":"ok"} and nothing else', async () => {
    const res = await handler(healthEvent());
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
  });

  test('carries every security header', async () => {
    const res = await handler(healthEvent());
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers?.[name]).toBe(value);
    expect(res.headers?.['Content-Type']).toMatch(/^application\/json/);
  });

  test('CORS: the allow-listed origin is echoed', async () => {
    const res = await handler(healthEvent());
    expect(res.headers?.['Access-Control-Allow-Origin']).toBe('https://app.example.com');
  });

  test('CORS: an unknown origin gets no Access-Control-Allow-Origin (never reflected, never *)', async () => {
    const res = await handler(healthEvent({ headers: { Origin: 'https://evil.example.net' } }));
    expect(res.headers?.['Access-Control-Allow-Origin']).toBeUndefined();
    expect(res.headers?.Vary).toBe('Origin');
  });

  test('undeclared query parameters, a body or another method are rejected with the envelope', async () => {
    expect((await handler(healthEvent({ queryStringParameters: { debug: 'true' } }))).statusCode).toBe(400);
    expect((await handler(healthEvent({ body: '{}' }))).statusCode).toBe(400);
    const post = await handler(healthEvent({ httpMethod: 'POST' }));
    expect(post.statusCode).toBe(405);
    expect(JSON.parse(post.body)).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED' } });
  });

  test('reveals no version, environment or dependency detail', async () => {
    const res = await handler(healthEvent());
    expect(res.body).not.toMatch(/version|node|aws|region|arn/i);
  });
});
