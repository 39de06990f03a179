import { parentPort, workerData } from 'node:worker_threads';
import type { LocalIssuerOptions } from './options';
import { startIssuerServer } from './server';

/** Messages the worker sends to the thread that started it. */
export type IssuerWorkerMessage =
  | { readonly type: 'ready'; readonly urls: Record<string, string>; readonly jwks: unknown }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'closed' };

// Worker thread entry of the local issuer (see index.ts for why it runs in a worker).
const port = parentPort;
if (port) {
  startIssuerServer(workerData as LocalIssuerOptions).then((issuer) => {
    const { url, issuer: iss, authorizeUrl, tokenUrl, revokeUrl, logoutUrl, userInfoUrl, jwksUrl, discoveryUrl } = issuer;
    port.on('message', (message: unknown) => {
      if (message !== 'close') return;
      void issuer.close().finally(() => {
        port.postMessage({ type: 'closed' } satisfies IssuerWorkerMessage);
        port.close();
      });
    });
    port.postMessage({
      type: 'ready',
      urls: { url, issuer: iss, authorizeUrl, tokenUrl, revokeUrl, logoutUrl, userInfoUrl, jwksUrl, discoveryUrl },
      jwks: issuer.jwks(),
    } satisfies IssuerWorkerMessage);
  }, (err: unknown) => {
    port.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) } satisfies IssuerWorkerMessage);
    port.close();
  });
}
