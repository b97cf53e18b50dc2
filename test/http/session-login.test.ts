import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../helpers/client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  bearer,
  browser,
  expectProblem,
  ISO_TIMESTAMP,
  login,
  loginBearer,
  newUser,
  PASSWORD,
  SESSION_COOKIE,
  SESSION_ID_SHAPE,
  signup,
} from './support.js';

describe('POST /auth/login and GET /auth/me (session posture)', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  describe('cookie transport', () => {
    it('200 {user, session:{id, expires_at}, csrf_token} and no token in the body', async () => {
      server = await startTestServer();
      const client = browser(server);
      const user = await signup(client, 'alice@x.io');
      const res = await client.post('/auth/login', { json: { email: 'alice@x.io', password: PASSWORD } });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['csrf_token', 'session', 'user']);
      expect(res.body.user).toEqual(user);
      expect(res.body.session).toEqual({ id: expect.any(String), expires_at: expect.stringMatching(ISO_TIMESTAMP) });
      expect(res.body.csrf_token).toEqual(expect.any(String));
      expect(res.body.csrf_token.length).toBeGreaterThanOrEqual(16);
      expect(res.body).not.toHaveProperty('access_token');
      expect(res.body).not.toHaveProperty('token');
      const sid = client.cookie(SESSION_COOKIE);
      expect(sid).toBeDefined();
      expect(res.text).not.toContain(sid!);
      expect(res.text).not.toContain(PASSWORD);
      // The public session id is not the secret cookie value.
      expect(res.body.session.id).not.toBe(sid);
      expect(res.headers.get('cache-control')).toContain('no-store');
    });

    it('Set-Cookie __Host-tessera_sid: HttpOnly; Secure; SameSite=Lax; Path=/; no Domain; Max-Age; 43 base64url chars', async () => {
      server = await startTestServer();
      const client = browser(server);
      await signup(client, 'alice@x.io');
      const res = await login(client, 'alice@x.io');
      const raw = res.headers.getSetCookie();
      expect(raw).toHaveLength(1);
      const [cookie] = res.setCookies;
      expect(cookie!.name).toBe(SESSION_COOKIE);
      expect(cookie!.value).toMatch(SESSION_ID_SHAPE);
      const attrs = cookie!.attributes;
      expect(attrs.httponly).toBe(true);
      expect(attrs.secure).toBe(true);
      expect(attrs.samesite).toBe('Lax');
      expect(attrs.path).toBe('/');
      expect(attrs).not.toHaveProperty('domain');
      expect(attrs['max-age']).toMatch(/^\d+$/);
      expect(Number(attrs['max-age'])).toBeGreaterThan(0);
      // The cookie's lifetime does not outlast the session's absolute expiry.
      const expiresAt = Date.parse(res.body.session.expires_at);
      expect(Number(attrs['max-age'])).toBeGreaterThanOrEqual((expiresAt - server.clock.now()) / 1000);
    });

    it('a new session id on every login, and each one works', async () => {
      server = await startTestServer();
      const a = browser(server);
      await signup(a, 'alice@x.io');
      const first = await login(createClient(server.url), 'alice@x.io');
      const second = await login(a, 'alice@x.io');
      const third = await login(createClient(server.url), 'alice@x.io');
      const values = [first, second, third].map((r) => r.setCookies[0]!.value);
      expect(new Set(values).size).toBe(3);
      const ids = [first, second, third].map((r) => r.body.session.id);
      expect(new Set(ids).size).toBe(3);
      for (const value of [values[0]!, values[2]!]) {
        const c = createClient(server.url);
        c.setCookie(SESSION_COOKIE, value);
        expect((await c.get('/auth/me')).status).toBe(200);
      }
    });

    it('fixation: a random session cookie sent before login is never adopted', async () => {
      server = await startTestServer();
      const client = browser(server);
      await signup(client, 'alice@x.io');
      const planted = randomBytes(32).toString('base64url');
      client.setCookie(SESSION_COOKIE, planted);
      expectProblem(await client.get('/auth/me'), 401, 'unauthenticated');
      const res = await login(client, 'alice@x.io');
      const issued = res.setCookies.find((c) => c.name === SESSION_COOKIE)?.value;
      expect(issued).toMatch(SESSION_ID_SHAPE);
      expect(issued).not.toBe(planted);
      const attacker = createClient(server.url);
      attacker.setCookie(SESSION_COOKIE, planted);
      expectProblem(await attacker.get('/auth/me'), 401, 'unauthenticated');
      expect((await client.get('/auth/me')).body.user.email).toBe('alice@x.io');
    });

    it("fixation: another user's valid cookie planted before login is not adopted and is ended", async () => {
      server = await startTestServer();
      const mallory = await newUser(server, 'mallory@x.io');
      const planted = mallory.client.cookie(SESSION_COOKIE)!;
      const victim = browser(server);
      await signup(victim, 'victim@x.io');
      victim.setCookie(SESSION_COOKIE, planted);
      const res = await login(victim, 'victim@x.io');
      const issued = victim.cookie(SESSION_COOKIE);
      expect(issued).toMatch(SESSION_ID_SHAPE);
      expect(issued).not.toBe(planted);
      expect(res.body.user.email).toBe('victim@x.io');
      // The victim's new session is the victim's own.
      expect((await victim.get('/auth/me')).body.user.email).toBe('victim@x.io');
      // The planted value is not (and never becomes) the victim's session.
      const replay = await createClient(server.url).get('/auth/me', { headers: { cookie: `${SESSION_COOKIE}=${planted}` } });
      expect(replay.status).toBe(401);
      expect(replay.text).not.toContain('victim@x.io');
    });
  });

  describe('bearer transport', () => {
    it('200 {user, token_type:"Bearer", access_token, expires_in} and no Set-Cookie', async () => {
      server = await startTestServer();
      const client = createClient(server.url);
      const user = await signup(client, 'cli@x.io');
      const res = await client.post('/auth/login', { json: { email: 'cli@x.io', password: PASSWORD, transport: 'bearer' } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ user, token_type: 'Bearer', access_token: expect.stringMatching(SESSION_ID_SHAPE) });
      expect(Number.isInteger(res.body.expires_in)).toBe(true);
      expect(res.body.expires_in).toBeGreaterThan(0);
      expect(res.body).not.toHaveProperty('csrf_token');
      expect(res.setCookies).toEqual([]);
      expect(res.headers.get('set-cookie')).toBeNull();
    });

    it('Authorization: Bearer works for me, sessions and logout, without any CSRF token', async () => {
      server = await startTestServer();
      const client = createClient(server.url, { origin: 'https://evil.example' });
      await signup(createClient(server.url), 'cli@x.io');
      const token = await loginBearer(createClient(server.url), 'cli@x.io');
      const me = await client.get('/auth/me', { headers: bearer(token) });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ user: { email: 'cli@x.io' }, mode: 'session' });
      const sessions = await client.get('/auth/sessions', { headers: bearer(token) });
      expect(sessions.status).toBe(200);
      expect(sessions.body.sessions).toHaveLength(1);
      expect(sessions.body.sessions[0].current).toBe(true);
      const logout = await client.post('/auth/logout', { headers: bearer(token) });
      expect(logout.status).toBe(204);
      const after = await client.get('/auth/me', { headers: bearer(token) });
      expectProblem(after, 401, 'unauthenticated', [token]);
      const challenge = after.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer\b/);
      expect(challenge).toContain('error="invalid_token"');
      expect(challenge).not.toContain(token);
    });

    it.each([
      ['an unknown token', `Bearer ${randomBytes(32).toString('base64url')}`],
      ['a malformed token', 'Bearer not/a valid token!'],
      ['another scheme', 'Basic dXNlcjpwYXNz'],
    ])('401 with WWW-Authenticate error="invalid_token" for %s', async (_name, authorization) => {
      server = await startTestServer();
      const res = await createClient(server.url).get('/auth/me', { headers: { authorization } });
      expectProblem(res, 401, 'unauthenticated', [authorization.slice(7)]);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer\b/);
      expect(challenge).toContain('error="invalid_token"');
    });
  });

  describe('equal answers for unknown email and wrong password', () => {
    it('same status, same code, same body', async () => {
      server = await startTestServer();
      const client = createClient(server.url);
      await signup(client, 'alice@x.io');
      const wrong = await client.post('/auth/login', { json: { email: 'alice@x.io', password: 'wrong password' } });
      const unknown = await client.post('/auth/login', { json: { email: 'nobody@x.io', password: 'wrong password' } });
      expectProblem(wrong, 401, 'invalid_credentials', ['wrong password']);
      expectProblem(unknown, 401, 'invalid_credentials', ['wrong password', 'nobody@x.io']);
      expect(unknown.text).toBe(wrong.text);
      expect(unknown.headers.get('content-type')).toBe(wrong.headers.get('content-type'));
      expect(unknown.headers.get('www-authenticate')).toBe(wrong.headers.get('www-authenticate'));
      expect(wrong.setCookies).toEqual([]);
      expect(unknown.setCookies).toEqual([]);
      expect(wrong.text).not.toContain('alice@x.io');
    });
  });

  describe('GET /auth/me', () => {
    it('200 {user, session:{id, created_at, expires_at}, mode:"session"}', async () => {
      server = await startTestServer();
      const { client, user } = await newUser(server, 'alice@x.io');
      const res = await client.get('/auth/me');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        user,
        session: { id: expect.any(String), created_at: expect.stringMatching(ISO_TIMESTAMP), expires_at: expect.stringMatching(ISO_TIMESTAMP) },
        mode: 'session',
      });
      expect(res.body.session.created_at).toBe(new Date(server.clock.now()).toISOString());
      expect(Date.parse(res.body.session.expires_at)).toBeGreaterThan(server.clock.now());
      expect(res.text).not.toContain(client.cookie(SESSION_COOKIE)!);
    });

    it('the session id of me is the one login returned', async () => {
      server = await startTestServer();
      const client = browser(server);
      await signup(client, 'alice@x.io');
      const res = await login(client, 'alice@x.io');
      expect((await client.get('/auth/me')).body.session.id).toBe(res.body.session.id);
    });

    it('401 unauthenticated without a credential (no WWW-Authenticate error for a cookie client)', async () => {
      server = await startTestServer();
      const res = await browser(server).get('/auth/me');
      expectProblem(res, 401, 'unauthenticated');
      expect(res.headers.get('www-authenticate') ?? '').not.toContain('invalid_token');
    });

    it('401 for a garbage or oversized cookie, never 5xx', async () => {
      server = await startTestServer();
      for (const value of ['x', 'a'.repeat(43), 'é', 'a'.repeat(9000), '"quoted"']) {
        const res = await createClient(server.url).get('/auth/me', { headers: { cookie: `${SESSION_COOKIE}=${encodeURIComponent(value)}` } });
        expect(res.status, value.slice(0, 20)).toBe(401);
      }
    });
  });
});
