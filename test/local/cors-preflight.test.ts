/**
 * Issue #14 item 9, at run time: SecureRestApi's OPTIONS mocks evaluated by the local gateway (the real
 * velocity template of the synthesized template): every preflight answer carries the security headers,
 * allows only the resource's own methods, and echoes an origin only when it is on the allow-list.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { SECURITY_HEADERS } from '../../lambda/runtime/security-headers';
import { SecureRestApi } from '../../lib/constructs/secure-rest-api';
import { readApis } from '../../lib/local/api-model';
import type { CfnTemplate } from '../../lib/local/assembly';
import { LocalGateway } from '../../lib/local/gateway';
import { IntrinsicResolver } from '../../lib/local/intrinsics';
import { testApp, testStack } from '../helpers/app';
import { call } from './local-helpers';

const ORIGINS = ['https://one.example.com', 'https://two.example.com'];
let url = '';
let server: http.Server;

beforeAll(async () => {
  const stack = testStack(testApp(), 'CorsSecureStack');
  new SecureRestApi(stack, 'Api', {
    routes: [
      { method: 'GET', path: '/health', handler: 'health', auth: { public: true, reason: 'Liveness probe for monitors' } },
      { method: 'POST', path: '/things', handler: 'health', auth: { public: true, reason: 'Test route without a token' } },
      { method: 'GET', path: '/things', handler: 'health', auth: { public: true, reason: 'Test route without a token' } },
    ],
    allowedOrigins: ORIGINS,
    handlersDir: path.join(__dirname, '..', '..', 'lambda', 'example', 'handlers'),
    alarms: { alarmEmail: 'oncall@example.com' },
  });
  const template = Template.fromStack(stack).toJSON() as CfnTemplate;
  const resolver = new IntrinsicResolver(template, { region: 'eu-west-1', account: '123456789012', stackName: stack.stackName, partition: 'aws', urlSuffix: 'amazonaws.com' });
  const [api] = readApis(resolver);
  if (!api) throw new Error('no api');
  // No function is invoked by a preflight; a call reaching one would fail the test loudly.
  const gateway = new LocalGateway({
    api, stage: api.stages[0] as never, region: 'eu-west-1', account: '123456789012', accessLog: () => undefined,
    invoke: () => Promise.resolve({ kind: 'crash', durationMs: 0, detail: 'a preflight must not invoke a function' }),
  });
  const stage = `/${api.stages[0]?.name ?? ''}`;
  server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    void gateway.handle(req, res, u.pathname.slice(stage.length), u.search.slice(1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${stage}`;
});

afterAll(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));

test.each([
  ['https://one.example.com', 'https://one.example.com'],
  ['https://two.example.com', 'https://two.example.com'],
  ['https://evil.example.com', 'https://one.example.com'],
])('preflight from %s: Access-Control-Allow-Origin %s, never the foreign origin', async (origin, expected) => {
  const reply = await call(`${url}/things`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' } });
  expect(reply.status).toBe(204);
  expect(reply.headers.get('access-control-allow-origin')).toBe(expected);
  expect(reply.headers.get('vary')).toBe('Origin');
});

test('each resource allows only its own methods', async () => {
  const things = await call(`${url}/things`, { method: 'OPTIONS', headers: { Origin: ORIGINS[0] as string } });
  const health = await call(`${url}/health`, { method: 'OPTIONS', headers: { Origin: ORIGINS[0] as string } });
  expect(things.headers.get('access-control-allow-methods')).toBe('GET,POST,OPTIONS');
  expect(health.headers.get('access-control-allow-methods')).toBe('GET,OPTIONS');
});

test('the preflight answer carries every security header', async () => {
  const reply = await call(`${url}/health`, { method: 'OPTIONS', headers: { Origin: ORIGINS[1] as string } });
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect({ name, value: reply.headers.get(name) }).toEqual({ name, value });
});
