import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { LocalEndpoints } from '../../lib/local/runner';
import { FinancialApiStack } from '../../lib/stacks/financial-api-stack';
import { EXAMPLE_PROPS } from '../helpers/app';
import { synthAssembly } from './local-helpers';

// The web client page in a real headless Chromium (Debian's `chromium`, driven by playwright-core)
// against the real local run: the command `npm start` runs (`tsx lib/local/cli.ts --web-port`), in its
// own process, serving the synthesized example app's gateway, bundled authorizer and handlers,
// dynalite, the local issuer and the page itself. Nothing is mocked. The page is served on its own origin,
// http://localhost:<port>, which the app is synthesized to allow (allowedOrigins + callback URL); the
// same page opened as http://127.0.0.1:<port> is another origin, which CORS must keep out. The page's
// own CSP (script-src 'self', no eval) stays on: the test waits with locators, never evaluated strings.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CI = process.env.CI === 'true';
const haveChromium = existsSync(CHROMIUM);
const ROOT = join(__dirname, '..', '..');

if (!haveChromium && !CI) {
  // Loud on purpose: a skipped browser test must not pass unnoticed on a developer machine.
  console.warn(`\n*** SKIPPING the browser test: ${CHROMIUM} not found. Install it: apt-get install -y chromium ***\n`);
}

const freePort = (): Promise<number> => new Promise((resolve, reject) => {
  const s = createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number };
    s.close(() => { resolve(port); });
  });
});

const timings: [string, number][] = [];
async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    timings.push([label, Math.round(performance.now() - t0)]);
  }
}

test('chromium is installed where CI needs it', () => {
  // In CI a missing browser is a failure, never a skip (.ci/run installs Debian's chromium).
  if (CI) expect(haveChromium).toBe(true);
  else expect(typeof haveChromium).toBe('boolean');
});

