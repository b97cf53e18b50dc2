/**
 * GET /auth/sessions and DELETE /auth/sessions/:id in the jwt postures: one row per refresh
 * family (device); deleting one revokes it, with the access-token effect the posture claims.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../helpers/client.js';
import type { TestServer } from '../helpers/server.js';
import {
  ACCESS_COOKIE,
  bearerLogin,
  bearerRequest,
  bearerUser,
  cookieLogin,
  decode,
  expectInvalidToken,
  JWT_MODES,
  me,
  REFRESH_COOKIE,
  refreshBearer,
  setCookieOf,
  signupUser,
  startJwtServer,
} from './jwt-support.js';
import { expectProblem, ISO_TIMESTAMP } from './support.js';

describe('sessions = refresh families (jwt postures)', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each(JWT_MODES)('%s: two logins → two rows with the right `current` flag', async (mode) => {
    server = await startJwtServer({ mode });
    await signupUser(server, 'alice@x.io');
    const { client: laptop, res: laptopLogin } = await cookieLogin(server, 'alice@x.io', 'Laptop');
    server.clock.advance(1000);
    const phone = await bearerLogin(server, 'alice@x.io', undefined, 'Phone');
    const laptopSid = laptopLogin.body.session.id as string;
    const phoneSid = decode(phone.access).claims.sid as string;
    expect(phoneSid).not.toBe(laptopSid);

    const fromLaptop = await laptop.get('/auth/sessions');
    expect(fromLaptop.status).toBe(200);
    const rows = fromLaptop.body.sessions as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['created_at', 'current', 'expires_at', 'id', 'ip', 'last_seen_at', 'user_agent']);
      expect(row.created_at).toMatch(ISO_TIMESTAMP);
      expect(row.expires_at).toMatch(ISO_TIMESTAMP);
    }
    expect(rows.find((r) => r.id === laptopSid)).toMatchObject({ current: true, user_agent: 'Laptop' });
    expect(rows.find((r) => r.id === phoneSid)).toMatchObject({ current: false, user_agent: 'Phone' });
    // No token material in the list.
    expect(fromLaptop.text).not.toContain(laptop.cookie(REFRESH_COOKIE)!);
    expect(fromLaptop.text).not.toContain(phone.refresh);

    const fromPhone = await bearerRequest(server, 'GET', '/auth/sessions', phone.access);
    const phoneRows = fromPhone.body.sessions as Array<Record<string, unknown>>;
    expect(phoneRows.find((r) => r.id === phoneSid)?.current).toBe(true);
    expect(phoneRows.find((r) => r.id === laptopSid)?.current).toBe(false);

    // A refresh rotates within the family: still two rows, same ids.
    expect((await laptop.post('/auth/refresh')).status).toBe(200);
    const after = (await laptop.get('/auth/sessions')).body.sessions as Array<{ id: string }>;
    expect(after.map((r) => r.id).sort()).toEqual([laptopSid, phoneSid].sort());
  });

  it.each(JWT_MODES)('%s: deleting the other device revokes its family: its refresh fails; its access token as the posture says', async (mode) => {
    server = await startJwtServer({ mode });
    await signupUser(server, 'alice@x.io');
    const { client: laptop } = await cookieLogin(server, 'alice@x.io', 'Laptop');
    const phone = await bearerLogin(server, 'alice@x.io', undefined, 'Phone');
    const phoneSid = decode(phone.access).claims.sid as string;
    server.clock.advance(1000);

    const res = await laptop.request('DELETE', `/auth/sessions/${phoneSid}`);
    expect(res.status, res.text).toBe(204);
    // Deleting another device's session does not clear this browser's cookies.
    expect(res.setCookies).toEqual([]);
    expect((await laptop.get('/auth/me')).status).toBe(200);

    expectProblem(await refreshBearer(server, phone.refresh), 401, 'unauthenticated', [phone.refresh]);
    const rows = (await laptop.get('/auth/sessions')).body.sessions as Array<{ id: string }>;
    expect(rows.map((r) => r.id)).not.toContain(phoneSid);
    expect(rows).toHaveLength(1);

    if (mode === 'jwt') {
      // No per-request lookup: the phone's access token lives until exp.
      expect((await me(server, phone.access)).status).toBe(200);
    } else {
      expectInvalidToken(await me(server, phone.access));
    }
  });

  it.each(JWT_MODES)('%s: deleting the current session by cookie clears both cookies and ends this device', async (mode) => {
    server = await startJwtServer({ mode });
    await signupUser(server, 'alice@x.io');
    const { client, res: login } = await cookieLogin(server, 'alice@x.io');
    const rt = client.cookie(REFRESH_COOKIE)!;
    const at = client.cookie(ACCESS_COOKIE)!;
    const res = await client.request('DELETE', `/auth/sessions/${login.body.session.id}`);
    expect(res.status).toBe(204);
    expect(setCookieOf(res, ACCESS_COOKIE)?.attributes['max-age']).toBe('0');
    expect(setCookieOf(res, REFRESH_COOKIE)?.attributes['max-age']).toBe('0');

    const replay = createClient(server.url, { origin: server.origin });
    replay.setCookie(REFRESH_COOKIE, rt);
    expectProblem(await replay.post('/auth/refresh'), 401, 'unauthenticated', [rt]);
    const accessReplay = createClient(server.url);
    accessReplay.setCookie(ACCESS_COOKIE, at);
    expect((await accessReplay.get('/auth/me')).status).toBe(mode === 'jwt' ? 200 : 401);
  });

  it('DELETE of an unknown id or of another user\'s family → 404, and that family keeps working', async () => {
    server = await startJwtServer({ mode: 'jwt-denylist' });
    const alice = await bearerUser(server, 'alice@x.io');
    const bob = await bearerUser(server, 'bob@x.io');
    const bobSid = decode(bob.access).claims.sid as string;
    expectProblem(await bearerRequest(server, 'DELETE', `/auth/sessions/${bobSid}`, alice.access), 404, 'not_found');
    expectProblem(await bearerRequest(server, 'DELETE', '/auth/sessions/no-such-family', alice.access), 404, 'not_found');
    expect((await me(server, bob.access)).status).toBe(200);
    expect((await refreshBearer(server, bob.refresh)).status).toBe(200);
  });

  it('a cookie DELETE needs the CSRF token: without it 403 csrf_rejected and nothing is revoked', async () => {
    server = await startJwtServer({ mode: 'jwt-denylist' });
    await signupUser(server, 'alice@x.io');
    const { client: laptop } = await cookieLogin(server, 'alice@x.io', 'Laptop');
    const phone = await bearerLogin(server, 'alice@x.io');
    const phoneSid = decode(phone.access).claims.sid as string;
    expectProblem(await laptop.request('DELETE', `/auth/sessions/${phoneSid}`, { withCsrf: false }), 403, 'csrf_rejected');
    expect((await me(server, phone.access)).status).toBe(200);
    expect((await refreshBearer(server, phone.refresh)).status).toBe(200);
  });

  it('logging in again from the same browser ends its previous family (one row, not two)', async () => {
    server = await startJwtServer({ mode: 'jwt-denylist' });
    await signupUser(server, 'alice@x.io');
    const { client } = await cookieLogin(server, 'alice@x.io');
    const firstRt = client.cookie(REFRESH_COOKIE)!;
    const again = await client.post('/auth/login', { json: { email: 'alice@x.io', password: 'correct horse battery' } });
    expect(again.status).toBe(200);
    const rows = (await client.get('/auth/sessions')).body.sessions as Array<{ id: string; current: boolean }>;
    expect(rows).toEqual([expect.objectContaining({ id: again.body.session.id, current: true })]);
    expectProblem(await refreshBearer(server, firstRt), 401, 'unauthenticated');
  });
});
