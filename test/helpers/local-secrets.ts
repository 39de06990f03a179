import { randomUUID } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';

/** One secret's versions by stage, as a test seeds it. */
export interface LocalSecret {
  readonly current: string;
  readonly previous?: string;
  /** `CreatedDate` of the AWSCURRENT version (when the previous value became previous). @default - the server's clock at start */
  readonly rotatedAt?: Date;
  /** What `DescribeSecret` answers for `RotationEnabled`. @default false */
  readonly rotationEnabled?: boolean;
}

/** Options of {@link startLocalSecrets}. */
export interface LocalSecretsOptions {
  /** The server's clock: `CreatedDate` of versions it creates. @default - the system clock */
  readonly now?: () => Date;
}

/** A version as the server keeps it. */
interface Version {
  readonly id: string;
  value: string | undefined;
  readonly created: Date;
  stages: string[];
}

/** A running local Secrets Manager endpoint. */
export interface LocalSecretsServer {
  /** `http://127.0.0.1:<port>`: set as `AWS_ENDPOINT_URL_SECRETS_MANAGER` for unmodified SDK clients. */
  readonly endpoint: string;
  /** GetSecretValue calls received (secret id and stage), to prove caching from the outside. */
  readonly calls: { secretId: string; stage: string }[];
  /** Version id -> stages of a secret (what DescribeSecret returns). */
  stagesOf(secretId: string): Record<string, string[]>;
  /**
   * What `RotateSecret` does before it invokes the rotation function: a version with id `token`,
   * stage AWSPENDING and no value yet.
   */
  beginRotation(secretId: string, token: string): void;
  stop(): Promise<void>;
}

type Reply = (status: number, body: unknown) => void;

const notFound = (reply: Reply, what = "Secrets Manager can't find the specified secret value"): void => {
  reply(400, { __type: 'ResourceNotFoundException', message: what });
};

/**
 * A loopback HTTP server speaking the Secrets Manager operations the handlers, the rotation function
 * and the webhook-secret runbook use — `GetSecretValue`, `DescribeSecret`, `PutSecretValue`,
 * `UpdateSecretVersionStage` (AWS JSON 1.1 protocol: `X-Amz-Target: secretsmanager.<Operation>`) —
 * with the service's stage rules (moving AWSCURRENT moves AWSPREVIOUS to the version it left; a
 * `PutSecretValue` without stages becomes AWSCURRENT) and real `CreatedDate`s, so the bundled
 * functions from `cdk.out` run unmodified — real SDK client, real serialization, real HTTP —
 * against a local server instead of AWS. Signatures are not checked (no AWS here).
 */
