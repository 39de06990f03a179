import { randomBytes, randomUUID } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { randomString } from './intrinsics';

/** `GenerateSecretString` of an `AWS::SecretsManager::Secret` (the subset Secrets Manager's generator takes). */
export interface GenerateSecretString {
  readonly PasswordLength?: number;
  readonly ExcludeCharacters?: string;
  readonly ExcludeLowercase?: boolean;
  readonly ExcludeUppercase?: boolean;
  readonly ExcludeNumbers?: boolean;
  readonly ExcludePunctuation?: boolean;
  readonly IncludeSpace?: boolean;
  readonly RequireEachIncludedType?: boolean;
  readonly SecretStringTemplate?: string;
  readonly GenerateStringKey?: string;
}

/** A secret to serve. */
export interface LocalSecretDefinition {
  /** Full ARN (`Ref` of the secret). */
  readonly arn: string;
  /** Secret name (the ARN's name without the 6-character suffix). @default - derived from the ARN */
  readonly name?: string;
  readonly description?: string;
  /** The AWSCURRENT value. @default - generated from `generate` */
  readonly current?: string;
  /** An AWSPREVIOUS value to start with. @default - none (as after a first deployment) */
  readonly previous?: string;
  /** How new values are generated (at start when `current` is absent, and on rotation without a rotation function). */
  readonly generate?: GenerateSecretString;
  /** Whether a rotation schedule exists (DescribeSecret's `RotationEnabled`). @default false */
  readonly rotationEnabled?: boolean;
}

/** Runs the four rotation steps for one version token (the template's rotation function, in a worker). */
export type RotationRunner = (secretArn: string, token: string) => Promise<void>;

interface Version {
  readonly id: string;
  readonly value: string;
  readonly created: Date;
  readonly stages: Set<string>;
  /** A version RotateSecret announced (AWSPENDING) whose value the rotation function has not put yet. */
  readonly placeholder?: boolean;
}

interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  readonly description?: string;
  readonly generate?: GenerateSecretString;
  readonly rotationEnabled: boolean;
  readonly versions: Map<string, Version>;
  lastRotated?: Date;
}

/** A Secrets Manager error in the AWS JSON 1.1 shape the SDK deserializes (`__type`). */
class SmError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/** Generates a value as Secrets Manager's `GenerateSecretString` does (character classes, exclusions, JSON template). */
export function generateSecretValue(spec: GenerateSecretString = {}): string {
  const classes = [
    spec.ExcludeLowercase ? '' : 'abcdefghijklmnopqrstuvwxyz',
    spec.ExcludeUppercase ? '' : 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    spec.ExcludeNumbers ? '' : '0123456789',
    spec.ExcludePunctuation ? '' : PUNCTUATION,
    spec.IncludeSpace ? ' ' : '',
  ].map((set) => Array.from(set).filter((c) => !(spec.ExcludeCharacters ?? '').includes(c)).join('')).filter((set) => set.length > 0);
  const length = spec.PasswordLength ?? 32;
  const all = classes.join('');
  if (all.length === 0) throw new Error('GenerateSecretString excludes every character');
  let value: string;
  do {
    value = randomString(length, all);
  } while ((spec.RequireEachIncludedType ?? true) && length >= classes.length && !classes.every((set) => Array.from(value).some((c) => set.includes(c))));
  if (spec.SecretStringTemplate !== undefined && spec.GenerateStringKey !== undefined) {
    const template = JSON.parse(spec.SecretStringTemplate) as Record<string, unknown>;
    return JSON.stringify({ ...template, [spec.GenerateStringKey]: value });
  }
  return value;
}

/**
 * An in-memory Secrets Manager: versions with staging labels (AWSCURRENT, AWSPREVIOUS, AWSPENDING)
 * and real creation dates, generation from `GenerateSecretString`, and rotation — by the template's
 * rotation function when one is wired ({@link setRotationRunner}), else by generating a new value.
 */
