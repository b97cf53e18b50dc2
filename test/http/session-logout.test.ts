import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../helpers/client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { browser, expectProblem, ISO_TIMESTAMP, login, newUser, SESSION_COOKIE } from './support.js';

describe('logout, logout-all and the sessions list (session posture)', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  describe('POST /auth/logout', () => {
    it('204, clears the cookie, and replaying the old cookie gets 401', async () => {
      server = await startTestServer();
      const { client } = await newUser(server, 'alice@x.io');
      const old = client.cookie(SESSION_COOKIE)!;
      const res = await client.post('/auth/logout');
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      const cleared = res.setCookies.find((c) => c.name === SESSION_COOKIE);
      expect(cleared).toBeDefined();
      expect(cleared!.value).toBe('');
      expect(cleared!.attributes['max-age']).toBe('0');
      expect(cleared!.attributes.path).toBe('/');
      expect(cleared!.attributes.secure).toBe(true);
      expect(cleared!.attributes.httponly).toBe(true);
      expect(client.cookie(SESSION_COOKIE)).toBeUndefined();

      const replay = createClient(server.url, { origin: server.origin });
      replay.setCookie(SESSION_COOKIE, old);
      expectProblem(await replay.get('/auth/me'), 401, 'unauthenticated', [old]);
      expectProblem(await replay.post('/auth/logout', { withCsrf: false }), 401, 'unauthenticated', [old]);
    });

    it('ends only this device: another session of the same user still works', async () => {
      server = await startTestServer();
      const { client: laptop } = await newUser(server, 'alice@x.io');
      const phone = browser(server, 'Phone');
      await login(phone, 'alice@x.io');
      expect((await laptop.post('/auth/logout')).status).toBe(204);
      expect((await phone.get('/auth/me')).status).toBe(200);
    });

    it('401 without a credential', async () => {
      server = await startTestServer();
      expectProblem(await browser(server).post('/auth/logout'), 401, 'unauthenticated');
    });
  });

  describe('POST /auth/logout-all', () => {
    it('204 and both clients die on their next request', async () => {
      server = await startTestServer();
      const { client: laptop } = await newUser(server, 'alice@x.io');
      const phone = browser(server, 'Phone');
      await login(phone, 'alice@x.io');
      const bystander = await newUser(server, 'bob@x.io');
      const phoneCookie = phone.cookie(SESSION_COOKIE)!;
      const laptopCookie = laptop.cookie(SESSION_COOKIE)!;
      expect((await phone.get('/auth/me')).status).toBe(200);

      const res = await laptop.post('/auth/logout-all');
      expect(res.status).toBe(204);
      expect(res.setCookies.find((c) => c.name === SESSION_COOKIE)?.attributes['max-age']).toBe('0');

      expectProblem(await phone.get('/auth/me'), 401, 'unauthenticated', [phoneCookie]);
      const laptopReplay = createClient(server.url);
      laptopReplay.setCookie(SESSION_COOKIE, laptopCookie);
      expectProblem(await laptopReplay.get('/auth/me'), 401, 'unauthenticated', [laptopCookie]);
      // Another user is untouched.
      expect((await bystander.client.get('/auth/me')).status).toBe(200);
    });

    it('logs out bearer sessions of the user too', async () => {
      server = await startTestServer();
      const { client } = await newUser(server, 'alice@x.io');
      const res = await createClient(server.url).post('/auth/login', {
        json: { email: 'alice@x.io', password: 'correct horse battery', transport: 'bearer' },
      });
      const token = res.body.access_token as string;
      expect((await client.post('/auth/logout-all')).status).toBe(204);
      const after = await createClient(server.url).get('/auth/me', { headers: { authorization: `Bearer ${token}` } });
      expectProblem(after, 401, 'unauthenticated', [token]);
    });
  });

  describe('GET /auth/sessions', () => {
    it('one row per device with user agent, ip, timestamps, and current only for the caller', async () => {
      server = await startTestServer();
      const { client: laptop } = await newUser(server, 'alice@x.io', 'Laptop/1.0');
      server.clock.advance(5_000);
      const phone = browser(server, 'Phone/2.0');
      const phoneLogin = await login(phone, 'alice@x.io');
      await newUser(server, 'bob@x.io', 'Bob/1.0');

      const res = await laptop.get('/auth/sessions');
      expect(res.status).toBe(200);
      const sessions = res.body.sessions as Array<Record<string, unknown>>;
      expect(sessions).toHaveLength(2);
      for (const s of sessions) {
        expect(Object.keys(s).sort()).toEqual(['created_at', 'current', 'expires_at', 'id', 'ip', 'last_seen_at', 'user_agent']);
        expect(s.created_at).toMatch(ISO_TIMESTAMP);
        expect(s.last_seen_at).toMatch(ISO_TIMESTAMP);
        expect(s.expires_at).toMatch(ISO_TIMESTAMP);
        expect(s.ip).toBe('127.0.0.1');
      }
      const byAgent = Object.fromEntries(sessions.map((s) => [s.user_agent, s]));
      expect(Object.keys(byAgent).sort()).toEqual(['Laptop/1.0', 'Phone/2.0']);
      expect(byAgent['Laptop/1.0']!.current).toBe(true);
      expect(byAgent['Phone/2.0']!.current).toBe(false);
      expect(byAgent['Phone/2.0']!.id).toBe(phoneLogin.body.session.id);
      expect(Date.parse(byAgent['Phone/2.0']!.created_at as string) - Date.parse(byAgent['Laptop/1.0']!.created_at as string)).toBe(5_000);
      // No secret cookie value appears in the list.
      expect(res.text).not.toContain(laptop.cookie(SESSION_COOKIE)!);
      expect(res.text).not.toContain(phone.cookie(SESSION_COOKIE)!);

      const fromPhone = await phone.get('/auth/sessions');
      const current = (fromPhone.body.sessions as Array<{ user_agent: string; current: boolean }>).filter((s) => s.current);
      expect(current.map((s) => s.user_agent)).toEqual(['Phone/2.0']);
    });

    it('401 without a credential', async () => {
      server = await startTestServer();
      expectProblem(await browser(server).get('/auth/sessions'), 401, 'unauthenticated');
    });
  });

  describe('DELETE /auth/sessions/:id', () => {
    it('204 for one of my other sessions, and that client gets 401', async () => {
      server = await startTestServer();
      const { client: laptop } = await newUser(server, 'alice@x.io', 'Laptop');
      const phone = browser(server, 'Phone');
      const phoneLogin = await login(phone, 'alice@x.io');
      const res = await laptop.request('DELETE', `/auth/sessions/${phoneLogin.body.session.id}`);
      expect(res.status).toBe(204);
      // Revoking another device does not clear the caller's own cookie.
      expect(res.setCookies.filter((c) => c.attributes['max-age'] === '0')).toEqual([]);
      expectProblem(await phone.get('/auth/me'), 401, 'unauthenticated');
      expect((await laptop.get('/auth/me')).status).toBe(200);
      const list = await laptop.get('/auth/sessions');
      expect(list.body.sessions).toHaveLength(1);
      // Deleting it twice: it is gone.
      expectProblem(await laptop.request('DELETE', `/auth/sessions/${phoneLogin.body.session.id}`), 404, 'not_found');
    });

    it("404 for another user's session id, and that session keeps working", async () => {
      server = await startTestServer();
      const alice = await newUser(server, 'alice@x.io');
      const bob = await newUser(server, 'bob@x.io');
      const bobId = (await bob.client.get('/auth/me')).body.session.id as string;
      const res = await alice.client.request('DELETE', `/auth/sessions/${bobId}`);
      expectProblem(res, 404, 'not_found');
      expect((await bob.client.get('/auth/me')).status).toBe(200);
      expect((await alice.client.get('/auth/me')).status).toBe(200);
    });

    it('404 for an unknown id', async () => {
      server = await startTestServer();
      const { client } = await newUser(server, 'alice@x.io');
      for (const id of [randomBytes(16).toString('base64url'), 'nope', 'x'.repeat(200)]) {
        expectProblem(await client.request('DELETE', `/auth/sessions/${id}`), 404, 'not_found');
      }
    });

    it('the secret cookie value is not accepted as a session id', async () => {
      server = await startTestServer();
      const { client } = await newUser(server, 'alice@x.io');
      const secret = client.cookie(SESSION_COOKIE)!;
      expectProblem(await client.request('DELETE', `/auth/sessions/${secret}`), 404, 'not_found', [secret]);
      expect((await client.get('/auth/me')).status).toBe(200);
    });

    it('deleting the current session logs the caller out', async () => {
      server = await startTestServer();
      const { client } = await newUser(server, 'alice@x.io');
      const id = (await client.get('/auth/me')).body.session.id as string;
      const cookie = client.cookie(SESSION_COOKIE)!;
      const res = await client.request('DELETE', `/auth/sessions/${id}`);
      expect(res.status).toBe(204);
      expect(res.setCookies.find((c) => c.name === SESSION_COOKIE)?.attributes['max-age']).toBe('0');
      const replay = createClient(server.url);
      replay.setCookie(SESSION_COOKIE, cookie);
      expectProblem(await replay.get('/auth/me'), 401, 'unauthenticated', [cookie]);
    });

    it('401 without a credential', async () => {
      server = await startTestServer();
      expectProblem(await browser(server).request('DELETE', '/auth/sessions/abc'), 401, 'unauthenticated');
    });
  });
});
