// Runs `jose` (ESM-only) in a worker thread for test/helpers/tokens.ts: Jest's CommonJS runtime
// cannot load ESM packages, a worker thread is plain Node and can. Keys never leave this thread.
import { parentPort } from 'node:worker_threads';
import { createPublicKey } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';

/** name -> { kid, privateKey, publicKey } */
const keys = new Map();

const ops = {
  async generate({ name, kid, alg = 'RS256' }) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    keys.set(name, { kid, alg, privateKey, publicKey });
    return kid;
  },
  async jwks({ names }) {
    const list = [];
    for (const name of names) {
      const key = keys.get(name);
      const jwk = await exportJWK(key.publicKey);
      list.push({ ...jwk, kid: key.kid, alg: key.alg, use: 'sig' });
    }
    return { keys: list };
  },
  async publicPem({ name }) {
    return exportSPKI(keys.get(name).publicKey);
  },
  async sign({ name, payload, header = {} }) {
    const key = keys.get(name);
    return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header }).sign(key.privateKey);
  },
  // Key confusion: HS256 with the RSA *public* key (PEM bytes) as the HMAC secret.
  async signHmacWithPublicKey({ name, payload, header = {} }) {
    const key = keys.get(name);
    const pem = createPublicKey(await exportSPKI(key.publicKey)).export({ type: 'spki', format: 'pem' });
    return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'JWT', ...header }).sign(new TextEncoder().encode(pem));
  },
};

parentPort.on('message', async ({ id, op, args }) => {
  try {
    parentPort.postMessage({ id, result: await ops[op](args) });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.stack || err) });
  }
});
