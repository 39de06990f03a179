import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  /** Epoch milliseconds after which the entry is gone. */
  expiresAt: number;
}

/**
 * oidc-provider's storage for one local issuer: codes, sessions, grants, interactions and refresh
 * tokens live in memory and vanish with the process (a restart signs everyone out, as a new pool would).
 *
 * One Cognito behaviour lives here: refresh token rotation with a retry grace period. oidc-provider
 * treats any reuse of a rotated refresh token as theft and revokes the whole grant; Cognito instead
 * keeps the presented token usable for `RetryGracePeriodSeconds` and then simply refuses it. So a
 * consumed refresh token is returned without its `consumed` mark inside the grace period, and not
 * at all after it ("refresh token not found" → `invalid_grant`), leaving the newer tokens valid.
 */
export class MemoryStore {
  private readonly models = new Map<string, Map<string, Entry>>();

  /** @param graceSecondsFor the rotation grace period of a client, by client id */
  constructor(private readonly graceSecondsFor: (clientId: string) => number) {}

  /** The adapter factory oidc-provider calls once per model name. */
  adapterFor(name: string): Adapter {
    let entries = this.models.get(name);
    if (!entries) {
      entries = new Map();
      this.models.set(name, entries);
    }
    const map = entries;
    const live = (id: string): Entry | undefined => {
      const entry = map.get(id);
      if (entry && entry.expiresAt <= Date.now()) {
        map.delete(id);
        return undefined;
      }
      return entry;
    };
    const graceSecondsFor = this.graceSecondsFor;
    const visible = (entry: Entry | undefined): AdapterPayload | undefined => {
      if (!entry) return undefined;
      const { payload } = entry;
      if (name === 'RefreshToken' && typeof payload.consumed === 'number') {
        const grace = graceSecondsFor(String(payload.clientId));
        if (Date.now() / 1000 - payload.consumed >= grace) return undefined;
        const copy = { ...payload };
        delete copy.consumed;
        return copy;
      }
      return { ...payload };
    };
    return {
      upsert: (id, payload, expiresIn) => {
        const ttl = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : 3600;
        map.set(id, { payload: { ...payload }, expiresAt: Date.now() + ttl * 1000 });
        return Promise.resolve();
      },
      find: (id) => Promise.resolve(visible(live(id))),
      findByUid: (uid) => {
        for (const [id, entry] of map) if (entry.payload.uid === uid) return Promise.resolve(visible(live(id)));
        return Promise.resolve(undefined);
      },
      findByUserCode: (userCode) => {
        for (const [id, entry] of map) if (entry.payload.userCode === userCode) return Promise.resolve(visible(live(id)));
        return Promise.resolve(undefined);
      },
      consume: (id) => {
        const entry = live(id);
        // The first use starts the grace period; a retry inside it must not extend it.
        if (entry && typeof entry.payload.consumed !== 'number') entry.payload.consumed = Math.floor(Date.now() / 1000);
        return Promise.resolve();
      },
      destroy: (id) => {
        map.delete(id);
        return Promise.resolve();
      },
      revokeByGrantId: (grantId) => {
        for (const [id, entry] of map) if (entry.payload.grantId === grantId) map.delete(id);
        return Promise.resolve();
      },
    };
  }
}
