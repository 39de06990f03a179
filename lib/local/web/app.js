// Payments web client: sign-in with the OAuth 2.0 authorization code flow + PKCE (RFC 7636, S256)
// against the user pool's domain, then calls to the payments API. No framework, no build step:
// copy this file and index.html into your front end and adapt the rendering.
//
// Security choices a front-end team should keep:
// - Tokens live in memory only (the `session` object below): never localStorage or sessionStorage,
//   which any script on the origin, including an injected one, can read. A reload signs the user out
//   of the page; the pool's own session cookie makes signing in again a redirect without a password.
// - Only the PKCE verifier and the `state` value survive the redirect to the sign-in page, in
//   sessionStorage (this tab only), and are removed as soon as the callback has used them.
// - The refresh token is rotated on every use (the pool refuses the old one): keep only the newest.
// - The access token's claims are decoded for display only; the API verifies the token.

/** @typedef {{ apiUrl: string, authorizeUrl: string, tokenUrl: string, revokeUrl?: string, logoutUrl?: string,
 *   clientId: string, redirectUri: string, scopes?: string[], apiKey?: string }} ClientConfig */

const PENDING_KEY = 'oauth.pending';
// The burst button keeps sending until the API throttles (usage-plan and stage buckets refill while it runs).
const BURST_WAVE = 24;
const BURST_MAX_REQUESTS = 2000;
const BURST_MAX_MS = 20_000;

/** Tokens of the signed-in user: memory only. */
const session = { accessToken: '', idToken: '', refreshToken: '', expiresAt: 0 };
/** @type {ClientConfig} */
let config;

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

function base64Url(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(byteLength) {
  return base64Url(crypto.getRandomValues(new Uint8Array(byteLength)));
}

/** S256 code challenge: BASE64URL(SHA-256(verifier)), computed with WebCrypto. */
async function codeChallenge(verifier) {
  return base64Url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
}

function claimsOf(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
  } catch {
    return {};
  }
}

function setStatus(text) {
  $('status').textContent = text;
}

/** Shows an error to the user: the API's envelope `{ error: { code, message, requestId } }` when there is one. */
function showError(text) {
  const box = $('error');
  box.textContent = text;
  box.hidden = text === '';
}

function renderSession() {
  // Signed in while a refresh token is held: a missing or expired access token is one refresh away.
  const signedIn = session.accessToken !== '' || session.refreshToken !== '';
  $('signed-out').hidden = signedIn;
  $('signed-in').hidden = !signedIn;
  if (session.accessToken !== '') {
    const claims = claimsOf(session.accessToken);
    $('who').textContent = claims.username ?? claims.sub ?? '';
    $('groups').textContent = (claims['cognito:groups'] ?? []).join(', ') || 'none';
    $('scopes').textContent = claims.scope ?? '';
    $('expires').textContent = new Date(session.expiresAt).toLocaleTimeString();
  } else {
    $('expires').textContent = 'never: no access token held (refresh to get one)';
  }
}

function storeTokens(body) {
  session.accessToken = body.access_token;
  if (body.id_token) session.idToken = body.id_token;
  // With rotation every refresh returns a new refresh token; without it the old one stays valid.
  if (body.refresh_token) session.refreshToken = body.refresh_token;
  session.expiresAt = Date.now() + Number(body.expires_in) * 1000;
  renderSession();
}

async function tokenRequest(params) {
  const res = await fetch(config.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: config.clientId, ...params }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`Sign-in service: ${body.error ?? res.status}${body.error_description ? ` (${body.error_description})` : ''}`);
  return body;
}

/** Step 1: send the browser to the sign-in page with a fresh PKCE verifier and state. */
async function signIn() {
  const verifier = randomString(32);
  const state = randomString(16);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state }));
  const url = new URL(config.authorizeUrl);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: (config.scopes ?? ['openid']).join(' '),
    state,
    code_challenge: await codeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  window.location.assign(url.href);
}

/** Step 2: back on the callback, check `state` and trade the code (plus the verifier) for tokens. */
async function completeSignIn(params) {
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null');
  sessionStorage.removeItem(PENDING_KEY);
  // The code must not stay in the address bar or the history.
  window.history.replaceState(null, '', window.location.pathname);
  if (params.has('error')) throw new Error(`Sign-in refused: ${params.get('error')} ${params.get('error_description') ?? ''}`.trim());
  if (!pending || params.get('state') !== pending.state) throw new Error('Sign-in response does not match this tab (state mismatch): sign in again.');
  storeTokens(await tokenRequest({
    grant_type: 'authorization_code',
    code: params.get('code') ?? '',
    redirect_uri: config.redirectUri,
    code_verifier: pending.verifier,
  }));
  setStatus('Signed in.');
}

async function refresh() {
  if (session.refreshToken === '') throw new Error('No refresh token: sign in first.');
  const previous = session.refreshToken;
  storeTokens(await tokenRequest({ grant_type: 'refresh_token', refresh_token: previous }));
  const rotated = session.refreshToken !== previous;
  $('rotated').textContent = rotated ? 'yes (the previous refresh token no longer works)' : 'no';
  setStatus(`Tokens refreshed${rotated ? '; refresh token rotated' : ''}.`);
}