(haveChromium ? describe : describe.skip)('web client page in headless Chromium against the local run', () => {
  let assemblyDir: string;
  let userDataDir: string;
  let runner: ChildProcess;
  let runDir: string;
  let context: BrowserContext;
  let endpoints: LocalEndpoints;
  let pageOrigin: string;
  let foreignOrigin: string;

  beforeAll(async () => {
    const pagePort = await freePort();
    pageOrigin = `http://localhost:${pagePort}`;
    foreignOrigin = `http://127.0.0.1:${pagePort}`;
    // The example app as `cdk synth` builds it (esbuild bundles, asset metadata), with the page's
    // origin allowed and its URL registered as the public client's callback and logout URL.
    assemblyDir = await timed('synth (page origin allowed)', () => Promise.resolve(synthAssembly((app) => new FinancialApiStack(app, 'FinancialApiStack', {
      ...EXAMPLE_PROPS,
      allowedOrigins: [pageOrigin],
      identity: { domainPrefix: 'financial-api-local-auth', callbackUrls: [`${pageOrigin}/`], logoutUrls: [`${pageOrigin}/`] },
    }))));
    // The CLI in a scratch working directory, so its .local/endpoints.json never touches a developer's own run.
    runDir = mkdtempSync(join(tmpdir(), 'browser-run-'));
    endpoints = await timed('npm start runner ready', () => new Promise<LocalEndpoints>((resolve, reject) => {
      runner = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'lib', 'local', 'cli.ts'), '--assembly', assemblyDir, '--no-synth', '--port', '0', '--web-port', String(pagePort)], {
        cwd: runDir, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      const timer = setTimeout(() => { reject(new Error(`runner not ready:\n${stderr}`)); }, 60_000);
      runner.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        if (/ready in [\d.]+ s/.test(stderr) && stderr.includes(`Web page    ${pageOrigin}/`)) {
          clearTimeout(timer);
          resolve(JSON.parse(readFileSync(join(runDir, '.local', 'endpoints.json'), 'utf8')) as LocalEndpoints);
        }
      });
      runner.once('exit', (code) => { clearTimeout(timer); reject(new Error(`runner exited with ${code}:\n${stderr}`)); });
    }));
    expect(endpoints.allowedOrigins).toEqual([pageOrigin]);
    userDataDir = mkdtempSync(join(tmpdir(), 'browser-profile-'));
    context = await timed('chromium launch', () => chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    }));
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    if (runner && runner.exitCode === null) {
      const exited = new Promise((r) => runner.once('exit', r));
      runner.kill('SIGTERM'); // Ctrl-C / SIGTERM stops every child of the runner
      await exited;
    }
    if (runDir) rmSync(runDir, { recursive: true, force: true });
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    if (assemblyDir) rmSync(assemblyDir, { recursive: true, force: true });
    console.log(`browser test timings (ms):\n${timings.map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
  });

  const open = async (origin: string): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    await page.waitForSelector('body[data-ready="true"]');
    return page;
  };
  const errorText = async (page: Page): Promise<string> => {
    await page.waitForSelector('#error:not([hidden])');
    return (await page.textContent('#error')) ?? '';
  };
  const click = async (page: Page, selector: string): Promise<void> => {
    await page.evaluate("{ const e = document.getElementById('error'); e.hidden = true; e.textContent = ''; }");
    await page.click(selector);
  };

  test('sign in with PKCE, list and create payments, refresh with rotation, and 401/403/429 shown to the user', async () => {
    const page = await open(pageOrigin);
    const user = endpoints.users.find((u) => u.groups.length === 0);
    if (!user) throw new Error('the runner seeded no regular user');

    await timed('401 before sign-in', async () => {
      await click(page, '#list');
      expect(await errorText(page)).toMatch(/^401 UNAUTHORIZED: Authentication is required\. \(request [0-9a-f-]{36}\)$/);
    });

    await timed('sign-in (PKCE + password + TOTP)', async () => {
      await page.click('#sign-in');
      await page.waitForURL((u) => u.href.startsWith(new URL(endpoints.authorizeUrl ?? '').origin));
      await page.fill('input[name="username"]', user.username);
      await page.fill('input[name="password"]', user.password);
      if (await page.locator('input[name="code"]').count() > 0) {
        if (user.totpSecret === undefined) throw new Error('MFA is on but the user has no TOTP secret');
        await page.fill('input[name="code"]', new TOTP({ secret: Secret.fromBase32(user.totpSecret), algorithm: 'SHA1', digits: 6, period: 30 }).generate());
      }
      await page.click('button[type="submit"]');
      await page.waitForURL(`${pageOrigin}/`);
      await page.waitForSelector('#signed-in:not([hidden])');
    });
    expect(await page.textContent('#who')).toBe(user.username);
    expect(page.url()).toBe(`${pageOrigin}/`); // the code left the address bar
    // Tokens live in memory only: nothing token-like in either web storage.
    const stored = await page.evaluate<string>('JSON.stringify([{ ...localStorage }, { ...sessionStorage }])');
    expect(stored).not.toMatch(/eyJ/);

    await timed('list payments', async () => {
      await click(page, '#list');
      await page.locator('#status', { hasText: /^Listed/ }).waitFor();
    });
    const before = Number(await page.textContent('#count'));

    const paymentId = await timed('create payment', async () => {
      await click(page, '#create button[type="submit"]');
      await page.locator('#created', { hasText: /^[0-9a-f-]{36}$/ }).waitFor();
      const id = (await page.textContent('#created')) ?? '';
      await page.waitForSelector(`tr[data-payment-id="${id}"]`);
      return id;
    });
    expect(Number(await page.textContent('#count'))).toBe(before + 1);
    expect(await page.textContent(`tr[data-payment-id="${paymentId}"]`)).toContain('12.50 EUR');

    await timed('refresh (rotation)', async () => {
      await click(page, '#refresh');
      await page.locator('#rotated', { hasText: /^yes/ }).waitFor();
      // The rotated-in tokens work: the list still answers.
      await click(page, '#list');
      await page.waitForSelector(`tr[data-payment-id="${paymentId}"]`);
    });

    await timed('403 on the admin route', async () => {
      await click(page, '#admin');
      expect(await errorText(page)).toMatch(/^403 FORBIDDEN: You are not allowed to perform this action\. \(request [0-9a-f-]{36}\)$/);
    });

    await timed('429 on a burst', async () => {
      await click(page, '#burst');
      expect(await errorText(page)).toMatch(/^429 TOO_MANY_REQUESTS: Too many requests\. Retry later\. \(request [0-9a-f-]{36}\)$/);
    });

    await timed('401 without the access token', async () => {
      await click(page, '#forget');
      await new Promise((r) => setTimeout(r, 1100)); // let the throttle's bucket refill a little
      await click(page, '#list');
      expect(await errorText(page)).toMatch(/^401 UNAUTHORIZED/);
    });

    await timed('sign out (revoke + /logout)', async () => {
      await click(page, '#sign-out');
      await page.waitForURL(`${pageOrigin}/`);
      await page.waitForSelector('#signed-out:not([hidden])');
      // The pool session ended too: signing in again asks for the password.
      await page.click('#sign-in');
      await page.waitForSelector('input[name="password"]');
    });
    await page.close();
  }, 120_000);

  test('CORS lets the allowed origin read the API and keeps another origin out', async () => {
    const allowed = await open(pageOrigin);
    await click(allowed, '#check');
    await allowed.locator('#health', { hasText: /^ok$/ }).waitFor();

    const foreign = await timed('foreign origin refused', async () => {
      const page = await open(foreignOrigin);
      await click(page, '#check');
      expect(await errorText(page)).toContain(`The API refused this origin (${foreignOrigin})`);
      expect(await page.textContent('#health')).toBe('unknown');
      return page;
    });

    // An authenticated call (preflighted: Authorization, x-api-key) from the foreign origin fails too,
    // while the very same request from the allowed origin is answered.
    const machine = endpoints.machineClient;
    if (!machine || endpoints.tokenUrl === undefined) throw new Error('the runner reported no machine client');
    const tokenRes = await fetch(endpoints.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${machine.clientId}:${machine.clientSecret}`).toString('base64')}` },
      body: 'grant_type=client_credentials&scope=payments/read',
    });
    const { access_token: token } = await tokenRes.json() as { access_token: string };
    const apiKey = endpoints.apiKeys[0]?.value ?? '';
    const call = (page: Page) => page.evaluate(async ({ url, token: t, key }) => {
      try {
        const res = await fetch(url, { headers: { authorization: `Bearer ${t}`, 'x-api-key': key } });
        return `status ${res.status}`;
      } catch (err) {
        return `blocked: ${String(err)}`;
      }
    }, { url: `${endpoints.apiUrl}/payments?limit=1`, token, key: apiKey });
    await new Promise((r) => setTimeout(r, 1100)); // the previous test's burst drained this key's bucket
    expect(await call(allowed)).toBe('status 200');
    expect(await call(foreign)).toMatch(/^blocked: TypeError: Failed to fetch/);
    await allowed.close();
    await foreign.close();
  }, 60_000);

  test("the CLI serves the page with its own CSP, no Referer, and the run's config", async () => {
    const res = await fetch(`${foreignOrigin}/`);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const config = await (await fetch(`${foreignOrigin}/config.json`)).json() as Record<string, unknown>;
    expect(config).toMatchObject({ clientId: endpoints.publicClient?.clientId, redirectUri: `${pageOrigin}/`, apiUrl: endpoints.apiUrl });
  });
});
