/**
 * `POST /auth/logout` in the jwt postures: what ends, in which order, and what it waits for. The
 * revocation goes out as soon as the access token has verified (and, for a cookie, its CSRF token
 * matched), beside the user's lookup instead of after it: an instance that has not seen the user
 * reads it from the store, and the revocation should not wait for that round trip.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredUser } from '../../src/stores/types.js';
import type { TestServer } from '../helpers/server.js';
import { ACCESS_COOKIE, bearerRequest, bearerUser, cookieLogin, decode, expectInvalidToken, JWT_MODES, me, refreshBearer, signupUser, startJwtServer } from './jwt-support.js';
import { expectProblem } from './support.js';

/** Longer than the email cache's five minutes, so the server reads the user from the store again. */
const ACCESS_TTL_S = 900;
const PAST_EMAIL_CACHE_MS = 5 * 60_000 + 1000;

/**
 * Holds the store's user lookups by id until released (then answers the user, or null: `gone`);
 * counts them. The server's store wrapper looks its sub-stores' methods up on every call.
 */
function holdUserLookups(server: TestServer): { calls: () => number; release: (answer?: 'user' | 'gone') => void } {
  const users = server.store.users;
  const original = users.getById.bind(users);
  let calls = 0;
  let release!: (answer: 'user' | 'gone') => void;
  const released = new Promise<'user' | 'gone'>((resolve) => (release = resolve));
  users.getById = async (id: string): Promise<StoredUser | null> => {
    calls += 1;
    return (await released) === 'gone' ? null : original(id);
  };
  return { calls: () => calls, release: (answer = 'user') => release(answer) };
}

/** Polls `done` every 5 ms for at most `ms`; whether it became true. */
async function within(ms: number, done: () => Promise<boolean>): Promise<boolean> {
  const until = Date.now() + ms;
  for (let i = 0; i < 1000 && Date.now() < until; i++) {
    if (await done()) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return done();
}

describe('jwt postures: POST /auth/logout', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each(JWT_MODES)('%s: the family and the revocation are written while the user lookup is still out; then 204 and the token is refused', async (mode) => {
    server = await startJwtServer({ mode, accessTtlSeconds: ACCESS_TTL_S });
    const alice = await bearerUser(server, 'alice@x.io');
    const { sub, sid } = decode(alice.access).claims as { sub: string; sid: string };
    const { store } = server.tessera.config;
    server.clock.advance(PAST_EMAIL_CACHE_MS);
    const held = holdUserLookups(server);
    try {
      const logout = bearerRequest(server, 'POST', '/auth/logout', alice.access);
      const ended = await within(2000, async () => {
        const familyGone = (await store.refresh.getById(sid, server!.clock.now())) === null;
        const revoked = mode === 'jwt' || (await store.revocations.check(sub, sid, server!.clock.now())).familyRevoked;
        return familyGone && revoked;
      });
      expect(held.calls(), 'the server asked the store for the user').toBeGreaterThanOrEqual(1);
      expect(ended, 'written while the user lookup was held').toBe(true);
      held.release();
      expect((await logout).status).toBe(204);
    } finally {
      held.release();
    }
    if (mode !== 'jwt') expectInvalidToken(await me(server, alice.access));
    expectProblem(await refreshBearer(server, alice.refresh), 401, 'unauthenticated', [alice.refresh]);
  });

  it.each(JWT_MODES)('%s: a token whose user the store no longer has is refused by logout as by /auth/me (401)', async (mode) => {
    server = await startJwtServer({ mode, accessTtlSeconds: ACCESS_TTL_S });
    const alice = await bearerUser(server, 'alice@x.io');
    server.clock.advance(PAST_EMAIL_CACHE_MS);
    const held = holdUserLookups(server);
    held.release('gone');
    expectInvalidToken(await bearerRequest(server, 'POST', '/auth/logout', alice.access));
    expectInvalidToken(await me(server, alice.access));
  });

  it.each(JWT_MODES)('%s: a cookie logout with a wrong X-CSRF-Token → 403 csrf_rejected and nothing ends (the access token still works, the refresh token still rotates)', async (mode) => {
    server = await startJwtServer({ mode, accessTtlSeconds: ACCESS_TTL_S });
    await signupUser(server, 'alice@x.io');
    const { client } = await cookieLogin(server, 'alice@x.io');
    const access = client.cookie(ACCESS_COOKIE)!;
    const { sub, sid } = decode(access).claims as { sub: string; sid: string };
    // Past the email cache too: the refusal must come before any store work of the logout.
    server.clock.advance(PAST_EMAIL_CACHE_MS);
    for (const headers of [{ 'x-csrf-token': 'A'.repeat(43) }, {} as Record<string, string>]) {
      const res = await client.post('/auth/logout', { headers, withCsrf: false });
      expectProblem(res, 403, 'csrf_rejected', [access]);
      expect(res.setCookies).toEqual([]);
    }
    expect((await server.tessera.config.store.revocations.check(sub, sid, server.clock.now())).familyRevoked).toBe(false);
    expect((await client.get('/auth/me')).status).toBe(200);
    expect((await client.post('/auth/refresh')).status).toBe(200);
    expect((await client.post('/auth/logout')).status).toBe(204);
    expect((await client.post('/auth/refresh')).status).toBe(401);
  });
});