async function signOut() {
  const { refreshToken } = session;
  Object.assign(session, { accessToken: '', idToken: '', refreshToken: '', expiresAt: 0 });
  renderSession();
  if (refreshToken !== '' && config.revokeUrl) {
    await fetch(config.revokeUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken, client_id: config.clientId }),
    }).catch(() => undefined);
  }
  if (config.logoutUrl) {
    const url = new URL(config.logoutUrl);
    url.search = new URLSearchParams({ client_id: config.clientId, logout_uri: config.redirectUri }).toString();
    window.location.assign(url.href);
  }
}

/** Calls the API; returns the parsed body or throws an Error carrying the envelope's status, code and request id. */
async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (session.accessToken !== '') headers.authorization = `Bearer ${session.accessToken}`;
  if (config.apiKey) headers['x-api-key'] = config.apiKey;
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    // One key per user intent: a retry of the same click must reuse it, a new click gets a new one.
    headers['idempotency-key'] = crypto.randomUUID();
  }
  let res;
  try {
    res = await fetch(`${config.apiUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    // A CORS refusal and an unreachable API look the same to a page: fetch rejects without a response.
    throw Object.assign(new Error(`The API refused this origin (${window.location.origin}) or is unreachable (CORS).`), { status: 0 });
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = data.error ?? {};
    const message = `${res.status} ${e.code ?? 'ERROR'}: ${e.message ?? res.statusText}${e.requestId ? ` (request ${e.requestId})` : ''}`;
    throw Object.assign(new Error(message), { status: res.status, code: e.code, requestId: e.requestId });
  }
  return data;
}

function formatAmount(p) {
  return `${(p.amount / 100).toFixed(2)} ${p.currency}`;
}

async function listPayments() {
  const page = await api('GET', '/payments?limit=20');
  const rows = $('payments');
  rows.replaceChildren(...page.items.map((p) => {
    const tr = document.createElement('tr');
    tr.dataset.paymentId = p.paymentId;
    for (const text of [p.paymentId, formatAmount(p), p.creditor.name, p.status, p.createdAt]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  }));
  $('count').textContent = String(page.items.length);
  setStatus(`Listed ${page.items.length} payment(s).`);
}

async function createPayment(form) {
  const data = new FormData(form);
  const reference = String(data.get('reference') ?? '').trim();
  const created = await api('POST', '/payments', {
    amount: Math.round(Number(data.get('amount')) * 100),
    currency: String(data.get('currency')),
    creditor: { name: String(data.get('creditorName')), iban: String(data.get('iban')).replace(/\s+/g, '') },
    ...(reference !== '' ? { reference } : {}),
  });
  $('created').textContent = created.paymentId;
  setStatus(`Payment ${created.paymentId} created (${created.status}).`);
  await listPayments();
}

async function listAll() {
  const page = await api('GET', '/admin/payments?limit=20');
  setStatus(`Administrator view: ${page.items.length} payment(s).`);
}

/**
 * Sends list requests as fast as the browser allows (it keeps six connections per host) until the
 * API throttles one, as a busy client would, and reports that answer: what a 429 looks like to the user.
 */
async function burst() {
  const started = Date.now();
  let sent = 0;
  while (sent < BURST_MAX_REQUESTS && Date.now() - started < BURST_MAX_MS) {
    const wave = await Promise.allSettled(Array.from({ length: BURST_WAVE }, () => api('GET', '/payments?limit=1')));
    sent += BURST_WAVE;
    const throttled = wave.find((r) => r.status === 'rejected' && r.reason.status === 429);
    if (throttled) throw throttled.reason;
    const other = wave.find((r) => r.status === 'rejected');
    if (other) throw other.reason;
  }
  setStatus(`${sent} requests answered in ${Date.now() - started} ms; none throttled.`);
}

async function checkApi() {
  const health = await api('GET', '/health');
  $('health').textContent = health.status ?? JSON.stringify(health);
  setStatus('The API answered this origin.');
}

/** Runs a UI action: clears the previous error, shows the new one. */
function action(fn) {
  return async (event) => {
    event?.preventDefault();
    showError('');
    try {
      await fn(event);
    } catch (err) {
      showError(err instanceof Error ? err.message : String(err));
      setStatus('Failed.');
    }
  };
}

async function main() {
  config = await (await fetch('config.json', { cache: 'no-store' })).json();
  $('api-url').textContent = config.apiUrl;
  $('sign-in').addEventListener('click', action(signIn));
  $('sign-out').addEventListener('click', action(signOut));
  $('refresh').addEventListener('click', action(refresh));
  $('list').addEventListener('click', action(listPayments));
  $('admin').addEventListener('click', action(listAll));
  $('burst').addEventListener('click', action(burst));
  $('check').addEventListener('click', action(checkApi));
  $('forget').addEventListener('click', action(async () => {
    session.accessToken = '';
    renderSession();
    setStatus('Access token dropped from memory (calls now go without one).');
  }));
  $('create').addEventListener('submit', action((e) => createPayment(e.target)));
  const params = new URLSearchParams(window.location.search);
  if (params.has('code') || params.has('error')) await action(() => completeSignIn(params))();
  renderSession();
  document.body.dataset.ready = 'true';
}

main().catch((err) => showError(`Could not start: ${err.message}`));
