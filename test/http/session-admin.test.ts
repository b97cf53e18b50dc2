import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type TestClient } from '../helpers/client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { browser, expectProblem, login, newUser, PASSWORD, SESSION_COOKIE } from './support.js';

const ADMIN = { adminEmail: 'Root@Example.com', adminPassword: 'admin password 1' };

/** A server with a bootstrapped admin, the admin's logged-in client and a logged-in ordinary user. */
async function setUp(): Promise<{ server: TestServer; admin: TestClient; alice: TestClient; aliceId: string }> {
  const server = await startTestServer(ADMIN);
  const admin = browser(server, 'Admin');
  await login(admin, 'root@example.com', ADMIN.adminPassword);
  const { client: alice, user } = await newUser(server, 'alice@x.io', 'Alice');
  return { server, admin, alice, aliceId: user.id };
}

describe('admin endpoints (session posture)', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('bootstrap: the admin from the options holds the admin role', async () => {
    server = await startTestServer(ADMIN);
    const admin = browser(server);
    const res = await login(admin, 'root@example.com', ADMIN.adminPassword);
    expect(res.body.user).toMatchObject({ email: 'root@example.com', roles: ['admin'] });
    expect((await admin.get('/auth/me')).body.user.roles).toEqual(['admin']);
  });

  it('GET /admin/users → 200 {users:[{id,email,roles,disabled}]} with no secrets', async () => {
    let admin: TestClient;
    let aliceId: string;
    ({ server, admin, aliceId } = await setUp());
    const res = await admin.get('/admin/users');
    expect(res.status).toBe(200);
    const users = res.body.users as Array<Record<string, unknown>>;
    expect(users).toHaveLength(2);
    for (const u of users) expect(Object.keys(u).sort()).toEqual(['disabled', 'email', 'id', 'roles']);
    expect(users).toContainEqual({ id: aliceId, email: 'alice@x.io', roles: [], disabled: false });
    expect(users).toContainEqual({ id: expect.any(String), email: 'root@example.com', roles: ['admin'], disabled: false });
    expect(res.text).not.toMatch(/argon2|password|hash/i);
  });

  it('403 forbidden for a non-admin and 401 without a credential, on every admin route', async () => {
    let alice: TestClient;
    let aliceId: string;
    ({ server, alice, aliceId } = await setUp());
    const anonymous = browser(server);
    const routes: Array<[string, string, unknown]> = [
      ['GET', '/admin/users', undefined],
      ['PUT', `/admin/users/${aliceId}/roles`, { roles: ['admin'] }],
      ['POST', `/admin/users/${aliceId}/disable`, undefined],
      ['POST', `/admin/users/${aliceId}/enable`, undefined],
    ];
    for (const [method, path, json] of routes) {
      expectProblem(await alice.request(method, path, { json }), 403, 'forbidden');
      expectProblem(await anonymous.request(method, path, { json }), 401, 'unauthenticated');
    }
    // Alice did not make herself admin.
    expect((await alice.get('/auth/me')).body.user.roles).toEqual([]);
  });

  it('PUT /admin/users/:id/roles → 200 {user}, visible on the target’s next request', async () => {
    let admin: TestClient;
    let alice: TestClient;
    let aliceId: string;
    ({ server, admin, alice, aliceId } = await setUp());
    expectProblem(await alice.get('/admin/users'), 403, 'forbidden');
    const res = await admin.request('PUT', `/admin/users/${aliceId}/roles`, { json: { roles: ['editor', 'admin'] } });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['user']);
    expect(res.body.user).toEqual({ id: aliceId, email: 'alice@x.io', roles: expect.arrayContaining(['admin', 'editor']) });
    expect(res.body.user.roles).toHaveLength(2);
    const me = await alice.get('/auth/me');
    expect(me.body.user.roles.sort()).toEqual(['admin', 'editor']);
    expect((await alice.get('/admin/users')).status).toBe(200);
    // And taking the role away is just as immediate.
    expect((await admin.request('PUT', `/admin/users/${aliceId}/roles`, { json: { roles: [] } })).status).toBe(200);
    expect((await alice.get('/auth/me')).body.user.roles).toEqual([]);
    expectProblem(await alice.get('/admin/users'), 403, 'forbidden');
  });

  it.each([
    ['not an array', { roles: 'admin' }],
    ['a number in it', { roles: [1] }],
    ['upper case', { roles: ['Admin'] }],
    ['spaces', { roles: ['an admin'] }],
    ['empty string', { roles: [''] }],
    ['too long', { roles: ['a'.repeat(65)] }],
    ['too many', { roles: Array.from({ length: 33 }, (_, i) => `r${i}`) }],
    ['missing', {}],
  ])('PUT roles with invalid roles (%s) → 400 and nothing changes', async (_name, json) => {
    let admin: TestClient;
    let alice: TestClient;
    let aliceId: string;
    ({ server, admin, alice, aliceId } = await setUp());
    expectProblem(await admin.request('PUT', `/admin/users/${aliceId}/roles`, { json }), 400, 'bad_request');
    expect((await alice.get('/auth/me')).body.user.roles).toEqual([]);
  });

  it('404 for an unknown user id on roles, disable and enable', async () => {
    let admin: TestClient;
    ({ server, admin } = await setUp());
    for (const id of [randomUUID(), 'nope']) {
      expectProblem(await admin.request('PUT', `/admin/users/${id}/roles`, { json: { roles: ['x'] } }), 404, 'not_found');
      expectProblem(await admin.post(`/admin/users/${id}/disable`), 404, 'not_found');
      expectProblem(await admin.post(`/admin/users/${id}/enable`), 404, 'not_found');
    }
  });

  it('disable → 204; existing sessions (cookie and bearer) get 401 on the next request and login fails', async () => {
    let admin: TestClient;
    let alice: TestClient;
    let aliceId: string;
    ({ server, admin, alice, aliceId } = await setUp());
    const cli = await createClient(server.url).post('/auth/login', { json: { email: 'alice@x.io', password: PASSWORD, transport: 'bearer' } });
    const token = cli.body.access_token as string;
    const res = await admin.post(`/admin/users/${aliceId}/disable`);
    expect(res.status).toBe(204);
    expectProblem(await alice.get('/auth/me'), 401, 'unauthenticated');
    expect((await createClient(server.url).get('/auth/me', { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    const again = await createClient(server.url).post('/auth/login', { json: { email: 'alice@x.io', password: PASSWORD } });
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.status).toBeLessThan(500);
    expect(['forbidden', 'invalid_credentials']).toContain(again.body.code);
    expect(again.setCookies.filter((c) => c.name === SESSION_COOKIE && c.value !== '')).toEqual([]);
    const list = await admin.get('/admin/users');
    expect(list.body.users).toContainEqual({ id: aliceId, email: 'alice@x.io', roles: [], disabled: true });
    // The admin is unaffected.
    expect((await admin.get('/auth/me')).status).toBe(200);
  });

  it('enable → 204 and the user can log in again (old sessions stay dead)', async () => {
    let admin: TestClient;
    let alice: TestClient;
    let aliceId: string;
    ({ server, admin, alice, aliceId } = await setUp());
    const oldCookie = alice.cookie(SESSION_COOKIE)!;
    expect((await admin.post(`/admin/users/${aliceId}/disable`)).status).toBe(204);
    expect((await admin.post(`/admin/users/${aliceId}/enable`)).status).toBe(204);
    const replay = createClient(server.url);
    replay.setCookie(SESSION_COOKIE, oldCookie);
    expect((await replay.get('/auth/me')).status).toBe(401);
    const fresh = browser(server);
    await login(fresh, 'alice@x.io');
    expect((await fresh.get('/auth/me')).body.user.email).toBe('alice@x.io');
    expect((await admin.get('/admin/users')).body.users).toContainEqual({ id: aliceId, email: 'alice@x.io', roles: [], disabled: false });
  });

  it('an admin disabled by another admin loses admin access at once', async () => {
    let admin: TestClient;
    let alice: TestClient;
    let aliceId: string;
    ({ server, admin, alice, aliceId } = await setUp());
    await admin.request('PUT', `/admin/users/${aliceId}/roles`, { json: { roles: ['admin'] } });
    expect((await alice.get('/admin/users')).status).toBe(200);
    const adminId = (await admin.get('/auth/me')).body.user.id as string;
    expect((await alice.post(`/admin/users/${adminId}/disable`)).status).toBe(204);
    expect((await admin.get('/admin/users')).status).toBe(401);
  });
});
