import { formatDuration } from '../output.js';
import { AuditContext, CheckFailed, CheckSkipped, jwtPayload, sleep, type BearerLogin } from './context.js';
import { describe } from './http.js';

/** Claimed windows above this are not waited out: the token's exp bounds them instead. */
export const LONGEST_WAIT_MS = 10_000;
/** Time between two probes of a revoked credential. */
export const POLL_MS = 100;
/** How much longer than the claim the audit keeps probing before it calls the claim broken. */
const GRACE_MS = 1000;

/** What happened to a credential after its revocation. */
interface Measurement {
  /** ms from the revocation's response to the first probe that got 401; null if none did. */
  measuredMs: number | null;
  /** How long the credential was probed. */
  probedMs: number;
  /** The first probe's status. */
  firstStatus: number;
}

/**
 * Probes `GET /auth/me` with `access` every POLL_MS until it is refused (401) or `deadlineMs`
 * has passed since `revokedAt`. A 5xx is a failure, never a refusal.
 */
async function measure(ctx: AuditContext, access: string, revokedAt: number, deadlineMs: number): Promise<Measurement> {
  let firstStatus = 0;
  for (;;) {
    const res = await ctx.me(access);
    if (res.status >= 500) throw new CheckFailed(`GET /auth/me after the revocation: server error ${res.status}`);
    if (firstStatus === 0) firstStatus = res.status;
    if (res.status === 401) {
      return { measuredMs: firstStatus === 401 ? 0 : Math.max(0, res.sentAt - revokedAt), probedMs: Date.now() - revokedAt, firstStatus };
    }
    if (res.status !== 200) throw new CheckFailed(`GET /auth/me after the revocation: unexpected ${describe(res)}`);
    if (Date.now() - revokedAt >= deadlineMs) return { measuredMs: null, probedMs: Date.now() - revokedAt, firstStatus };
    await sleep(POLL_MS);
  }
}

/**
 * Compares the measured revocation window with the claimed one: "measured ≤ claimed window_ms".
 * Claims up to LONGEST_WAIT_MS are measured by probing until claimed + 1 s. Longer claims (a jwt
 * posture with a 10-minute token) are not waited out: the old token must still work right after
 * the revocation (as the posture says) or be refused, and its `exp - now` must be within the claim.
 */
async function verifyWindow(ctx: AuditContext, what: string, victim: BearerLogin, claimedMs: number, revokedAt: number): Promise<string> {
  if (claimedMs > LONGEST_WAIT_MS) {
    const res = await ctx.me(victim.access);
    if (res.status >= 500) throw new CheckFailed(`GET /auth/me after ${what}: server error ${res.status}`);
    if (res.status === 401) return `refused at once after ${what} (claimed ≤ ${formatDuration(claimedMs)})`;
    if (res.status !== 200) throw new CheckFailed(`GET /auth/me after ${what}: unexpected ${describe(res)}`);
    const exp = jwtPayload(victim.access)?.exp;
    if (typeof exp !== 'number') throw new CheckFailed(`the token still works after ${what} and has no exp to bound it (claimed ≤ ${formatDuration(claimedMs)})`);
    const remainingMs = exp * 1000 - Date.now();
    // exp is a whole second: allow that second of rounding.
    if (remainingMs > claimedMs + 1000) {
      throw new CheckFailed(`the token still works after ${what} and expires in ${formatDuration(remainingMs)}, beyond the claimed ${formatDuration(claimedMs)}`);
    }
    return `still accepted right after ${what}, as the posture says; exp in ${formatDuration(Math.max(0, remainingMs))} ≤ claimed ${formatDuration(claimedMs)} (not waited out)`;
  }
  const m = await measure(ctx, victim.access, revokedAt, claimedMs + GRACE_MS);
  if (m.measuredMs === null) {
    throw new CheckFailed(`still accepted ${formatDuration(m.probedMs)} after ${what}; the posture claims ≤ ${formatDuration(claimedMs)}`);
  }
  if (m.measuredMs > claimedMs + POLL_MS) {
    throw new CheckFailed(`refused only ${formatDuration(m.measuredMs)} after ${what}; the posture claims ≤ ${formatDuration(claimedMs)}`);
  }
  return m.measuredMs === 0
    ? `refused on the first request after ${what} (claimed ≤ ${formatDuration(claimedMs)})`
    : `refused ${formatDuration(m.measuredMs)} after ${what} ≤ claimed ${formatDuration(claimedMs)}`;
}

async function requireWorking(ctx: AuditContext, login: BearerLogin): Promise<void> {
  const res = await ctx.me(login.access);
  if (res.status !== 200) throw new CheckFailed(`a fresh token does not work: GET /auth/me ${describe(res)}`);
}

/**
 * `logout.window` (+ `logout.refresh-revoked`): log a bearer client out, then measure how long its
 * access token keeps working, against `events.logout` of the claimed posture.
 */
export async function checkLogout(ctx: AuditContext): Promise<void> {
  let victim: BearerLogin | undefined;
  await ctx.check('logout.window', async () => {
    victim = await ctx.bearerLogin();
    await requireWorking(ctx, victim);
    const claimed = (await ctx.freshPosture()).revocation.events.logout;
    const res = await ctx.post('/auth/logout', { bearer: victim.access });
    if (res.status !== 204 && res.status !== 200) throw new CheckFailed(`POST /auth/logout: ${describe(res)}`);
    return verifyWindow(ctx, 'logout', victim, claimed, Date.now());
  });
  await checkRefreshDead(ctx, 'logout.refresh-revoked', 'logout', victim);
}

/**
 * `logout-all.window` (+ `logout-all.refresh-revoked`): another device's token after
 * "log out everywhere", against `events.logout_all`. Also the audit's clean-up: resolves true if
 * the server accepted the logout-all.
 */
export async function checkLogoutAll(ctx: AuditContext): Promise<boolean> {
  let victim: BearerLogin | undefined;
  let done = false;
  await ctx.check('logout-all.window', async () => {
    const caller = await ctx.bearerLogin();
    victim = await ctx.bearerLogin();
    await requireWorking(ctx, victim);
    const claimed = (await ctx.freshPosture()).revocation.events.logout_all;
    const res = await ctx.post('/auth/logout-all', { bearer: caller.access });
    if (res.status !== 204 && res.status !== 200) throw new CheckFailed(`POST /auth/logout-all: ${describe(res)}`);
    done = true;
    return verifyWindow(ctx, 'logout-all (another device)', victim, claimed, Date.now());
  });
  await checkRefreshDead(ctx, 'logout-all.refresh-revoked', 'logout-all', victim);
  return done;
}

async function checkRefreshDead(ctx: AuditContext, id: string, what: string, victim: BearerLogin | undefined): Promise<void> {
  await ctx.check(id, async () => {
    if (!ctx.jwtMode) throw new CheckSkipped('session posture: no refresh tokens');
    if (!victim) throw new CheckSkipped(`the ${what} check could not log in`);
    if (victim.refresh === undefined) throw new CheckFailed('a jwt-posture bearer login returned no refresh_token');
    const res = await ctx.refresh(victim.refresh);
    if (res.status >= 500) throw new CheckFailed(`server error ${res.status}`);
    if (res.status !== 401) throw new CheckFailed(`the refresh token still mints access tokens after ${what}: ${describe(res)}`);
    return `refresh after ${what} → ${describe(res)}`;
  });
}
