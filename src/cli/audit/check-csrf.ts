import { randomBytes } from 'node:crypto';
import { AuditContext, auditEmail, auditPassword, CheckFailed } from './context.js';
import { Browser, describe, type HttpResult } from './http.js';

/** A CSRF probe: how a forged request differs from a genuine one. */
interface Probe {
  id: string;
  what: string;
  send(browser: Browser): Promise<HttpResult>;
}

/** A cookie-authenticated, state-changing request: POST /auth/logout (harmless to the audit account). */
const PROBES: Probe[] = [
  { id: 'csrf.missing-token', what: 'without X-CSRF-Token', send: (b) => b.request('POST', '/auth/logout', { csrf: false }) },
  { id: 'csrf.wrong-token', what: 'with a wrong X-CSRF-Token', send: (b) => b.request('POST', '/auth/logout', { csrf: randomBytes(32).toString('base64url') }) },
  { id: 'csrf.foreign-origin', what: 'from Origin https://evil.example (valid token)', send: (b) => b.request('POST', '/auth/logout', { csrf: true, origin: 'https://evil.example' }) },
  {
    id: 'csrf.cross-site',
    what: 'with Sec-Fetch-Site: cross-site (valid token, no Origin)',
    send: (b) => b.request('POST', '/auth/logout', { csrf: true, origin: null, headers: { 'sec-fetch-site': 'cross-site' } }),
  },
];

/**
 * CSRF on a cookie-authenticated POST: each forged variant must get 403 (`csrf_rejected`) while
 * the session stays usable; then the genuine request (same Origin, the session's token) must pass,
 * which proves the rejections were the CSRF defence and not something else.
 */
export async function checkCsrf(ctx: AuditContext): Promise<void> {
  let browser: Browser | undefined;
  const ensureSession = async (): Promise<Browser> => {
    if (browser) {
      const me = await browser.request('GET', '/auth/me');
      if (me.status === 200) return browser;
    }
    browser = ctx.browser();
    await ctx.cookieLogin(browser);
    if (browser.csrf === undefined) throw new CheckFailed('the cookie login returned no csrf_token');
    return browser;
  };
  for (const probe of PROBES) {
    await ctx.check(probe.id, async () => {
      const b = await ensureSession();
      const res = await probe.send(b);
      if (res.status >= 500) throw new CheckFailed(`POST /auth/logout ${probe.what}: server error ${res.status}`);
      if (res.status !== 403) throw new CheckFailed(`POST /auth/logout ${probe.what} was not refused: ${describe(res)}`);
      const alive = await b.request('GET', '/auth/me');
      if (alive.status !== 200) throw new CheckFailed(`refused with 403, but the session no longer works (${describe(alive)})`);
      return `POST ${probe.what} → ${describe(res)}`;
    });
  }
  await ctx.check('csrf.control', async () => {
    const b = await ensureSession();
    const res = await b.request('POST', '/auth/logout', { csrf: true, headers: { 'sec-fetch-site': 'same-origin' } });
    if (res.status < 200 || res.status >= 300) {
      throw new CheckFailed(`a genuine same-origin POST with the session's token was refused (${describe(res)}): the rejections above prove nothing`);
    }
    return `the genuine request passes (${describe(res)})`;
  });
}

/** The refresh cookie of the jwt postures (API.md). */
const REFRESH_COOKIE = '__Secure-tessera_rt';

/**
 * CSRF on the refresh cookie, jwt postures: once the access cookie has expired, `POST /auth/refresh`
 * is authenticated by the refresh cookie alone, and a forged one must be refused (403) like any
 * other cookie-authenticated POST, without burning the login: the genuine refresh (the login's
 * token) then rotates it.
 */
export async function checkRefreshCsrf(ctx: AuditContext): Promise<void> {
  if (!ctx.jwtMode) {
    ctx.skip('csrf.refresh-cookie', 'session posture: no refresh cookie');
    return;
  }
  await ctx.check('csrf.refresh-cookie', async () => {
    const b = ctx.browser();
    await ctx.cookieLogin(b);
    if (!b.jar.has(REFRESH_COOKIE)) throw new CheckFailed(`the cookie login set no ${REFRESH_COOKIE} cookie`);
    // As after the access token's expiry: only the refresh cookie is left.
    b.jar.delete(ctx.credentialCookie);
    const forged = await b.request('POST', '/auth/refresh', { csrf: false });
    if (forged.status >= 500) throw new CheckFailed(`POST /auth/refresh with the refresh cookie and no X-CSRF-Token: server error ${forged.status}`);
    if (forged.status !== 403) throw new CheckFailed(`POST /auth/refresh with the refresh cookie and no X-CSRF-Token was not refused: ${describe(forged)}`);
    const genuine = await b.request('POST', '/auth/refresh', { csrf: true });
    if (genuine.status !== 200) {
      throw new CheckFailed(`refused without a token (${describe(forged)}), but the genuine refresh with the login's token fails too (${describe(genuine)})`);
    }
    return `refresh cookie without X-CSRF-Token → ${describe(forged)}; with the login's token → ${describe(genuine)}`;
  });
}

/**
 * Login CSRF: a login (or signup) form posted from another site must be refused on Origin /
 * Fetch Metadata, before any credential is checked.
 */
export async function checkLoginCsrf(ctx: AuditContext): Promise<void> {
  const credentials = { email: ctx.email, password: ctx.password };
  await ctx.check('login-csrf.foreign-origin', async () => {
    const res = await ctx.post('/auth/login', { json: credentials, headers: { origin: ctx.foreignOrigin } });
    if (res.status >= 500) throw new CheckFailed(`server error ${res.status}`);
    if (res.status !== 403) throw new CheckFailed(`POST /auth/login from Origin ${ctx.foreignOrigin} was not refused: ${describe(res)}`);
    return `foreign Origin → ${describe(res)}`;
  });
  await ctx.check('login-csrf.cross-site', async () => {
    const res = await ctx.post('/auth/login', { json: credentials, headers: { 'sec-fetch-site': 'cross-site' } });
    if (res.status >= 500) throw new CheckFailed(`server error ${res.status}`);
    if (res.status !== 403) throw new CheckFailed(`POST /auth/login with Sec-Fetch-Site: cross-site was not refused: ${describe(res)}`);
    return `Sec-Fetch-Site: cross-site → ${describe(res)}`;
  });
  await ctx.check('signup-csrf.foreign-origin', async () => {
    const res = await ctx.post('/auth/signup', { json: { email: auditEmail(), password: auditPassword() }, headers: { origin: ctx.foreignOrigin } });
    if (res.status >= 500) throw new CheckFailed(`server error ${res.status}`);
    if (res.status !== 403) throw new CheckFailed(`POST /auth/signup from Origin ${ctx.foreignOrigin} was not refused: ${describe(res)}`);
    return `foreign Origin → ${describe(res)}`;
  });
}