export class LocalSecretStore {
  private readonly secrets = new Map<string, StoredSecret>();
  /** GetSecretValue calls received (secret id and stage), to prove caching from the outside. */
  readonly calls: { secretId: string; stage: string }[] = [];
  private rotationRunner: RotationRunner | undefined;

  constructor(definitions: readonly LocalSecretDefinition[] = []) {
    for (const d of definitions) this.add(d);
  }

  /** Adds a secret (AWSCURRENT from `current` or generated). */
  add(d: LocalSecretDefinition): void {
    const name = d.name ?? d.arn.split(':').pop()?.replace(/-[A-Za-z0-9]{6}$/, '') ?? d.arn;
    const secret: StoredSecret = {
      arn: d.arn, name, rotationEnabled: d.rotationEnabled ?? false, versions: new Map(),
      ...(d.description !== undefined ? { description: d.description } : {}),
      ...(d.generate !== undefined ? { generate: d.generate } : {}),
    };
    if (d.previous !== undefined) this.putVersion(secret, randomUUID(), d.previous, ['AWSPREVIOUS'], new Date(Date.now() - 1000));
    this.putVersion(secret, randomUUID(), d.current ?? generateSecretValue(d.generate), ['AWSCURRENT']);
    this.secrets.set(d.arn, secret);
  }

  /** Wires rotation to the template's rotation function. */
  setRotationRunner(runner: RotationRunner): void {
    this.rotationRunner = runner;
  }

  /** Every secret's ARN and name. */
  list(): { arn: string; name: string }[] {
    return [...this.secrets.values()].map((s) => ({ arn: s.arn, name: s.name }));
  }

  /** The value with a staging label (AWSCURRENT by default); throws ResourceNotFoundException like the service. */
  value(secretId: string, stage = 'AWSCURRENT', versionId?: string): { arn: string; name: string; versionId: string; value: string; stages: string[]; created: Date } {
    const secret = this.find(secretId);
    const version = versionId !== undefined
      ? secret.versions.get(versionId)
      : [...secret.versions.values()].find((v) => v.stages.has(stage));
    if (!version || version.placeholder === true || (versionId !== undefined && stage !== '' && !version.stages.has(stage))) {
      throw new SmError('ResourceNotFoundException', "Secrets Manager can't find the specified secret value for staging label: " + stage);
    }
    return { arn: secret.arn, name: secret.name, versionId: version.id, value: version.value, stages: [...version.stages], created: version.created };
  }

  /** Answers a dynamic reference `secret-id:SecretString:json-key:version-stage:version-id` (CloudFormation's syntax). */
  resolveReference(reference: string): string {
    const parts = reference.split(':');
    // An ARN carries 7 colon-separated parts (arn:aws:secretsmanager:region:account:secret:name).
    const idParts = parts[0] === 'arn' ? 7 : 1;
    const secretId = parts.slice(0, idParts).join(':');
    const [field = 'SecretString', jsonKey = '', stage = '', versionId = ''] = parts.slice(idParts);
    if (field !== 'SecretString') throw new Error(`dynamic reference to ${secretId}: only SecretString can be resolved`);
    const { value } = this.value(secretId, stage || 'AWSCURRENT', versionId || undefined);
    if (!jsonKey) return value;
    const parsed = JSON.parse(value) as Record<string, unknown>;
    const picked = parsed[jsonKey];
    if (typeof picked !== 'string') throw new Error(`dynamic reference to ${secretId}: the secret has no string key "${jsonKey}"`);
    return picked;
  }

