import { AuditContext, CheckFailed, isPosture, jwtHeader, jwtPayload } from './context.js';
import { describe } from './http.js';

/**
 * `posture.served`: `GET /auth/posture` answers with a well-formed report.
 * @returns false when there is no usable posture (the rest of the audit cannot know the mode).
 */
export async function checkPostureServed(ctx: AuditContext): Promise<boolean> {
  const row = await ctx.check('posture.served', async () => {
    const res = await ctx.get('/auth/posture');
    if (res.status !== 200) throw new CheckFailed(`GET /auth/posture: ${describe(res)}`);
    if (!isPosture(res.body)) throw new CheckFailed('GET /auth/posture: not a posture report (mode, revocation.{window_ms, per_request_lookup, events}, algorithms)');
    ctx.posture = res.body;
    return `mode ${res.body.mode}, window_ms ${res.body.revocation.window_ms}, per-request lookup ${res.body.revocation.per_request_lookup ? 'yes' : 'no'}`;
  });
  return row.status === 'PASS';
}

/**
 * `posture.consistent`: the claims hang together. A posture without a per-request lookup cannot
 * revoke an access token faster than it expires unless something pushes revocations to it.
 */
export async function checkPostureConsistent(ctx: AuditContext): Promise<void> {
  await ctx.check('posture.consistent', async () => {
    const p = ctx.posture!;
    const problems: string[] = [];
    const { window_ms: windowMs, per_request_lookup: lookup, events } = p.revocation;
    if (!(windowMs >= 0)) problems.push(`window_ms ${windowMs} is negative`);
    for (const [event, ms] of Object.entries(events)) {
      if (ms > windowMs) problems.push(`events.${event} (${ms} ms) exceeds window_ms (${windowMs} ms)`);
    }
    if (p.mode === 'session' || p.mode === 'jwt-denylist') {
      if (!lookup) problems.push(`mode ${p.mode} must look state up on every request`);
      if (windowMs !== 0) problems.push(`mode ${p.mode} revokes on the next request, yet claims window_ms ${windowMs}`);
    }
    if (p.mode === 'jwt' || p.mode === 'jwt-push') {
      if (lookup) problems.push(`mode ${p.mode} claims a per-request lookup`);
      if (p.algorithms.length === 0) problems.push('no signature algorithm listed');
    }
    if (p.mode === 'jwt') {
      const ttl = p.access_ttl_s;
      if (typeof ttl !== 'number' || ttl <= 0) problems.push('mode jwt without access_ttl_s');
      else if (windowMs < ttl * 1000) {
        problems.push(`mode jwt has no per-request lookup and no feed, so a revoked access token lives until exp (${ttl} s), yet window_ms is ${windowMs}`);
      }
    }
    if (p.algorithms.some((a) => typeof a !== 'string' || a.toLowerCase() === 'none')) problems.push('algorithms include "none"');
    if (problems.length > 0) throw new CheckFailed(problems.join('; '));
    return p.mode === 'jwt' ? `no lookup, window = access TTL (${p.access_ttl_s} s)` : `${p.mode}: claims hang together`;
  });
}

/**
 * `posture.matches-server`: what the server does matches what it claims: `/auth/me` reports the
 * same mode; jwt modes mint tokens with a listed algorithm and a lifetime ≤ access_ttl_s, and
 * publish a JWKS for asymmetric algorithms; the session mode hands out an opaque token.
 */
export async function checkPostureMatches(ctx: AuditContext): Promise<void> {
  await ctx.check('posture.matches-server', async () => {
    const p = ctx.posture!;
    const login = await ctx.bearerLogin();
    const me = await ctx.me(login.access);
    if (me.status !== 200) throw new CheckFailed(`GET /auth/me with a fresh token: ${describe(me)}`);
    if (me.body?.mode !== p.mode) throw new CheckFailed(`/auth/me says mode ${String(me.body?.mode)}, the posture says ${p.mode}`);
    if (p.mode === 'session') {
      if (jwtPayload(login.access) !== null) throw new CheckFailed('the session posture handed out a JWT, not an opaque token');
      return 'mode session; opaque bearer token';
    }
    const header = jwtHeader(login.access);
    const claims = jwtPayload(login.access);
    if (!header || !claims) throw new CheckFailed(`mode ${p.mode} handed out an access token that is not a JWT`);
    if (typeof header.alg !== 'string' || !p.algorithms.includes(header.alg)) {
      throw new CheckFailed(`token alg ${String(header.alg)} is not among the claimed algorithms ${p.algorithms.join(', ')}`);
    }
    const { exp, iat } = claims;
    if (typeof exp !== 'number' || typeof iat !== 'number') throw new CheckFailed('the access token has no exp or iat');
    const ttl = p.access_ttl_s ?? 0;
    // iat may carry milliseconds while exp is a whole second: allow that second.
    if (exp - iat > ttl + 1) throw new CheckFailed(`the access token lives ${Math.round(exp - iat)} s (exp - iat); the posture claims ${ttl} s`);
    let jwks = 'no JWKS (symmetric algorithm)';
    if (!/^HS/i.test(header.alg)) {
      const res = await ctx.get('/.well-known/jwks.json');
      if (res.status !== 200 || !Array.isArray(res.body?.keys)) throw new CheckFailed(`GET /.well-known/jwks.json: ${describe(res)}`);
      if (res.body.keys.some((k: Record<string, unknown>) => 'd' in k || 'k' in k || 'p' in k)) throw new CheckFailed('the JWKS publishes private or symmetric key material');
      jwks = `JWKS with ${res.body.keys.length} public key(s)`;
    }
    return `mode ${p.mode}, alg ${header.alg}, token lifetime ${Math.round(exp - iat)} s ≤ ${ttl} s, ${jwks}`;
  });
}
