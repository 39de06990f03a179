import { startWebClient, webClientConfigFrom, type WebClientConfig } from '../../lib/local/web';

// The web client's server and config over real HTTP, without a browser (runs everywhere; the page's
// behaviour in Chromium is test/local/browser.test.ts).

const endpoints = {
  apiUrl: 'http://127.0.0.1:3000/v1',
  authorizeUrl: 'http://127.0.0.1:4000/oauth2/authorize',
  tokenUrl: 'http://127.0.0.1:4000/oauth2/token',
  revokeUrl: 'http://127.0.0.1:4000/oauth2/revoke',
  logoutUrl: 'http://127.0.0.1:4000/logout',
  publicClient: { clientId: 'web', scopes: ['openid', 'payments/read'] },
  apiKeys: [{ tier: 'standard', value: 'std-key' }, { tier: 'partner', value: 'partner-key' }],
};

describe('webClientConfigFrom', () => {
  test('takes the public client, the pool URLs and the first API key (or the named tier)', () => {
    expect(webClientConfigFrom(endpoints, 'http://localhost:3001/')).toEqual({
      apiUrl: endpoints.apiUrl, authorizeUrl: endpoints.authorizeUrl, tokenUrl: endpoints.tokenUrl,
      revokeUrl: endpoints.revokeUrl, logoutUrl: endpoints.logoutUrl, clientId: 'web',
      redirectUri: 'http://localhost:3001/', scopes: ['openid', 'payments/read'], apiKey: 'std-key',
    });
    expect(webClientConfigFrom(endpoints, 'http://localhost:3001/', 'partner').apiKey).toBe('partner-key');
    expect(() => webClientConfigFrom(endpoints, 'http://localhost:3001/', 'gold')).toThrow(/tier gold/);
    expect(() => webClientConfigFrom({ apiUrl: endpoints.apiUrl }, 'http://localhost:3001/')).toThrow(/public/);
  });
});

describe('startWebClient', () => {
  const config: WebClientConfig = webClientConfigFrom(endpoints, 'http://localhost:3001/');

  test('serves the page, its script and /config.json with a strict CSP; nothing else', async () => {
    const web = await startWebClient({ config });
    try {
      const page = await fetch(`${web.url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain('<script type="module" src="app.js"></script>');
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/unsafe-(inline|eval)/);
      // The page may talk to itself, the API and the pool's domain, and nothing else.
      expect(csp).toContain("connect-src 'self' http://127.0.0.1:3000 http://127.0.0.1:4000;");
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');

      const script = await fetch(`${web.url}/app.js`);
      expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
      const source = await script.text();
      expect(source).toContain("code_challenge_method: 'S256'");
      expect(source).not.toMatch(/localStorage\.setItem/);

      expect(await (await fetch(`${web.url}/config.json`)).json()).toEqual(config);
      expect((await fetch(`${web.url}/../package.json`)).status).toBe(404);
      expect((await fetch(`${web.url}/index.ts`)).status).toBe(404);
      expect((await fetch(`${web.url}/`, { method: 'POST' })).status).toBe(405);
    } finally {
      await web.close();
    }
  });

  test('refuses a non-loopback host unless told', async () => {
    await expect(startWebClient({ config, host: '0.0.0.0' })).rejects.toThrow(/loopback/);
  });
});
