import { checkCookies, checkFixation, COOKIE_CHECK_IDS } from './check-cookies.js';
import { checkCsrf, checkLoginCsrf, checkRefreshCsrf } from './check-csrf.js';
import { ATTACK_IDS, checkJwtAttacks } from './check-jwt-attacks.js';
import { checkPostureConsistent, checkPostureMatches, checkPostureServed } from './check-posture.js';
import { checkRefresh } from './check-refresh.js';
import { checkLogout, checkLogoutAll } from './check-revocation.js';
import { AuditContext, auditEmail, auditPassword, CheckFailed, type CheckResult } from './context.js';
import { describe } from './http.js';

/** Every check of the audit, in the order of the report. */
export const CHECK_ORDER: readonly string[] = [
  'posture.served',
  'posture.consistent',
  'setup.account',
  'posture.matches-server',
  ...COOKIE_CHECK_IDS,
  'csrf.missing-token',
  'csrf.wrong-token',
  'csrf.foreign-origin',
  'csrf.cross-site',
  'csrf.control',
  'csrf.refresh-cookie',
  'login-csrf.foreign-origin',
  'login-csrf.cross-site',
  'signup-csrf.foreign-origin',
  'session-fixation.planted',
  'session-fixation.renewed',
  'logout.window',
  'logout.refresh-revoked',
  'refresh.rotation',
  'refresh.grace',
  'refresh.reuse-revokes-family',
  ...ATTACK_IDS,
  'logout-all.window',
  'logout-all.refresh-revoked',
];

/** What `runAudit` needs. */
export interface AuditOptions {
  /** `scheme://host:port` of the deployment. */
  base: string;
  /** The browser origin the deployment allows (default: `base`). */
  origin: string;
  /** An existing test account; without it the audit signs up its own. */
  email?: string;
  password?: string;
  /** Called with each check id as it starts. */
  onProgress?(id: string, index: number, total: number): void;
}

/** The outcome of an audit. */
export interface AuditReport {
  base: string;
  mode: string | null;
  email: string;
  createdUser: boolean;
  checks: CheckResult[];
  notes: string[];
}

/**
 * Runs the self-test against a running Tessera. Checks run one after another, except that the
 * logout window (up to the access TTL in the jwt posture) is measured while the others run. It
 * ends with "log out everywhere", which is both a check and the clean-up.
 */
export async function runAudit(options: AuditOptions): Promise<AuditReport> {
  const createdUser = options.email === undefined;
  const email = options.email ?? auditEmail();
  const password = options.password ?? auditPassword();
  let started = 0;
  const ctx = new AuditContext(options.base, options.origin, email, password, (id) => options.onProgress?.(id, ++started, CHECK_ORDER.length));
  const account = await runChecks(ctx, createdUser);
  if (account.ready) {
    let cleaned = account.cleaned;
    if (!cleaned) {
      // Best effort: end whatever the audit left logged in.
      try {
        const login = await ctx.bearerLogin();
        const res = await ctx.post('/auth/logout-all', { bearer: login.access });
        cleaned = res.status === 204 || res.status === 200;
      } catch {
        cleaned = false;
      }
    }
    ctx.notes.push(cleaned ? `clean-up: every session of ${email} was revoked (logout-all)` : `clean-up: could not log ${email} out everywhere; its sessions expire on their own`);
    if (createdUser) ctx.notes.push(`the test account ${email} remains: the API cannot delete users (an operator can disable it: tessera users disable ${email})`);
  }
  const rank = (id: string) => {
    const i = CHECK_ORDER.indexOf(id);
    return i < 0 ? CHECK_ORDER.length : i;
  };
  const checks = [...ctx.results].sort((a, b) => rank(a.id) - rank(b.id));
  return { base: options.base, mode: ctx.posture?.mode ?? null, email, createdUser, checks, notes: ctx.notes };
}

async function runChecks(ctx: AuditContext, createdUser: boolean): Promise<{ ready: boolean; cleaned: boolean }> {
  if (!(await checkPostureServed(ctx))) {
    ctx.notes.push('without a posture the audit cannot tell which checks apply; nothing else was run');
    return { ready: false, cleaned: false };
  }
  await checkPostureConsistent(ctx);
  const setup = await ctx.check('setup.account', async () => {
    if (!createdUser) {
      await ctx.bearerLogin();
      return `using the existing account ${ctx.email}`;
    }
    const res = await ctx.post('/auth/signup', { json: { email: ctx.email, password: ctx.password } });
    if (res.status !== 201) {
      throw new CheckFailed(`signup of ${ctx.email} refused (${describe(res)}); with signup closed, pass --email/--password of an existing test user`);
    }
    return `signed up ${ctx.email}`;
  });
  if (setup.status !== 'PASS') {
    ctx.notes.push('no test account: the checks that need a login were not run');
    return { ready: false, cleaned: false };
  }
  await checkPostureMatches(ctx);
  // Measured in the background while the other checks run.
  const logout = checkLogout(ctx);
  try {
    await checkCookies(ctx);
    await checkCsrf(ctx);
    await checkRefreshCsrf(ctx);
    await checkLoginCsrf(ctx);
    await checkFixation(ctx);
    await checkRefresh(ctx);
  } finally {
    await logout;
  }
  await checkJwtAttacks(ctx);
  const cleaned = await checkLogoutAll(ctx);
  return { ready: true, cleaned };
}
