import { randomBytes } from 'node:crypto';
import { AuditContext, CheckFailed } from './context.js';
import { describe, isDeletion, type HttpResult, type SetCookie } from './http.js';

/** The ids of the cookie checks, in order. */
export const COOKIE_CHECK_IDS = ['cookie.httponly', 'cookie.secure', 'cookie.samesite', 'cookie.prefix', 'cookie.path', 'cookie.no-token-in-body'];

function attr(cookie: SetCookie, name: string): string | true | undefined {
  return cookie.attributes[name];
}

/** The cookies a login set (deletions excluded). */
function issued(res: HttpResult): SetCookie[] {
  return res.setCookies.filter((c) => !isDeletion(c));
}

/**
 * The cookie checks (RFC 6265bis): every cookie a cookie login sets is HttpOnly, Secure,
 * SameSite=Lax|Strict, carries a `__Host-` / `__Secure-` prefix with its rules, has a Path
 * (`/` for `__Host-`, narrower for the refresh cookie), and no token appears in the body.
 */
export async function checkCookies(ctx: AuditContext): Promise<void> {
  let login: HttpResult;
  try {
    login = await ctx.cookieLogin(ctx.browser());
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    for (const id of COOKIE_CHECK_IDS) ctx.results.push({ id, status: 'FAIL', detail: why });
    return;
  }
  const cookies = issued(login);
  const names = cookies.map((c) => c.name).join(', ');
  const each = async (id: string, bad: (c: SetCookie) => string | null, ok: string) => {
    await ctx.check(id, async () => {
      if (cookies.length === 0) throw new CheckFailed('the cookie login set no cookie');
      const problems = cookies.map(bad).filter((p): p is string => p !== null);
      if (problems.length > 0) throw new CheckFailed(problems.join('; '));
      return `${ok}: ${names}`;
    });
  };
  await each('cookie.httponly', (c) => (attr(c, 'httponly') === true ? null : `${c.name} lacks HttpOnly (script can read it)`), 'HttpOnly');
  await each('cookie.secure', (c) => (attr(c, 'secure') === true ? null : `${c.name} lacks Secure`), 'Secure');
  await each(
    'cookie.samesite',
    (c) => {
      const v = attr(c, 'samesite');
      return typeof v === 'string' && ['lax', 'strict'].includes(v.toLowerCase()) ? null : `${c.name} has SameSite=${v === undefined ? '(none)' : String(v)}`;
    },
    'SameSite Lax/Strict',
  );
  await each(
    'cookie.prefix',
    (c) => {
      if (c.name.startsWith('__Host-')) {
        if (attr(c, 'secure') !== true) return `${c.name}: __Host- without Secure`;
        if (attr(c, 'domain') !== undefined) return `${c.name}: __Host- with a Domain`;
        return null;
      }
      if (c.name.startsWith('__Secure-')) return attr(c, 'secure') === true ? null : `${c.name}: __Secure- without Secure`;
      return `${c.name} has no __Host- or __Secure- prefix (a subdomain or plain-http page could overwrite it)`;
    },
    '__Host-/__Secure- prefixes',
  );
  await each(
    'cookie.path',
    (c) => {
      const path = attr(c, 'path');
      if (typeof path !== 'string') return `${c.name} has no Path`;
      if (c.name.startsWith('__Host-') && path !== '/') return `${c.name}: __Host- needs Path=/ (has ${path})`;
      // The refresh cookie is needed only by /auth/refresh and /auth/logout: it must not go everywhere.
      if (c.name !== ctx.credentialCookie && !c.name.startsWith('__Host-') && path === '/') return `${c.name} (not the per-request credential) is sent on every path`;
      return null;
    },
    'Path scoped',
  );
  await ctx.check('cookie.no-token-in-body', async () => {
    const leaked = ['access_token', 'refresh_token', 'token'].filter((k) => login.body && typeof login.body === 'object' && k in login.body);
    const echoed = cookies.filter((c) => c.value.length >= 16 && login.text.includes(c.value)).map((c) => c.name);
    if (leaked.length > 0 || echoed.length > 0) {
      throw new CheckFailed(`a cookie login's body carries ${[...leaked, ...echoed.map((n) => `the value of ${n}`)].join(', ')} (script can read it)`);
    }
    return 'the cookie login body carries no token';
  });
}

/**
 * Session fixation: a credential cookie planted before login is never adopted, and a login from
 * a browser that already holds a valid credential gets a new one.
 */
export async function checkFixation(ctx: AuditContext): Promise<void> {
  const name = ctx.credentialCookie;
  await ctx.check('session-fixation.planted', async () => {
    const browser = ctx.browser();
    const value = randomBytes(32).toString('base64url');
    browser.jar.set(name, value);
    const res = await ctx.cookieLogin(browser);
    const set = res.setCookies.find((c) => c.name === name && !isDeletion(c));
    if (!set) throw new CheckFailed(`login did not replace the planted ${name} cookie`);
    if (set.value === value) throw new CheckFailed(`login adopted the ${name} value planted before login`);
    const probe = await fetchWithCookie(ctx, name, value);
    if (probe.status === 200) throw new CheckFailed(`the ${name} value planted before login authenticates after it`);
    return `login issued a new ${name}; the planted value was not adopted`;
  });
  await ctx.check('session-fixation.renewed', async () => {
    const browser = ctx.browser();
    await ctx.cookieLogin(browser);
    const first = browser.jar.get(name);
    if (first === undefined) throw new CheckFailed(`the first login set no ${name}`);
    const again = await ctx.cookieLogin(browser);
    const second = again.setCookies.find((c) => c.name === name && !isDeletion(c));
    if (!second) throw new CheckFailed(`a second login kept the existing ${name} (no new cookie)`);
    if (second.value === first) throw new CheckFailed(`a second login re-issued the same ${name}`);
    const oldRes = await fetchWithCookie(ctx, name, first);
    return `a new credential on every login; the previous one now gets ${describe(oldRes)}`;
  });
}

async function fetchWithCookie(ctx: AuditContext, name: string, value: string): Promise<HttpResult> {
  const browser = ctx.browser();
  browser.jar.set(name, value);
  return browser.request('GET', '/auth/me');
}
