import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type TestClient } from '../helpers/client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { bearer, browser, expectProblem, login, loginBearer, newUser, PASSWORD, SESSION_COOKIE, signup } from './support.js';

const EVIL = 'https://evil.example';

/** The token with its last character changed. */
function flipLast(token: string): string {
  return token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
}

/**
 * The cookie-authenticated unsafe requests of the session posture, each with a check that it
 * really happened (so a rejected request is visibly a no-op).
 */
type Unsafe = {
  name: string;
  send(client: TestClient, extra: { headers?: Record<string, string>; withCsrf?: boolean }): ReturnType<TestClient['request']>;
};

interface World {
  server: TestServer;
  admin: TestClient;
  alice: TestClient;
  aliceId: string;
  phoneSessionId: string;
  phone: TestClient;
}

async function world(): Promise<World> {
  const server = await startTestServer({ adminEmail: 'root@x.io', adminPassword: PASSWORD });
  const admin = browser(server, 'Admin');
  await login(admin, 'root@x.io');
  const { client: alice, user } = await newUser(server, 'alice@x.io', 'Laptop');
  const phone = browser(server, 'Phone');
  const phoneLogin = await login(phone, 'alice@x.io');
  return { server, admin, alice, aliceId: user.id, phone, phoneSessionId: phoneLogin.body.session.id };
}

/** Each unsafe route, sent by the client that is allowed to call it (alice, or admin for the admin route). */
function unsafeRoutes(w: World): Array<Unsafe & { actor: TestClient }> {
  return [
    { name: 'POST /auth/logout', actor: w.alice, send: (c, x) => c.post('/auth/logout', x) },
    { name: 'POST /auth/logout-all', actor: w.alice, send: (c, x) => c.post('/auth/logout-all', x) },
    { name: 'DELETE /auth/sessions/:id', actor: w.alice, send: (c, x) => c.request('DELETE', `/auth/sessions/${w.phoneSessionId}`, x) },
    {
      name: 'PUT /admin/users/:id/roles',
      actor: w.admin,
      send: (c, x) => c.request('PUT', `/admin/users/${w.aliceId}/roles`, { json: { roles: ['admin'] }, ...x }),
    },
    { name: 'POST /admin/users/:id/disable', actor: w.admin, send: (c, x) => c.post(`/admin/users/${w.aliceId}/disable`, x) },
  ];
}

/** Nothing the rejected requests tried has happened. */
async function expectNothingHappened(w: World): Promise<void> {
  expect((await w.alice.get('/auth/me')).body.user.roles).toEqual([]);
  expect((await w.phone.get('/auth/me')).status).toBe(200);
  expect((await w.admin.get('/auth/me')).status).toBe(200);
}