  /**
   * Rotates a secret now: a new AWSPENDING version made by the rotation function (createSecret,
   * setSecret, testSecret, finishSecret) when one is wired, else generated here and promoted; the
   * old AWSCURRENT becomes AWSPREVIOUS either way. Returns the new version id.
   */
  async rotate(secretId: string): Promise<string> {
    const secret = this.find(secretId);
    const token = randomUUID();
    if (this.rotationRunner && secret.rotationEnabled) {
      // The rotation function receives a token that DescribeSecret lists as AWSPENDING, as the service does.
      secret.versions.set(token, { id: token, value: '', created: new Date(), stages: new Set(['AWSPENDING']), placeholder: true });
      try {
        await this.rotationRunner(secret.arn, token);
      } catch (err) {
        secret.versions.get(token)?.stages.delete('AWSPENDING');
        throw err;
      }
      const pending = secret.versions.get(token);
      if (!pending?.stages.has('AWSCURRENT')) throw new SmError('InvalidRequestException', 'the rotation function did not promote the new version to AWSCURRENT');
    } else {
      this.putVersion(secret, token, generateSecretValue(secret.generate), ['AWSPENDING']);
      this.moveStage(secret, 'AWSCURRENT', token);
    }
    secret.lastRotated = new Date();
    return token;
  }

  private find(secretId: string): StoredSecret {
    const exact = this.secrets.get(secretId);
    if (exact) return exact;
    for (const s of this.secrets.values()) {
      // By name, or by partial ARN (the ARN without the random suffix).
      if (s.name === secretId || s.arn.replace(/-[A-Za-z0-9]{6}$/, '') === secretId) return s;
    }
    throw new SmError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  }

  private putVersion(secret: StoredSecret, id: string, value: string, stages: readonly string[], created = new Date()): void {
    for (const stage of stages) for (const v of secret.versions.values()) v.stages.delete(stage);
    const existing = secret.versions.get(id);
    secret.versions.set(id, { id, value, created: existing?.created ?? created, stages: new Set([...(existing?.stages ?? []), ...stages]) });
  }

  /** Moves a label; moving AWSCURRENT also moves AWSPREVIOUS to the version that was current (the service does this). */
  private moveStage(secret: StoredSecret, stage: string, toVersion: string, fromVersion?: string): void {
    const target = secret.versions.get(toVersion);
    if (!target) throw new SmError('ResourceNotFoundException', `no version ${toVersion}`);
    const holder = [...secret.versions.values()].find((v) => v.stages.has(stage));
    if (fromVersion !== undefined && holder && holder.id !== fromVersion) {
      throw new SmError('InvalidParameterException', `The parameter RemoveFromVersionId can't be empty or must match the version that has ${stage}.`);
    }
    if (holder && holder.id !== toVersion) {
      holder.stages.delete(stage);
      if (stage === 'AWSCURRENT') {
        for (const v of secret.versions.values()) v.stages.delete('AWSPREVIOUS');
        holder.stages.add('AWSPREVIOUS');
      }
    }
    target.stages.add(stage);
    if (stage === 'AWSCURRENT') target.stages.delete('AWSPENDING');
    // Versions without any label are deprecated; the service keeps them for a while, nothing reads them.
    for (const [id, v] of secret.versions) if (v.stages.size === 0) secret.versions.delete(id);
  }