export async function startLocalSecrets(secrets: Record<string, LocalSecret>, options: LocalSecretsOptions = {}): Promise<LocalSecretsServer> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const store = new Map<string, { versions: Version[]; rotationEnabled: boolean }>();
  for (const [id, s] of Object.entries(secrets)) {
    const rotatedAt = s.rotatedAt ?? started;
    const versions: Version[] = [{ id: randomUUID(), value: s.current, created: rotatedAt, stages: ['AWSCURRENT'] }];
    if (s.previous !== undefined) {
      versions.push({ id: randomUUID(), value: s.previous, created: new Date(rotatedAt.getTime() - 30 * 86_400_000), stages: ['AWSPREVIOUS'] });
    }
    store.set(id, { versions, rotationEnabled: s.rotationEnabled ?? false });
  }
  const calls: { secretId: string; stage: string }[] = [];
  const withStage = (versions: Version[], stage: string): Version | undefined => versions.find((v) => v.stages.includes(stage));

  /** Attaches `stage` to `to` (removing it from wherever it was); AWSCURRENT drags AWSPREVIOUS along, as the service does. */
  function moveStage(versions: Version[], stage: string, to: Version): void {
    const from = withStage(versions, stage);
    if (from === to) return;
    if (from) from.stages = from.stages.filter((s) => s !== stage);
    to.stages = [...to.stages.filter((s) => s !== stage), stage];
    if (stage === 'AWSCURRENT' && from) {
      for (const v of versions) v.stages = v.stages.filter((s) => s !== 'AWSPREVIOUS');
      from.stages.push('AWSPREVIOUS');
    }
  }

  const operations: Record<string, (input: Record<string, unknown>, reply: Reply) => void> = {
    GetSecretValue(input, reply) {
      const secretId = String(input.SecretId ?? '');
      const stage = typeof input.VersionStage === 'string' ? input.VersionStage : input.VersionId === undefined ? 'AWSCURRENT' : '';
      calls.push({ secretId, stage });
      const versions = store.get(secretId)?.versions ?? [];
      const version = input.VersionId !== undefined ? versions.find((v) => v.id === input.VersionId && (stage === '' || v.stages.includes(stage))) : withStage(versions, stage);
      if (!version || version.value === undefined) { notFound(reply); return; }
      reply(200, {
        ARN: secretId, Name: secretId.split(':').pop(), SecretString: version.value, VersionId: version.id,
        VersionStages: version.stages, CreatedDate: version.created.getTime() / 1000,
      });
    },
    DescribeSecret(input, reply) {
      const secretId = String(input.SecretId ?? '');
      const secret = store.get(secretId);
      if (!secret) { notFound(reply, "Secrets Manager can't find the specified secret."); return; }
      reply(200, {
        ARN: secretId, Name: secretId.split(':').pop(), RotationEnabled: secret.rotationEnabled,
        VersionIdsToStages: Object.fromEntries(secret.versions.filter((v) => v.stages.length > 0).map((v) => [v.id, v.stages])),
      });
    },
    PutSecretValue(input, reply) {
      const secretId = String(input.SecretId ?? '');
      const secret = store.get(secretId);
      if (!secret) { notFound(reply, "Secrets Manager can't find the specified secret."); return; }
      const id = typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : randomUUID();
      const stages = Array.isArray(input.VersionStages) ? input.VersionStages as string[] : ['AWSCURRENT'];
      let version = secret.versions.find((v) => v.id === id);
      if (version?.value !== undefined) {
        if (version.value !== input.SecretString) { reply(400, { __type: 'ResourceExistsException', message: 'A version with this token already exists' }); return; }
      } else if (version) {
        version.value = String(input.SecretString);
      } else {
        version = { id, value: String(input.SecretString), created: now(), stages: [] };
        secret.versions.push(version);
      }
      for (const stage of stages) moveStage(secret.versions, stage, version);
      reply(200, { ARN: secretId, Name: secretId.split(':').pop(), VersionId: version.id, VersionStages: version.stages });
    },
    UpdateSecretVersionStage(input, reply) {
      const secretId = String(input.SecretId ?? '');
      const secret = store.get(secretId);
      const stage = String(input.VersionStage ?? '');
      if (!secret) { notFound(reply, "Secrets Manager can't find the specified secret."); return; }
      const from = secret.versions.find((v) => v.id === input.RemoveFromVersionId);
      const to = secret.versions.find((v) => v.id === input.MoveToVersionId);
      if (input.RemoveFromVersionId !== undefined && !from?.stages.includes(stage)) {
        reply(400, { __type: 'InvalidParameterException', message: 'The stage is not attached to RemoveFromVersionId' });
        return;
      }
      if (to) moveStage(secret.versions, stage, to);
      else if (from) from.stages = from.stages.filter((s) => s !== stage);
      reply(200, { ARN: secretId, Name: secretId.split(':').pop() });
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply: Reply = (status, body) => {
        res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('secretsmanager.') ? operations[target.slice('secretsmanager.'.length)] : undefined;
      if (!operation) {
        reply(400, { __type: 'UnknownOperationException', message: 'operation not served by the local Secrets Manager' });
        return;
      }
      operation(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>, reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    stagesOf: (secretId) => Object.fromEntries((store.get(secretId)?.versions ?? []).map((v) => [v.id, v.stages])),
    beginRotation(secretId, token) {
      const secret = store.get(secretId);
      if (!secret) throw new Error(`no secret ${secretId}`);
      for (const v of secret.versions) v.stages = v.stages.filter((s) => s !== 'AWSPENDING');
      secret.versions.push({ id: token, value: undefined, created: now(), stages: ['AWSPENDING'] });
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
