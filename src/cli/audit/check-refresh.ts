import { AuditContext, CheckFailed, CheckSkipped, type BearerLogin } from './context.js';
import { describe, type HttpResult } from './http.js';

async function loginWithRefresh(ctx: AuditContext): Promise<BearerLogin & { refresh: string }> {
  const login = await ctx.bearerLogin();
  if (login.refresh === undefined) throw new CheckFailed('a jwt-posture bearer login returned no refresh_token');
  return login as BearerLogin & { refresh: string };
}

function rotated(res: HttpResult, what: string): { access: string; refresh: string } {
  if (res.status !== 200 || typeof res.body?.refresh_token !== 'string' || typeof res.body?.access_token !== 'string') {
    throw new CheckFailed(`${what}: ${describe(res)}`);
  }
  return { access: res.body.access_token, refresh: res.body.refresh_token };
}

/**
 * Refresh-token rotation (RFC 9700 §4.14.2), jwt postures: a refresh returns a new refresh token
 * and a working access token; replaying the old one within the grace window returns the same
 * successor (never a second one: that would fork the family); replaying a token two generations
 * back is reuse and revokes the whole family. The grace window itself is not waited out.
 */
export async function checkRefresh(ctx: AuditContext): Promise<void> {
  if (!ctx.jwtMode) {
    for (const id of ['refresh.rotation', 'refresh.grace', 'refresh.reuse-revokes-family']) ctx.skip(id, 'session posture: no refresh tokens');
    return;
  }
  let first: { t0: string; t1: string } | undefined;
  await ctx.check('refresh.rotation', async () => {
    const login = await loginWithRefresh(ctx);
    const next = rotated(await ctx.refresh(login.refresh), 'POST /auth/refresh');
    if (next.refresh === login.refresh) throw new CheckFailed('the refresh token was not rotated (the same token came back)');
    const me = await ctx.me(next.access);
    ctx.accessTokens.push(next.access);
    if (me.status !== 200) throw new CheckFailed(`the refreshed access token does not work: ${describe(me)}`);
    first = { t0: login.refresh, t1: next.refresh };
    return 'a refresh returns a new refresh token and a working access token';
  });
  await ctx.check('refresh.grace', async () => {
    if (!first) throw new CheckSkipped('rotation failed');
    const res = await ctx.refresh(first.t0);
    if (res.status >= 500) throw new CheckFailed(`server error ${res.status}`);
    if (res.status === 401) return 'no grace window: replaying the rotated token is refused at once (stricter than needed)';
    const again = rotated(res, 'replaying the rotated token within the grace window');
    if (again.refresh !== first.t1) throw new CheckFailed('replaying the rotated token minted a second, different successor: the family forks');
    return 'a replay within the grace window gets the same successor';
  });
  await ctx.check('refresh.reuse-revokes-family', async () => {
    const login = await loginWithRefresh(ctx);
    const t1 = rotated(await ctx.refresh(login.refresh), 'first rotation');
    const t2 = rotated(await ctx.refresh(t1.refresh), 'second rotation');
    const replay = await ctx.refresh(login.refresh);
    if (replay.status >= 500) throw new CheckFailed(`server error ${replay.status}`);
    if (replay.status !== 401) throw new CheckFailed(`a token two generations back was accepted: ${describe(replay)}`);
    const current = await ctx.refresh(t2.refresh);
    if (current.status >= 500) throw new CheckFailed(`server error ${current.status}`);
    if (current.status !== 401) throw new CheckFailed(`reuse was refused but the family lives on: the current refresh token still works (${describe(current)})`);
    return 'reusing a token two generations back is refused and revokes the family (its current token → 401)';
  });
}