describe('CSRF defences (session posture)', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const cases: Array<[string, (w: World, actor: TestClient) => { headers?: Record<string, string>; withCsrf?: boolean }]> = [
    ['no X-CSRF-Token', () => ({ withCsrf: false })],
    ['a wrong X-CSRF-Token', (_w, actor) => ({ headers: { 'x-csrf-token': flipLast(actor.csrf!) } })],
    ['an empty X-CSRF-Token', () => ({ headers: { 'x-csrf-token': '' } })],
    ['the token of another session', (w, actor) => ({ headers: { 'x-csrf-token': (actor === w.alice ? w.phone : w.alice).csrf! } })],
    ['Origin: https://evil.example with a valid token', () => ({ headers: { origin: EVIL } })],
    ['Origin: null with a valid token', () => ({ headers: { origin: 'null' } })],
    ['Sec-Fetch-Site: cross-site with a valid token', () => ({ headers: { 'sec-fetch-site': 'cross-site' } })],
  ];

  it.each(cases)('a cookie-authenticated unsafe request with %s → 403 csrf_rejected on every route', async (_name, extra) => {
    const w = await world();
    server = w.server;
    for (const route of unsafeRoutes(w)) {
      const res = await route.send(route.actor, extra(w, route.actor));
      expectProblem(res, 403, 'csrf_rejected', [route.actor.cookie(SESSION_COOKIE)!, route.actor.csrf!]);
      expect(res.setCookies, route.name).toEqual([]);
    }
    await expectNothingHappened(w);
  });

  it('the same requests succeed with the valid token, same-origin (the control)', async () => {
    const w = await world();
    server = w.server;
    const [logout, logoutAll, deleteSession, putRoles, disable] = unsafeRoutes(w);
    expect((await putRoles!.send(w.admin, {})).status).toBe(200);
    expect((await deleteSession!.send(w.alice, { headers: { 'sec-fetch-site': 'same-origin' } })).status).toBe(204);
    expect((await w.phone.get('/auth/me')).status).toBe(401);
    expect((await logoutAll!.send(w.alice, {})).status).toBe(204);
    expect((await w.alice.get('/auth/me')).status).toBe(401);
    expect((await disable!.send(w.admin, {})).status).toBe(204);
    expect((await logout!.send(w.admin, {})).status).toBe(204);
    expect((await w.admin.get('/auth/me')).status).toBe(401);
  });

  it('the other allowed origin (http://127.0.0.1:PORT) and no Origin at all are accepted with a valid token', async () => {
    server = await startTestServer();
    const { client } = await newUser(server, 'alice@x.io');
    const res = await client.post('/auth/logout-all', { headers: { origin: server.url } });
    expect(res.status).toBe(204);
    const second = browser(server);
    await login(second, 'alice@x.io');
    const curl = createClient(server.url);
    curl.setCookie(SESSION_COOKIE, second.cookie(SESSION_COOKIE)!);
    curl.csrf = second.csrf;
    expect((await curl.post('/auth/logout')).status).toBe(204);
  });

  it('GET /auth/csrf returns the token login returned, and it differs per session', async () => {
    server = await startTestServer();
    const client = browser(server);
    await signup(client, 'alice@x.io');
    const first = await login(client, 'alice@x.io');
    const res = await client.get('/auth/csrf');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ csrf_token: first.body.csrf_token });
    const other = browser(server);
    const second = await login(other, 'alice@x.io');
    expect(second.body.csrf_token).not.toBe(first.body.csrf_token);
    expect((await other.get('/auth/csrf')).body.csrf_token).toBe(second.body.csrf_token);
    expect(res.text).not.toContain(client.cookie(SESSION_COOKIE)!);
  });

  it('GET /auth/csrf without a session → 401', async () => {
    server = await startTestServer();
    expectProblem(await browser(server).get('/auth/csrf'), 401, 'unauthenticated');
  });

  it('an old session’s CSRF token does not work for the new session after re-login', async () => {
    server = await startTestServer();
    const client = browser(server);
    await signup(client, 'alice@x.io');
    const first = await login(client, 'alice@x.io');
    await login(client, 'alice@x.io');
    const res = await client.post('/auth/logout', { headers: { 'x-csrf-token': first.body.csrf_token } });
    expectProblem(res, 403, 'csrf_rejected');
  });

  describe('login CSRF on /auth/login and /auth/signup', () => {
    it.each([
      ['Origin: https://evil.example', { origin: EVIL }],
      ['Origin: null', { origin: 'null' }],
      ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ])('%s → 403 csrf_rejected, no cookie, no account', async (_name, headers) => {
      server = await startTestServer();
      const client = createClient(server.url);
      await signup(client, 'alice@x.io');
      const loginRes = await client.post('/auth/login', { json: { email: 'alice@x.io', password: PASSWORD }, headers });
      expectProblem(loginRes, 403, 'csrf_rejected', [PASSWORD]);
      expect(loginRes.setCookies).toEqual([]);
      const signupRes = await client.post('/auth/signup', { json: { email: 'bob@x.io', password: PASSWORD }, headers });
      expectProblem(signupRes, 403, 'csrf_rejected', [PASSWORD]);
      // Bob was never created: a same-origin signup for him succeeds.
      expect((await client.post('/auth/signup', { json: { email: 'bob@x.io', password: PASSWORD } })).status).toBe(201);
    });

    it('login without Origin (curl-like) and with the allowed Origin both work', async () => {
      server = await startTestServer();
      await signup(createClient(server.url), 'alice@x.io');
      expect((await createClient(server.url).post('/auth/login', { json: { email: 'alice@x.io', password: PASSWORD } })).status).toBe(200);
      const res = await browser(server).post('/auth/login', {
        json: { email: 'alice@x.io', password: PASSWORD },
        headers: { 'sec-fetch-site': 'same-origin' },
      });
      expect(res.status).toBe(200);
    });
  });

  it('bearer requests need no CSRF token, even with a hostile Origin', async () => {
    server = await startTestServer({ adminEmail: 'root@x.io', adminPassword: PASSWORD });
    const adminToken = await loginBearer(createClient(server.url), 'root@x.io');
    const { user } = await newUser(server, 'alice@x.io');
    const token = await loginBearer(createClient(server.url), 'alice@x.io');
    const other = await loginBearer(createClient(server.url), 'alice@x.io');
    const hostile = createClient(server.url, { origin: EVIL });
    const roles = await hostile.request('PUT', `/admin/users/${user.id}/roles`, { json: { roles: ['editor'] }, headers: bearer(adminToken) });
    expect(roles.status).toBe(200);
    const otherId = (await hostile.get('/auth/me', { headers: bearer(other) })).body.session.id as string;
    const del = await hostile.request('DELETE', `/auth/sessions/${otherId}`, { headers: { ...bearer(token), 'sec-fetch-site': 'cross-site' } });
    expect(del.status).toBe(204);
    expect((await hostile.get('/auth/me', { headers: bearer(other) })).status).toBe(401);
    expect((await hostile.get('/auth/sessions', { headers: bearer(token) })).body.sessions).toHaveLength(2);
    expect((await hostile.post('/auth/logout-all', { headers: bearer(token) })).status).toBe(204);
    expect((await hostile.get('/auth/me', { headers: bearer(token) })).status).toBe(401);
    expect((await hostile.post('/auth/logout', { headers: bearer(adminToken) })).status).toBe(204);
    expect((await hostile.get('/auth/me', { headers: bearer(adminToken) })).status).toBe(401);
  });
});