  /** Handles one AWS JSON 1.1 operation. */
  async handle(operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    const str = (k: string): string | undefined => (typeof input[k] === 'string' ? input[k] : undefined);
    const epoch = (d: Date): number => d.getTime() / 1000;
    switch (operation) {
      case 'GetSecretValue': {
        const secretId = str('SecretId') ?? '';
        const stage = str('VersionStage') ?? (str('VersionId') ? '' : 'AWSCURRENT');
        this.calls.push({ secretId, stage: stage || 'AWSCURRENT' });
        const v = this.value(secretId, stage || 'AWSCURRENT', str('VersionId'));
        return { ARN: v.arn, Name: v.name, SecretString: v.value, VersionId: v.versionId, VersionStages: v.stages, CreatedDate: epoch(v.created) };
      }
      case 'DescribeSecret': {
        const s = this.find(str('SecretId') ?? '');
        return {
          ARN: s.arn, Name: s.name, Description: s.description, RotationEnabled: s.rotationEnabled,
          ...(s.lastRotated ? { LastRotatedDate: epoch(s.lastRotated) } : {}),
          VersionIdsToStages: Object.fromEntries([...s.versions.values()].map((v) => [v.id, [...v.stages]])),
        };
      }
      case 'ListSecretVersionIds': {
        const s = this.find(str('SecretId') ?? '');
        return { ARN: s.arn, Name: s.name, Versions: [...s.versions.values()].map((v) => ({ VersionId: v.id, VersionStages: [...v.stages], CreatedDate: epoch(v.created) })) };
      }
      case 'PutSecretValue': {
        const s = this.find(str('SecretId') ?? '');
        const id = str('ClientRequestToken') ?? randomUUID();
        const value = str('SecretString');
        if (value === undefined) throw new SmError('InvalidParameterException', 'SecretString is required locally (SecretBinary is not emulated)');
        const existing = s.versions.get(id);
        if (existing && existing.placeholder !== true && existing.value !== value) {
          throw new SmError('ResourceExistsException', 'A version with this ClientRequestToken already exists with a different value.');
        }
        const stages = Array.isArray(input.VersionStages) ? (input.VersionStages as string[]) : ['AWSCURRENT'];
        if (stages.includes('AWSCURRENT')) {
          this.putVersion(s, id, value, stages.filter((st) => st !== 'AWSCURRENT'));
          this.moveStage(s, 'AWSCURRENT', id);
        } else {
          this.putVersion(s, id, value, stages);
        }
        return { ARN: s.arn, Name: s.name, VersionId: id, VersionStages: [...(s.versions.get(id)?.stages ?? [])] };
      }
      case 'UpdateSecretVersionStage': {
        const s = this.find(str('SecretId') ?? '');
        const stage = str('VersionStage') ?? '';
        const to = str('MoveToVersionId');
        if (to === undefined) {
          const from = str('RemoveFromVersionId');
          if (from !== undefined) s.versions.get(from)?.stages.delete(stage);
        } else {
          this.moveStage(s, stage, to, str('RemoveFromVersionId'));
        }
        return { ARN: s.arn, Name: s.name };
      }
      case 'GetRandomPassword':
        return { RandomPassword: generateSecretValue(input) };
      case 'RotateSecret': {
        const s = this.find(str('SecretId') ?? '');
        const versionId = await this.rotate(s.arn);
        return { ARN: s.arn, Name: s.name, VersionId: versionId };
      }
      case 'ListSecrets':
        return { SecretList: [...this.secrets.values()].map((s) => ({ ARN: s.arn, Name: s.name, Description: s.description, RotationEnabled: s.rotationEnabled })) };
      default:
        throw new SmError('UnknownOperationException', `${operation} is not emulated by the local Secrets Manager`);
    }
  }
}

/** A running local Secrets Manager endpoint. */
export interface LocalSecretsServer {
  /** `http://127.0.0.1:<port>`: set as `AWS_ENDPOINT_URL_SECRETS_MANAGER` for unmodified SDK clients. */
  readonly endpoint: string;
  /** The store behind it. */
  readonly store: LocalSecretStore;
  /** GetSecretValue calls received (secret id and stage). */
  readonly calls: { secretId: string; stage: string }[];
  stop(): Promise<void>;
}

/**
 * Serves a {@link LocalSecretStore} over the Secrets Manager wire protocol (AWS JSON 1.1,
 * `X-Amz-Target: secretsmanager.<Operation>`) on loopback, so bundled functions run unmodified —
 * real SDK client, real serialization, real HTTP. Signatures are not checked (no AWS here).
 */
export async function startLocalSecretsManager(store: LocalSecretStore, port = 0): Promise<LocalSecretsServer> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomBytes(16).toString('hex') });
        res.end(JSON.stringify(body));
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('secretsmanager.') ? target.slice('secretsmanager.'.length) : '';
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        reply(400, { __type: 'SerializationException', message: 'the request body is not JSON' });
        return;
      }
      store.handle(operation, input).then((out) => { reply(200, out); }, (err: unknown) => {
        if (err instanceof SmError) reply(err.status, { __type: err.type, message: err.message });
        else reply(500, { __type: 'InternalServiceError', message: err instanceof Error ? err.message : String(err) });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    store,
    calls: store.calls,
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => { resolve(); }); }),
  };
}
