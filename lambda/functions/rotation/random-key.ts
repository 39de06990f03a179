import { randomBytes } from 'crypto';
import {
  DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient, UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { logger } from '../../runtime/powertools';

/** The event Secrets Manager sends to a rotation function, once per step. */
export interface RotationEvent {
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly Step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
}

/** The Secrets Manager calls rotation makes (a real client, or an in-memory one in tests). */
export type RotationClient = Pick<SecretsManagerClient, 'send'>;

/** Length of generated keys: 48 random bytes, base64url (64 characters, 384 bits). */
const KEY_BYTES = 48;

/**
 * Rotation of a random HMAC key only this application uses (cursor signing): nothing outside
 * Secrets Manager has to learn the new value, so `setSecret` has nothing to do. Handlers accept
 * AWSCURRENT, and AWSPREVIOUS for the grace window after the rotation (24 h by default, measured from
 * the new version's CreatedDate), so cursors signed just before rotation stay valid until they expire.
 * Follows the four-step protocol of AWS's rotation templates; idempotent at every step (Secrets
 * Manager retries). Never logs a value.
 */
export function createRotationHandler(client: () => RotationClient): (event: RotationEvent) => Promise<void> {
  return async (event) => {
    const sm = client();
    const { SecretId: id, ClientRequestToken: token, Step: step } = event;
    logger.info('Rotation step', { step });
    const meta = await sm.send(new DescribeSecretCommand({ SecretId: id }));
    if (!meta.RotationEnabled) throw new Error('rotation is not enabled for this secret');
    const stages = meta.VersionIdsToStages?.[token];
    if (!stages) throw new Error('the rotation token is not a version of this secret');
    if (stages.includes('AWSCURRENT')) return;
    if (!stages.includes('AWSPENDING')) throw new Error('the rotation version is not AWSPENDING');

    switch (step) {
      case 'createSecret': {
        await sm.send(new GetSecretValueCommand({ SecretId: id, VersionStage: 'AWSCURRENT' }));
        try {
          await sm.send(new GetSecretValueCommand({ SecretId: id, VersionId: token, VersionStage: 'AWSPENDING' }));
          return; // created by an earlier attempt of this step
        } catch (err) {
          if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
        }
        await sm.send(new PutSecretValueCommand({
          SecretId: id, ClientRequestToken: token, SecretString: randomBytes(KEY_BYTES).toString('base64url'), VersionStages: ['AWSPENDING'],
        }));
        return;
      }
      case 'setSecret':
        return; // the key lives only in Secrets Manager
      case 'testSecret': {
        const pending = await sm.send(new GetSecretValueCommand({ SecretId: id, VersionId: token, VersionStage: 'AWSPENDING' }));
        if (!pending.SecretString || pending.SecretString.length < 32) throw new Error('the pending key is too short');
        return;
      }
      case 'finishSecret': {
        const current = Object.entries(meta.VersionIdsToStages ?? {}).find(([, s]) => s.includes('AWSCURRENT'))?.[0];
        await sm.send(new UpdateSecretVersionStageCommand({
          SecretId: id, VersionStage: 'AWSCURRENT', MoveToVersionId: token, RemoveFromVersionId: current,
        }));
        return;
      }
      default:
        throw new Error('unknown rotation step');
    }
  };
}

let defaultClient: SecretsManagerClient | undefined;

/** Lambda entry point. */
export const handler = createRotationHandler(() => (defaultClient ??= new SecretsManagerClient({})));
