/**
 * POST /auth/refresh over HTTP: rotation, the grace window for concurrent tabs, reuse detection
 * that revokes the whole family (RFC 9700 §4.14.2), and every way a family ends.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../helpers/client.js';
import type { TestServer } from '../helpers/server.js';
import {
  ACCESS_COOKIE,
  adminToken,
  bearerLogin,
  bearerRequest,
  bearerUser,
  cookieLogin,
  decode,
  disableUser,
  expectInvalidToken,
  GRACE_S,
  me,
  REFRESH_COOKIE,
  REFRESH_TOKEN_SHAPE,
  refreshBearer,
  setCookieOf,
  setRoles,
  signupUser,
  startJwtServer,
  toleranceS,
} from './jwt-support.js';
import { expectProblem } from './support.js';

describe('POST /auth/refresh (jwt postures)', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** Starts a server (closed after the test) and logs alice in on it with cookies, as a browser does. */
  async function aliceWithCookies(options: Parameters<typeof startJwtServer>[0] = {}): Promise<{ app: TestServer; client: ReturnType<typeof createClient> }> {
    const app = await startJwtServer(options);
    server = app;
    await signupUser(app, 'alice@x.io');
    return { app, client: (await cookieLogin(app, 'alice@x.io')).client };
  }

  describe('rotation', () => {
    it('bearer: 200 {token_type, access_token, refresh_token, expires_in}; both tokens new, same family; in jwt the old access token stays valid until exp', async () => {
      server = await startJwtServer({ accessTtlSeconds: 300 });
      const first = await bearerUser(server, 'alice@x.io');
      server.clock.advance(2000);
      const res = await refreshBearer(server, first.refresh);
      expect(res.status, res.text).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
      expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
      expect(res.body.refresh_token).toMatch(REFRESH_TOKEN_SHAPE);
      expect(res.body.refresh_token).not.toBe(first.refresh);
      expect(res.body.access_token).not.toBe(first.access);
      const before = decode(first.access).claims;
      const after = decode(res.body.access_token).claims;
      expect(after.sid).toBe(before.sid);
      expect(after.jti).not.toBe(before.jti);
      expect(after.iat).toBe((before.iat as number) + 2);

      expect((await me(server, res.body.access_token)).status).toBe(200);
      // jwt: nothing revokes the old access token; it lives until its own exp.
      expect((await me(server, first.access)).status).toBe(200);
      server.clock.set(((before.exp as number) - 1) * 1000);
      expect((await me(server, first.access)).status).toBe(200);
      server.clock.set(((before.exp as number) + toleranceS(server)) * 1000);
      expectInvalidToken(await me(server, first.access), 'token_expired');
      expect((await me(server, res.body.access_token)).status).toBe(200);
      // The new refresh token rotates again.
      expect((await refreshBearer(server, res.body.refresh_token)).status).toBe(200);
    });

    it('cookie: 200 {expires_in, csrf_token} with both cookies replaced; the new access cookie authenticates', async () => {
      server = await startJwtServer();
      await signupUser(server, 'alice@x.io');
      const { client } = await cookieLogin(server, 'alice@x.io');
      const oldAt = client.cookie(ACCESS_COOKIE)!;
      const oldRt = client.cookie(REFRESH_COOKIE)!;
      server.clock.advance(1000);
      const res = await client.post('/auth/refresh');
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ expires_in: 600, csrf_token: expect.any(String) });
      const newAt = setCookieOf(res, ACCESS_COOKIE)!.value;
      const newRt = setCookieOf(res, REFRESH_COOKIE)!.value;
      expect(newAt).not.toBe(oldAt);
      expect(newRt).not.toBe(oldRt);
      expect(decode(newAt).claims.sid).toBe(decode(oldAt).claims.sid);
      const meRes = await client.get('/auth/me');
      expect(meRes.status).toBe(200);
      expect(meRes.body.user.email).toBe('alice@x.io');

      // The old access cookie still works in `jwt` (until exp); the old refresh cookie is now the previous token.
      const old = createClient(server.url, { origin: server.origin });
      old.setCookie(ACCESS_COOKIE, oldAt);
      expect((await old.get('/auth/me')).status).toBe(200);
    });

    it('no token, an unknown token, a malformed token or an access token → 401 unauthenticated', async () => {
      server = await startJwtServer();
      const { access } = await bearerUser(server, 'alice@x.io');
      expectProblem(await createClient(server.url, { origin: server.origin }).post('/auth/refresh'), 401, 'unauthenticated');
      expectProblem(await refreshBearer(server, 'A'.repeat(43)), 401, 'unauthenticated');
      expectProblem(await refreshBearer(server, 'not a token'), 401, 'unauthenticated');
      // An access token is not a refresh token.
      expectProblem(await refreshBearer(server, access), 401, 'unauthenticated', [access]);
      // RFC 6750 §3: a bearer client (body token, or an Authorization header without one) gets the
      // challenge; with no token in the body, no error code.
      expect((await refreshBearer(server, 'A'.repeat(43))).headers.get('www-authenticate')).toBe('Bearer realm="tessera", error="invalid_token"');
      const forgot = await createClient(server.url).post('/auth/refresh', { headers: { authorization: `Bearer ${access}` } });
      expectProblem(forgot, 401, 'unauthenticated', [access]);
      expect(forgot.headers.get('www-authenticate')).toBe('Bearer realm="tessera"');
      // A browser without a refresh cookie is not challenged to send a bearer token.
      expect((await createClient(server.url, { origin: server.origin }).post('/auth/refresh')).headers.get('www-authenticate')).toBeNull();
    });
  });

  describe('grace window and reuse detection', () => {
    it(`the just-rotated token exchanged again within ${GRACE_S} s succeeds and yields the same successor`, async () => {
      server = await startJwtServer();
      const { refresh: rt0 } = await bearerUser(server, 'alice@x.io');
      const first = await refreshBearer(server, rt0);
      expect(first.status).toBe(200);
      const rt1 = first.body.refresh_token as string;

      server.clock.advance((GRACE_S - 1) * 1000);
      const again = await refreshBearer(server, rt0);
      expect(again.status, again.text).toBe(200);
      expect(again.body.refresh_token).toBe(rt1);
      expect((await me(server, again.body.access_token)).status).toBe(200);
      // The family is intact: the successor rotates normally.
      const next = await refreshBearer(server, rt1);
      expect(next.status).toBe(200);
      expect(next.body.refresh_token).not.toBe(rt1);
    });

    it.each(['jwt', 'jwt-denylist'] as const)('%s: reuse after the window → 401 and the WHOLE family is revoked, the newest token included', async (mode) => {
      server = await startJwtServer({ mode });
      const { refresh: rt0 } = await bearerUser(server, 'alice@x.io');
      const first = await refreshBearer(server, rt0);
      const rt1 = first.body.refresh_token as string;
      const newestAccess = first.body.access_token as string;

      server.clock.advance((GRACE_S + 1) * 1000);
      const replay = await refreshBearer(server, rt0);
      expectProblem(replay, 401, 'unauthenticated', [rt0, rt1]);
      expectProblem(await refreshBearer(server, rt1), 401, 'unauthenticated', [rt1]);
      if (mode === 'jwt-denylist') {
        // The family's access tokens die with it at once.
        expectInvalidToken(await me(server, newestAccess));
      } else {
        // jwt: the access token lives until exp; the revoked family just cannot be refreshed.
        expect((await me(server, newestAccess)).status).toBe(200);
        const sessions = await bearerRequest(server, 'GET', '/auth/sessions', newestAccess);
        expect(sessions.body.sessions).toEqual([]);
      }
    });

    it('reuse of a token rotated two generations back (after the window) also revokes the family', async () => {
      server = await startJwtServer({ mode: 'jwt-denylist' });
      const { refresh: rt0 } = await bearerUser(server, 'alice@x.io');
      const r1 = await refreshBearer(server, rt0);
      expect(r1.status).toBe(200);
      server.clock.advance(1000);
      const r2 = await refreshBearer(server, r1.body.refresh_token);
      expect(r2.status).toBe(200);
      const rt2 = r2.body.refresh_token as string;

      server.clock.advance((GRACE_S + 1) * 1000);
      // An attacker replays the stolen rt0 after the victim has rotated twice.
      expectProblem(await refreshBearer(server, rt0), 401, 'unauthenticated');
      // RFC 9700 §4.14.2 / issue 3: "Replaying a rotated token after the grace window is treated
      // as theft: the whole family is revoked, the newest token included".
      const newest = await refreshBearer(server, rt2);
      expect(newest.status, 'rt2 must be revoked once a rotated-out token of its family was replayed').toBe(401);
      expectInvalidToken(await me(server, r2.body.access_token));
    });

    it('20 concurrent refreshes of one token: all 200 with one successor; one family remains and it still refreshes', async () => {
      server = await startJwtServer();
      const { refresh: rt0 } = await bearerUser(server, 'alice@x.io');
      const results = await Promise.all(Array.from({ length: 20 }, () => refreshBearer(server!, rt0)));
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
      const successors = new Set(results.map((r) => r.body.refresh_token as string));
      expect(successors.size).toBe(1);
      const [rt1] = [...successors];
      for (const r of results) expect((await me(server, r.body.access_token)).status).toBe(200);

      const access = results[0]!.body.access_token as string;
      const sessions = await bearerRequest(server, 'GET', '/auth/sessions', access);
      expect(sessions.status).toBe(200);
      expect(sessions.body.sessions).toHaveLength(1);
      expect(sessions.body.sessions[0]).toMatchObject({ id: decode(access).claims.sid, current: true });

      const next = await refreshBearer(server, rt1!);
      expect(next.status, next.text).toBe(200);
      expect((await me(server, next.body.access_token)).status).toBe(200);
    });

    it('concurrent cookie refreshes from two tabs of one browser both succeed and leave the browser logged in', async () => {
      server = await startJwtServer();
      await signupUser(server, 'alice@x.io');
      const { client } = await cookieLogin(server, 'alice@x.io');
      const [a, b] = await Promise.all([client.post('/auth/refresh'), client.post('/auth/refresh')]);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(setCookieOf(a, REFRESH_COOKIE)!.value).toBe(setCookieOf(b, REFRESH_COOKIE)!.value);
      expect((await client.get('/auth/me')).status).toBe(200);
      expect((await client.post('/auth/refresh')).status).toBe(200);
    });
  });

  describe('every way a family ends: refresh → 401', () => {
    type Ender = (ctx: { server: TestServer; access: string; userId: string; sid: string }) => Promise<void>;
    const ENDERS: Array<[string, Ender]> = [
      ['logout', async ({ server, access }) => void expect((await bearerRequest(server, 'POST', '/auth/logout', access)).status).toBe(204)],
      ['logout-all', async ({ server, access }) => void expect((await bearerRequest(server, 'POST', '/auth/logout-all', access)).status).toBe(204)],
      [
        'DELETE /auth/sessions/:id (from another device)',
        async ({ server, sid }) => {
          const other = await bearerLogin(server, 'alice@x.io');
          expect((await bearerRequest(server, 'DELETE', `/auth/sessions/${sid}`, other.access)).status).toBe(204);
        },
      ],
      ['admin disable', async ({ server, userId }) => disableUser(server, await adminToken(server), userId)],
    ];

    it.each(ENDERS)('after %s', async (_name, end) => {
      server = await startJwtServer({ withAdmin: true });
      const { access, refresh, user } = await bearerUser(server, 'alice@x.io');
      server.clock.advance(1000);
      await end({ server, access, userId: user.id, sid: decode(access).claims.sid as string });
      expectProblem(await refreshBearer(server, refresh), 401, 'unauthenticated', [refresh]);
      // Also after the grace window (no successor is handed out for a dead family).
      server.clock.advance((GRACE_S + 1) * 1000);
      expectProblem(await refreshBearer(server, refresh), 401, 'unauthenticated', [refresh]);
    });

    it('logout with only the refresh cookie (access cookie removed) still revokes the family', async () => {
      server = await startJwtServer();
      await signupUser(server, 'alice@x.io');
      const { client } = await cookieLogin(server, 'alice@x.io');
      const rt = client.cookie(REFRESH_COOKIE)!;
      client.deleteCookie(ACCESS_COOKIE);
      const res = await client.post('/auth/logout');
      expect(res.status, res.text).toBe(204);
      expect(setCookieOf(res, REFRESH_COOKIE)?.attributes['max-age']).toBe('0');
      expect(setCookieOf(res, ACCESS_COOKIE)?.attributes['max-age']).toBe('0');

      const replay = createClient(server.url, { origin: server.origin });
      replay.setCookie(REFRESH_COOKIE, rt);
      expectProblem(await replay.post('/auth/refresh'), 401, 'unauthenticated', [rt]);
    });

    it('a cross-site logout with only the refresh cookie → 403 csrf_rejected and the family lives on', async () => {
      server = await startJwtServer();
      await signupUser(server, 'alice@x.io');
      const { client } = await cookieLogin(server, 'alice@x.io');
      client.deleteCookie(ACCESS_COOKIE);
      expectProblem(await client.post('/auth/logout', { headers: { origin: 'https://evil.example' } }), 403, 'csrf_rejected');
      expect((await client.post('/auth/refresh')).status).toBe(200);
    });

    it('logout with an expired access cookie and a live refresh cookie still revokes the family', async () => {
      server = await startJwtServer({ accessTtlSeconds: 60 });
      await signupUser(server, 'alice@x.io');
      const { client } = await cookieLogin(server, 'alice@x.io');
      const rt = client.cookie(REFRESH_COOKIE)!;
      server.clock.advance((60 + toleranceS(server) + 1) * 1000);
      expect((await client.get('/auth/me')).status).toBe(401);
      expect((await client.post('/auth/logout')).status).toBe(204);
      const replay = createClient(server.url, { origin: server.origin });
      replay.setCookie(REFRESH_COOKIE, rt);
      expectProblem(await replay.post('/auth/refresh'), 401, 'unauthenticated', [rt]);
    });
  });

  describe('refresh re-reads the user', () => {
    it('after an admin role change the refreshed token carries the new roles; in jwt the old token keeps the old roles until exp', async () => {
      server = await startJwtServer({ withAdmin: true, accessTtlSeconds: 300 });
      const alice = await bearerUser(server, 'alice@x.io');
      const admin = await adminToken(server);
      server.clock.advance(1500);
      await setRoles(server, admin, alice.user.id, ['editor']);

      const refreshed = await refreshBearer(server, alice.refresh);
      expect(refreshed.status).toBe(200);
      expect(decode(refreshed.body.access_token).claims.roles).toEqual(['editor']);
      expect((await me(server, refreshed.body.access_token)).body.user.roles).toEqual(['editor']);

      // Honest about `jwt`: the old access token still says roles [] until its exp.
      const exp = decode(alice.access).claims.exp as number;
      expect((await me(server, alice.access)).body.user.roles).toEqual([]);
      server.clock.set((exp - 1) * 1000);
      expect((await me(server, alice.access)).body.user.roles).toEqual([]);
      server.clock.set((exp + toleranceS(server)) * 1000);
      expectInvalidToken(await me(server, alice.access), 'token_expired');
    });

    it('after a disable and re-enable, the old refresh family stays dead (disable revoked it)', async () => {
      server = await startJwtServer({ withAdmin: true });
      const alice = await bearerUser(server, 'alice@x.io');
      const admin = await adminToken(server);
      await disableUser(server, admin, alice.user.id);
      expect((await bearerRequest(server, 'POST', `/admin/users/${alice.user.id}/enable`, admin)).status).toBe(204);
      expectProblem(await refreshBearer(server, alice.refresh), 401, 'unauthenticated');
      expect((await bearerLogin(server, 'alice@x.io')).access).toBeTruthy();
    });
  });

  describe('CSRF on refresh', () => {
    it.each([
      ['a cross-site Origin', { origin: 'https://evil.example' }],
      ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
      ['Origin: null', { origin: 'null' }],
    ])('%s → 403 csrf_rejected, and the refresh token is not consumed', async (_name, headers) => {
      server = await startJwtServer();
      await signupUser(server, 'alice@x.io');
      const { client } = await cookieLogin(server, 'alice@x.io');
      const rt = client.cookie(REFRESH_COOKIE)!;
      const res = await client.post('/auth/refresh', { headers });
      expectProblem(res, 403, 'csrf_rejected', [rt]);
      expect(res.setCookies).toEqual([]);
      // Nothing rotated: the same refresh cookie still works from the real origin, long after the grace window.
      server.clock.advance((GRACE_S + 1) * 1000);
      const ok = await client.post('/auth/refresh');
      expect(ok.status, ok.text).toBe(200);
      expect((await client.get('/auth/me')).status).toBe(200);
    });

    // API.md: unsafe requests authenticated by cookie carry X-CSRF-Token; the refresh cookie is one.
    it.each([
      ['no X-CSRF-Token', { withCsrf: false }],
      ['a wrong X-CSRF-Token', { headers: { 'x-csrf-token': 'A'.repeat(43) } }],
    ])('the refresh cookie from an allowed origin with %s → 403 csrf_rejected; nothing rotates', async (_name, opts) => {
      const { app, client } = await aliceWithCookies();
      const rt = client.cookie(REFRESH_COOKIE)!;
      const res = await client.post('/auth/refresh', opts);
      expectProblem(res, 403, 'csrf_rejected', [rt]);
      expect(res.setCookies).toEqual([]);
      app.clock.advance((GRACE_S + 1) * 1000);
      // The same cookie is still the current token: with the login's token it rotates.
      const ok = await client.post('/auth/refresh');
      expect(ok.status, ok.text).toBe(200);
      expect(setCookieOf(ok, REFRESH_COOKIE)!.value).not.toBe(rt);
    });

    it("another login's CSRF token does not pass for this refresh cookie", async () => {
      server = await startJwtServer();
      await signupUser(server, 'alice@x.io');
      const alice = (await cookieLogin(server, 'alice@x.io')).client;
      const other = (await cookieLogin(server, 'alice@x.io')).client;
      expect(other.csrf).not.toBe(alice.csrf);
      expectProblem(await alice.post('/auth/refresh', { headers: { 'x-csrf-token': other.csrf! } }), 403, 'csrf_rejected');
      expect((await alice.post('/auth/refresh')).status).toBe(200);
    });

    it('the CSRF token stays the same across rotations (it is bound to the login, not the token)', async () => {
      const { app, client } = await aliceWithCookies();
      const loginCsrf = client.csrf;
      for (let i = 0; i < 3; i++) {
        app.clock.advance((GRACE_S + 1) * 1000);
        const res = await client.post('/auth/refresh');
        expect(res.status, res.text).toBe(200);
        expect(res.body.csrf_token).toBe(loginCsrf);
      }
    });

    it('a refresh cookie that names no live login → 401 (not 403) without a CSRF token, and the cookies are cleared', async () => {
      const { app, client } = await aliceWithCookies();
      const rt = client.cookie(REFRESH_COOKIE)!;
      expect((await client.post('/auth/logout')).status).toBe(204);
      for (const value of [rt, 'A'.repeat(43), 'garbage']) {
        const stranger = createClient(app.url, { origin: app.origin });
        stranger.setCookie(REFRESH_COOKIE, value);
        const res = await stranger.post('/auth/refresh');
        expectProblem(res, 401, 'unauthenticated', [value]);
        expect(setCookieOf(res, REFRESH_COOKIE)?.attributes['max-age']).toBe('0');
      }
    });

    it('a rotated refresh cookie replayed after the grace window revokes the family, with or without a CSRF token (a replay is theft whoever sends it)', async () => {
      const { app, client } = await aliceWithCookies();
      const rt0 = client.cookie(REFRESH_COOKIE)!;
      expect((await client.post('/auth/refresh')).status).toBe(200);
      app.clock.advance((GRACE_S + 1) * 1000);
      const thief = createClient(app.url, { origin: app.origin });
      thief.setCookie(REFRESH_COOKIE, rt0);
      // The thief has the stolen cookie but not the login's CSRF token: its replay is still detected.
      const replay = await thief.post('/auth/refresh');
      expectProblem(replay, 401, 'unauthenticated', [rt0]);
      // The rightful holder's current token died with the family.
      expectProblem(await client.post('/auth/refresh'), 401, 'unauthenticated');
    });

    it('the just-rotated cookie inside the grace window (a second tab) needs the CSRF token too; with it, the same successor', async () => {
      const { app, client } = await aliceWithCookies();
      const rt0 = client.cookie(REFRESH_COOKIE)!;
      const first = await client.post('/auth/refresh');
      expect(first.status).toBe(200);
      const tab = createClient(app.url, { origin: app.origin });
      tab.setCookie(REFRESH_COOKIE, rt0);
      const refused = await tab.post('/auth/refresh');
      expectProblem(refused, 403, 'csrf_rejected', [rt0]);
      expect(refused.setCookies).toEqual([]);
      const again = await tab.post('/auth/refresh', { headers: { 'x-csrf-token': client.csrf! } });
      expect(again.status, again.text).toBe(200);
      expect(setCookieOf(again, REFRESH_COOKIE)!.value).toBe(setCookieOf(first, REFRESH_COOKIE)!.value);
    });

    it('bearer refresh (the token in the body) needs no CSRF token', async () => {
      server = await startJwtServer();
      const { refresh } = await bearerUser(server, 'alice@x.io');
      expect((await refreshBearer(server, refresh)).status).toBe(200);
    });
  });

  describe('GET /auth/csrf and logout with only the refresh cookie (the access cookie expired)', () => {
    it("GET /auth/csrf answers the login's token from the refresh cookie alone, so a reloaded page can refresh", async () => {
      const { app, client } = await aliceWithCookies({ accessTtlSeconds: 60 });
      const loginCsrf = client.csrf;
      app.clock.advance((60 + toleranceS(app) + 1) * 1000);
      expect((await client.get('/auth/me')).status).toBe(401);
      // A reload: the page's memory (its CSRF token) is gone, the cookies are not.
      client.csrf = undefined;
      const res = await client.get('/auth/csrf');
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ csrf_token: loginCsrf });
      expect((await client.post('/auth/refresh')).status).toBe(200);
      expect((await client.get('/auth/me')).status).toBe(200);
    });

    it('GET /auth/csrf with a refresh cookie that names no live login → 401', async () => {
      const { app, client } = await aliceWithCookies();
      const rt = client.cookie(REFRESH_COOKIE)!;
      expect((await client.post('/auth/logout')).status).toBe(204);
      const stranger = createClient(app.url, { origin: app.origin });
      stranger.setCookie(REFRESH_COOKIE, rt);
      expectProblem(await stranger.get('/auth/csrf'), 401, 'unauthenticated', [rt]);
    });

    it.each([
      ['no X-CSRF-Token', { withCsrf: false }],
      ['a wrong X-CSRF-Token', { headers: { 'x-csrf-token': 'A'.repeat(43) } }],
    ])('logout with only the refresh cookie and %s → 403 csrf_rejected; the login lives on', async (_name, opts) => {
      const { app, client } = await aliceWithCookies();
      client.deleteCookie(ACCESS_COOKIE);
      const res = await client.post('/auth/logout', opts);
      expectProblem(res, 403, 'csrf_rejected');
      expect(res.setCookies).toEqual([]);
      expect((await client.post('/auth/refresh')).status).toBe(200);
    });

    it('logout with only the refresh cookie and the right X-CSRF-Token → 204; the family is gone', async () => {
      const { app, client } = await aliceWithCookies();
      const rt = client.cookie(REFRESH_COOKIE)!;
      client.deleteCookie(ACCESS_COOKIE);
      expect((await client.post('/auth/logout')).status).toBe(204);
      const replay = createClient(app.url, { origin: app.origin });
      replay.setCookie(REFRESH_COOKIE, rt);
      expectProblem(await replay.post('/auth/refresh'), 401, 'unauthenticated', [rt]);
    });
  });
});
