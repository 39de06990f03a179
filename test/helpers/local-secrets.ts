import * as http from 'http';
import type { AddressInfo } from 'net';

/** One secret's versions by stage. */
export interface LocalSecret {
  readonly current: string;
  readonly previous?: string;
}

/** A running local Secrets Manager endpoint. */
export interface LocalSecretsServer {
  /** `http://127.0.0.1:<port>`: set as `AWS_ENDPOINT_URL_SECRETS_MANAGER` for unmodified SDK clients. */
  readonly endpoint: string;
  /** GetSecretValue calls received (secret id and stage), to prove caching from the outside. */
  readonly calls: { secretId: string; stage: string }[];
  stop(): Promise<void>;
}

/**
 * A loopback HTTP server speaking the one Secrets Manager operation the handlers use,
 * `GetSecretValue` (AWS JSON 1.1 protocol: `X-Amz-Target: secretsmanager.GetSecretValue`), so the
 * bundled functions from `cdk.out` run unmodified — real SDK client, real serialization, real
 * HTTP — against a local server instead of AWS. Signatures are not checked (no AWS here).
 */
export async function startLocalSecrets(secrets: Record<string, LocalSecret>): Promise<LocalSecretsServer> {
  const calls: { secretId: string; stage: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        reply(400, { __type: 'UnknownOperationException', message: 'only GetSecretValue is served' });
        return;
      }
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: string; VersionStage?: string };
      const secretId = input.SecretId ?? '';
      const stage = input.VersionStage ?? 'AWSCURRENT';
      calls.push({ secretId, stage });
      const secret = secrets[secretId];
      const value = stage === 'AWSPREVIOUS' ? secret?.previous : stage === 'AWSCURRENT' ? secret?.current : undefined;
      if (value === undefined) {
        reply(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret value" });
        return;
      }
      reply(200, {
        ARN: secretId, Name: secretId.split(':').pop(), SecretString: value,
        VersionId: `${stage.toLowerCase()}-0000-0000-0000-000000000000`, VersionStages: [stage], CreatedDate: 1_700_000_000,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
