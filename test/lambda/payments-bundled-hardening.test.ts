/*
 * Issue 14, items 4-9, as deployed: the bundled functions from cdk.out, each in a fresh Node.js process,
 * against dynalite and a local Secrets Manager endpoint that keeps versions, stages and CreatedDates
 * the way the service does. The webhook-secret runbook (docs/handlers.md) is driven step by step with
 * a real SDK client — the calls its CLI commands make — and the cursor key is rotated by the bundled
 * rotation function through Secrets Manager's four steps. Nothing in the code is mocked.
 */
import { randomUUID } from 'crypto';
import { PutSecretValueCommand, SecretsManagerClient, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { signWebhook } from '../../lambda/runtime/webhook-signature';
import { PREVIOUS_GRACE_ENV } from '../../lambda/runtime/limits';
import { bundledFunctions } from '../helpers/bundles';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';
import { startLocalSecrets, type LocalSecretsServer } from '../helpers/local-secrets';
import { runBundle, type LocalResources, type Outcome } from './payments-bundle-runner';
import { authorizerFor, proxyEvent, validPayment } from './payments-helpers';

const CURSOR_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:grace-cursor-AbCdEf';
const WEBHOOK_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:grace-webhook-AbCdEf';
const OLD_WEBHOOK = 'leaked-webhook-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const NEW_WEBHOOK = 'fresh-webhook-secret-0123456789abcdefghijklmnopqrstuvwxyzAB';
const CURSOR_KEY = 'cursor-key-before-rotation-0123456789abcdefghijklmnopqrstu';
const DAY = 86_400_000;

describe('bounded grace for AWSPREVIOUS, the bundled code against a local Secrets Manager with version dates', () => {
  let dynamo: LocalDynamo;
  let secrets: LocalSecretsServer;
  let local: LocalResources;
  let sm: SecretsManagerClient;
  /** The local service's clock offset: lets a step happen "25 hours ago". */
  let skewMs = 0;
  let seq = 0;

  beforeAll(async () => {
    bundledFunctions();
    dynamo = await startDynalite();
    secrets = await startLocalSecrets({
      [CURSOR_ARN]: { current: CURSOR_KEY, rotatedAt: new Date(Date.now() - 40 * DAY), rotationEnabled: true },
      [WEBHOOK_ARN]: { current: OLD_WEBHOOK, rotatedAt: new Date(Date.now() - 40 * DAY) },
    }, { now: () => new Date(Date.now() + skewMs) });
    local = {
      dynamoEndpoint: dynamo.endpoint, secretsEndpoint: secrets.endpoint, tableName: await dynamo.createPaymentsTable(),
      cursorSecretArn: CURSOR_ARN, webhookSecretArn: WEBHOOK_ARN,
    };
    sm = new SecretsManagerClient({ endpoint: secrets.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  });
  afterAll(async () => {
    sm.destroy();
    await secrets.stop();
    await dynamo.stop();
  });

  async function newPaymentIds(n: number): Promise<string[]> {
    const events = Array.from({ length: n }, () => proxyEvent('POST', '/payments', {
      body: JSON.stringify(validPayment()), headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `grace-key-${String(++seq).padStart(10, '0')}` },
      authorizer: authorizerFor('user-grace'),
    }));
    const created = await runBundle(/CreatePaymentFunction[0-9A-F]{8}$/, events, local);
    return created.map((c) => String(c.body?.paymentId));
  }

  /** Webhook events for each payment, signed with the given secrets; the status of each, in one fresh container. */
  async function webhookStatuses(signed: [paymentId: string, secret: string][]): Promise<(number | undefined)[]> {
    const now = Math.floor(Date.now() / 1000);
    const events = signed.map(([paymentId, secret]) => {
      const body = JSON.stringify({ eventId: randomUUID(), type: 'payment.settled', paymentId, occurredAt: new Date().toISOString() });
      return proxyEvent('POST', '/webhooks/processor', { body, headers: { 'Content-Type': 'application/json', 'X-Processor-Signature': signWebhook(body, secret, now) } });
    });
    return (await runBundle(/ProcessorWebhookFunction[0-9A-F]{8}$/, events, local)).map((o: Outcome) => o.statusCode);
  }

  const versionWith = (stage: string): string => {
    const found = Object.entries(secrets.stagesOf(WEBHOOK_ARN)).find(([, stages]) => stages.includes(stage));
    if (!found) throw new Error(`no ${stage}`);
    return found[0];
  };

  test('the deployed webhook function is told the 24 h window', () => {
    const fn = bundledFunctions().find((f) => /ProcessorWebhookFunction[0-9A-F]{8}$/.test(f.logicalId));
    expect(fn?.environment[PREVIOUS_GRACE_ENV]).toBe('86400');
  });

  test('runbook: put the new value -> the leaked one verifies only during the grace; "revoke now" refuses it at once; the new one verifies', async () => {
    const [a, b, c, d] = await newPaymentIds(4) as [string, string, string, string];
    // Step 1: `aws secretsmanager put-secret-value --secret-id <WebhookSecret> --secret-string <new>`.
    await sm.send(new PutSecretValueCommand({ SecretId: WEBHOOK_ARN, SecretString: NEW_WEBHOOK }));
    expect(await webhookStatuses([[a, OLD_WEBHOOK], [b, NEW_WEBHOOK]])).toEqual([200, 200]);
    // Revoke now: `aws secretsmanager update-secret-version-stage --version-stage AWSPREVIOUS --remove-from-version-id <old>`.
    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: WEBHOOK_ARN, VersionStage: 'AWSPREVIOUS', RemoveFromVersionId: versionWith('AWSPREVIOUS') }));
    expect(await webhookStatuses([[c, OLD_WEBHOOK], [d, NEW_WEBHOOK]])).toEqual([401, 200]);
  });

  test('without "revoke now", a value rotated out 25 hours ago is refused; one rotated out 23 hours ago still verifies', async () => {
    const [a, b, c] = await newPaymentIds(3) as [string, string, string];
    const rotateAt = async (hoursAgo: number, from: string, to: string): Promise<void> => {
      await sm.send(new PutSecretValueCommand({ SecretId: WEBHOOK_ARN, SecretString: from }));
      skewMs = -hoursAgo * 3_600_000;
      try {
        await sm.send(new PutSecretValueCommand({ SecretId: WEBHOOK_ARN, SecretString: to }));
      } finally {
        skewMs = 0;
      }
    };
    await rotateAt(25, OLD_WEBHOOK, NEW_WEBHOOK);
    expect(await webhookStatuses([[a, OLD_WEBHOOK], [b, NEW_WEBHOOK]])).toEqual([401, 200]);
    await rotateAt(23, OLD_WEBHOOK, NEW_WEBHOOK);
    expect(await webhookStatuses([[c, OLD_WEBHOOK]])).toEqual([200]);
  });

  test('cursor key: rotated by the bundled rotation function; a cursor signed before pages on in the window, not with a zero window', async () => {
    await newPaymentIds(3);
    const list = (query: Record<string, string>, extra: Record<string, string> = {}) => runBundle(/^PaymentsApiListPaymentsFunction[0-9A-F]{8}$/, [
      proxyEvent('GET', '/payments', { query, authorizer: authorizerFor('user-grace') }),
    ], local, extra);
    const [first] = await list({ limit: '1' });
    const cursor = String(first?.body?.nextCursor);
    expect(cursor).toMatch(/\./);
    // RotateSecret: the service creates the AWSPENDING version, then calls the function once per step.
    const token = randomUUID();
    secrets.beginRotation(CURSOR_ARN, token);
    const steps = (['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const).map((Step) => ({ SecretId: CURSOR_ARN, ClientRequestToken: token, Step }));
    const outcomes = await runBundle(/CursorKeyRotation[0-9A-F]{8}$/, steps, local);
    expect(outcomes.map((o) => o.error)).toEqual([undefined, undefined, undefined, undefined]);
    expect(secrets.stagesOf(CURSOR_ARN)[token]).toContain('AWSCURRENT');
    expect(Object.values(secrets.stagesOf(CURSOR_ARN)).filter((s) => s.includes('AWSPREVIOUS'))).toHaveLength(1);
    const [inGrace] = await list({ cursor });
    expect(inGrace?.statusCode).toBe(200);
    const [noGrace] = await list({ cursor }, { [PREVIOUS_GRACE_ENV]: '0' });
    expect(noGrace?.statusCode).toBe(400);
    expect(noGrace?.body?.error).toMatchObject({ code: 'INVALID_CURSOR' });
  });

  test('exact money, IBAN registry, safe text and admin masking hold in the bundled create and admin-list functions', async () => {
    const raw = (body: string, key: string): unknown => proxyEvent('POST', '/payments', {
      body, headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key }, authorizer: authorizerFor('user-bundled-rules'),
    });
    const creditor = '"creditor":{"name":"ACME GmbH","iban":"DE89370400440532013000"}';
    const outcomes = await runBundle(/CreatePaymentFunction[0-9A-F]{8}$/, [
      raw(`{"amount":1,"amount":100000,"currency":"EUR",${creditor}}`, 'bundled-rules-0001'),
      raw(`{"amount":1.0000000000000001,"currency":"EUR",${creditor}}`, 'bundled-rules-0002'),
      raw(`{"amount":9007199254740993,"currency":"EUR",${creditor}}`, 'bundled-rules-0003'),
      raw('{"amount":1,"currency":"EUR","creditor":{"name":"ACME","iban":"XX89370400440532013000"}}', 'bundled-rules-0004'),
      raw('{"amount":1,"currency":"EUR","creditor":{"name":"=HYPERLINK(\\"x\\")","iban":"DE89370400440532013000"}}', 'bundled-rules-0005'),
      raw('{"amount":1,"currency":"EUR","creditor":{"name":"\\u003cb\\u003eACME","iban":"DE89370400440532013000"}}', 'bundled-rules-0006'),
      raw('{"amount":1,"currency":"EUR","creditor":{"name":"ACME\\u200B","iban":"DE89370400440532013000"}}', 'bundled-rules-0007'),
      raw(`{"amount":1000000001,"currency":"JPY",${creditor}}`, 'bundled-rules-0008'),
      raw('{"amount":1000000000000,"currency":"BHD","creditor":{"name":"O\'Brien & Söhne GmbH","iban":"GB82WEST12345698765432"}}', 'bundled-rules-0009'),
    ], local);
    const pathsOf = (o: Outcome | undefined): string[] => ((o?.body?.error as { details?: { path: string }[] } | undefined)?.details ?? []).map((d) => d.path);
    expect(outcomes.map((o) => o.statusCode)).toEqual([400, 400, 400, 400, 400, 400, 400, 400, 201]);
    expect(outcomes.slice(0, 3).map(pathsOf)).toEqual([['body.amount'], ['body.amount'], ['body.amount']]);
    expect(pathsOf(outcomes[3])).toContain('body.creditor.iban');
    for (const o of outcomes.slice(4, 7)) expect(pathsOf(o)).toContain('body.creditor.name');
    expect(pathsOf(outcomes[7])).toEqual(['body.amount']);
    const [admin] = await runBundle(/AdminListPaymentsFunction[0-9A-F]{8}$/, [
      proxyEvent('GET', '/admin/payments', { query: { limit: '100' }, authorizer: authorizerFor('user-root', { scopes: 'payments/admin', groups: 'admins' }) }),
    ], local);
    expect(admin?.statusCode).toBe(200);
    const ibans = ((admin?.body?.items ?? []) as { creditor: { iban: string } }[]).map((p) => p.creditor.iban);
    expect(ibans).toContain('GB82**************5432');
    expect(ibans.every((i) => /^[A-Z]{2}[0-9]{2}\*+[A-Z0-9]{4}$/.test(i))).toBe(true);
  });
});
