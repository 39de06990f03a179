import { createHash, timingSafeEqual } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import type { LocalIssuerMfa, LocalIssuerUser } from './options';

/** Why a sign-in was refused (shown on the page in Cognito's wording). */
export type SignInFailure = 'bad_credentials' | 'locked' | 'code_required' | 'bad_code' | 'mfa_not_set_up';

/** Result of checking the sign-in form. */
export type SignInResult = { readonly ok: true; readonly user: LocalIssuerUser } | { readonly ok: false; readonly failure: SignInFailure };

const MESSAGES: Record<SignInFailure, string> = {
  bad_credentials: 'Incorrect username or password.',
  locked: 'Password attempts exceeded',
  code_required: 'Enter the 6-digit code from your authenticator app.',
  bad_code: 'Invalid code or auth state for the user.',
  mfa_not_set_up: 'This user pool requires MFA and this user has no authenticator (TOTP) set up.',
};

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Cognito locks a user out after five failed sign-ins: one second, doubling with each further failure. */
const FREE_FAILURES = 5;
const MAX_LOCKOUT_SECONDS = 900;

/**
 * Checks username, password and (when MFA applies) the TOTP code of a sign-in attempt. Passwords are
 * compared in constant time over their digests, an unknown user costs the same comparison, five
 * failed passwords in a row lock the name out (1 s, doubling per further failure, at most 15 min), and a
 * TOTP code is accepted once only (RFC 6238 §5.2: a verifier must not accept the second attempt of
 * an OTP after the first succeeded), within one 30-second step of clock drift.
 */
export class SignInChecker {
  private readonly users: ReadonlyMap<string, LocalIssuerUser>;
  /** Last accepted TOTP time step per username, so a code cannot be replayed. */
  private readonly lastStep = new Map<string, number>();
  /** Consecutive failed passwords per username, and until when further attempts are refused. */
  private readonly failures = new Map<string, { count: number; lockedUntil: number }>();
  private readonly decoy = digest('decoy-password-for-unknown-users');

  constructor(users: readonly LocalIssuerUser[], private readonly mfa: LocalIssuerMfa) {
    this.users = new Map(users.map((u) => [u.username, u]));
  }

  /** True when the form must show the `code` field. */
  get asksForCode(): boolean {
    return this.mfa !== 'OFF';
  }

  /** Checks one submitted form. */
  check(username: string, password: string, code: string | undefined): SignInResult {
    const now = Date.now();
    const failed = this.failures.get(username);
    // A locked-out name is refused before its password is looked at, right or wrong (as Cognito does).
    if (failed && failed.lockedUntil > now) return { ok: false, failure: 'locked' };
    const user = this.users.get(username);
    const expected = user ? digest(user.password) : this.decoy;
    const passwordOk = timingSafeEqual(expected, digest(password)) && user !== undefined;
    if (!passwordOk) {
      const count = (failed?.count ?? 0) + 1;
      const lockSeconds = count >= FREE_FAILURES ? Math.min(2 ** (count - FREE_FAILURES), MAX_LOCKOUT_SECONDS) : 0;
      this.failures.set(username, { count, lockedUntil: now + lockSeconds * 1000 });
      return { ok: false, failure: 'bad_credentials' };
    }
    this.failures.delete(username);
    const needsCode = this.mfa === 'ON' || (this.mfa === 'OPTIONAL' && user.totpSecret !== undefined);
    if (!needsCode) return { ok: true, user };
    if (user.totpSecret === undefined) return { ok: false, failure: 'mfa_not_set_up' };
    if (code === undefined || code.trim() === '') return { ok: false, failure: 'code_required' };
    const totp = new TOTP({ secret: Secret.fromBase32(user.totpSecret), algorithm: 'SHA1', digits: 6, period: 30 });
    const delta = /^\d{6}$/.test(code.trim()) ? totp.validate({ token: code.trim(), timestamp: now, window: 1 }) : null;
    if (delta === null) return { ok: false, failure: 'bad_code' };
    const step = totp.counter({ timestamp: now }) + delta;
    if (step <= (this.lastStep.get(username) ?? -1)) return { ok: false, failure: 'bad_code' };
    this.lastStep.set(username, step);
    return { ok: true, user };
  }
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** What the sign-in page shows. */
export interface SignInPage {
  readonly action: string;
  readonly clientId: string;
  readonly askCode: boolean;
  readonly username?: string;
  readonly failure?: SignInFailure;
}

/**
 * The sign-in page: a plain HTML form (`username`, `password`, and `code` when MFA applies) posted
 * to the interaction, like Cognito's managed login. No script, so it works with any CSP.
 */
export function renderSignInPage(page: SignInPage): string {
  const error = page.failure ? `<p class="error" role="alert" id="error">${escapeHtml(MESSAGES[page.failure])}</p>` : '';
  const codeField = page.askCode
    ? `<label for="code">Authenticator code</label>
      <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6">`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Sign in (local issuer)</title>
  <style>
    body { font: 16px/1.4 system-ui, sans-serif; max-width: 22rem; margin: 4rem auto; padding: 0 1rem; }
    label, input, button { display: block; width: 100%; box-sizing: border-box; }
    input { margin: .25rem 0 1rem; padding: .5rem; }
    button { padding: .6rem; }
    .error { color: #a00; }
    .note { color: #555; font-size: .85rem; }
  </style>
</head>
<body>
  <h1>Sign in</h1>
  <p class="note">Local stand-in for the Cognito sign-in page (client ${escapeHtml(page.clientId)}).</p>
  ${error}
  <form method="post" action="${escapeHtml(page.action)}" autocomplete="off">
    <label for="username">Username</label>
    <input id="username" name="username" autocomplete="username" required value="${escapeHtml(page.username ?? '')}">
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    ${codeField}
    <button type="submit">Sign in</button>
  </form>
</body>
</html>`;
}
