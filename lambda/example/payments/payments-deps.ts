import { PAYMENTS_TABLE } from './payments-table';
import { SecretCache, type SecretValueReader } from '../../runtime/secrets';
import { containerDeps, requireEnv, storeDeps, type StoreDeps, type StoreDepsOptions } from './payments-store-deps';

export { containerDeps, storeDeps, type StoreDeps, type StoreDepsOptions } from './payments-store-deps';

/**
 * What the payments handlers that sign or verify with a secret depend on (listings: cursor key;
 * webhook: processor key). Tests pass a dynalite client and an in-memory secret reader. Handlers that
 * only touch the table take {@link StoreDeps} from `payments-store-deps.ts` instead.
 */
export interface PaymentsDeps extends StoreDeps {
  readonly secrets: SecretCache;
  /** ARN of the cursor-signing secret. */
  readonly cursorSecretId: string;
  /** ARN of the processor-webhook secret. */
  readonly webhookSecretId: string;
}

/** Overrides for {@link paymentsDeps}. */
export interface PaymentsDepsOptions extends StoreDepsOptions {
  /** @default - a SecretsManagerClient for the function's region */
  readonly secretsClient?: SecretValueReader;
  /** @default - the `CURSOR_SECRET_ARN` variable */
  readonly cursorSecretId?: string;
  /** @default - the `WEBHOOK_SECRET_ARN` variable */
  readonly webhookSecretId?: string;
  /** How long AWSPREVIOUS is accepted after a rotation (ms). @default - `SECRET_PREVIOUS_GRACE_SECONDS`, else 24 h */
  readonly previousSecretGraceMs?: number;
}

/** Which secret a handler reads, by the variable that names it. */
export type PaymentsSecret = 'cursor' | 'webhook';

const SECRET_ENV: Readonly<Record<PaymentsSecret, string>> = {
  cursor: PAYMENTS_TABLE.cursorSecretEnv,
  webhook: PAYMENTS_TABLE.webhookSecretEnv,
};

/**
 * Builds the dependencies from the environment `lib/` sets, with optional overrides. A missing
 * secret variable is only an error for the handler that needs it (at its first use), so each
 * function is given only the names of the resources it may touch.
 */
export function paymentsDeps(options: PaymentsDepsOptions = {}): PaymentsDeps {
  const { store, now } = storeDeps(options);
  const secrets = new SecretCache({
    client: options.secretsClient, now: () => now().getTime(),
    ...(options.previousSecretGraceMs !== undefined ? { previousGraceMs: options.previousSecretGraceMs } : {}),
  });
  return {
    store,
    now,
    secrets,
    get cursorSecretId() { return options.cursorSecretId ?? requireEnv(SECRET_ENV.cursor); },
    get webhookSecretId() { return options.webhookSecretId ?? requireEnv(SECRET_ENV.webhook); },
  };
}

/**
 * {@link paymentsDeps} for the container, created during init (see `containerDeps`), with the
 * handler's secret read ahead in the background: the first request finds it cached (or, if the
 * prefetch failed, reads it itself).
 */
export function containerPaymentsDeps(secret: PaymentsSecret): () => PaymentsDeps {
  return containerDeps(() => {
    const deps = paymentsDeps();
    const secretId = process.env[SECRET_ENV[secret]];
    if (secretId) deps.secrets.prefetch(secretId);
    return deps;
  });
}
