import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../helpers/client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { browser, expectProblem, login, newUser, PASSWORD, SESSION_COOKIE, signup } from './support.js';

describe('bad input gets a clear 4xx, never a 5xx (session posture)', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('a body over 64 KiB → 413 payload_too_large, on signup, login and admin roles', async () => {
    server = await startTestServer();
    const client = browser(server);
    const big = JSON.stringify({ email: 'big@x.io', password: PASSWORD, padding: 'x'.repeat(65 * 1024) });
    for (const path of ['/auth/signup', '/auth/login']) {
      const res = await client.post(path, { rawBody: big, contentType: 'application/json' });
      expectProblem(res, 413, 'payload_too_large', [PASSWORD]);
    }
    // Nothing was created by the oversized signup.
    expect((await client.post('/auth/signup', { json: { email: 'big@x.io', password: PASSWORD } })).status).toBe(201);
  });

  it('a body just under 64 KiB is read (and rejected only for its content)', async () => {
    server = await startTestServer();
    const res = await browser(server).post('/auth/login', {
      json: { email: 'x'.repeat(60 * 1024), password: PASSWORD },
    });
    expectProblem(res, 400, 'bad_request', [PASSWORD]);
  });

  it.each([
    ['truncated JSON', '{"email": "a@x.io", "password": '],
    ['not JSON', 'email=a@x.io&password=secret'],
    ['a trailing comma', '{"email": "a@x.io", "password": "secret99",}'],
    ['single quotes', "{'email': 'a@x.io'}"],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
  ])('malformed JSON (%s) → 400 bad_request', async (_name, rawBody) => {
    server = await startTestServer();
    const client = browser(server);
    for (const path of ['/auth/signup', '/auth/login']) {
      const res = await client.post(path, { rawBody: typeof rawBody === 'string' ? rawBody : new Uint8Array(rawBody), contentType: 'application/json' });
      expectProblem(res, 400, 'bad_request', ['secret99']);
    }
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['form-urlencoded', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['no content type', undefined],
  ])('a JSON body sent as %s → 400 bad_request', async (_name, contentType) => {
    server = await startTestServer();
    const client = browser(server);
    const rawBody = JSON.stringify({ email: 'plain@x.io', password: PASSWORD });
    for (const path of ['/auth/signup', '/auth/login']) {
      const res = await client.post(path, contentType === undefined ? { rawBody } : { rawBody, contentType });
      expectProblem(res, 400, 'bad_request', [PASSWORD]);
    }
    // The text/plain signup (a CORS-simple request) created nothing.
    expect((await client.post('/auth/signup', { json: { email: 'plain@x.io', password: PASSWORD } })).status).toBe(201);
  });

  it('application/json with a charset parameter is accepted', async () => {
    server = await startTestServer();
    const res = await browser(server).post('/auth/signup', {
      rawBody: JSON.stringify({ email: 'utf8@x.io', password: PASSWORD }),
      contentType: 'application/json; charset=utf-8',
    });
    expect(res.status).toBe(201);
  });

  it.each([
    ['an empty body', undefined],
    ['null', null],
    ['an array', [{ email: 'a@x.io', password: PASSWORD }]],
    ['a string', 'a@x.io'],
    ['a number', 5],
    ['missing email', { password: PASSWORD }],
    ['missing password', { email: 'a@x.io' }],
    ['email: 5', { email: 5, password: PASSWORD }],
    ['email: null', { email: null, password: PASSWORD }],
    ['email: array', { email: ['a@x.io'], password: PASSWORD }],
    ['email: object', { email: { $ne: '' }, password: PASSWORD }],
    ['password: null', { email: 'a@x.io', password: null }],
    ['password: number', { email: 'a@x.io', password: 12345678 }],
    ['password: array', { email: 'a@x.io', password: [PASSWORD] }],
    ['password: object', { email: 'a@x.io', password: { $gt: '' } }],
    ['password: boolean', { email: 'a@x.io', password: true }],
  ])('signup and login with %s → 400 bad_request', async (_name, json) => {
    server = await startTestServer();
    const client = browser(server);
    await signup(client, 'a@x.io');
    for (const path of ['/auth/signup', '/auth/login']) {
      const res = json === undefined ? await client.post(path, { contentType: 'application/json' }) : await client.post(path, { json });
      expectProblem(res, 400, 'bad_request', [PASSWORD]);
      expect(res.setCookies).toEqual([]);
    }
  });

  it.each([
    ['an unknown transport', { transport: 'smoke-signal' }],
    ['transport: null', { transport: null }],
    ['transport: array', { transport: ['bearer'] }],
  ])('login with %s → 400 bad_request', async (_name, extra) => {
    server = await startTestServer();
    const client = browser(server);
    await signup(client, 'a@x.io');
    const res = await client.post('/auth/login', { json: { email: 'a@x.io', password: PASSWORD, ...extra } });
    expectProblem(res, 400, 'bad_request', [PASSWORD]);
    expect(res.setCookies).toEqual([]);
  });

  it('unknown fields are not a way in: roles in the signup body are ignored', async () => {
    server = await startTestServer();
    const client = browser(server);
    const res = await client.post('/auth/signup', { json: { email: 'sneaky@x.io', password: PASSWORD, roles: ['admin'] } });
    expect([201, 400]).toContain(res.status);
    if (res.status === 201) expect(res.body.user.roles).toEqual([]);
  });

  it('PUT roles with a malformed body → 400, with text/plain → 400, over 64 KiB → 413', async () => {
    server = await startTestServer({ adminEmail: 'root@x.io', adminPassword: PASSWORD });
    const admin = browser(server);
    await login(admin, 'root@x.io');
    const { user } = await newUser(server, 'alice@x.io');
    const path = `/admin/users/${user.id}/roles`;
    expectProblem(await admin.request('PUT', path, { rawBody: '{"roles": [', contentType: 'application/json' }), 400, 'bad_request');
    expectProblem(await admin.request('PUT', path, { rawBody: '{"roles": []}', contentType: 'text/plain' }), 400, 'bad_request');
    const huge = JSON.stringify({ roles: Array.from({ length: 10_000 }, () => 'editor') });
    expectProblem(await admin.request('PUT', path, { rawBody: huge, contentType: 'application/json' }), 413, 'payload_too_large');
  });

  it.each([
    ['a bad percent-escape in a session id', 'DELETE', '/auth/sessions/%zz'],
    ['a truncated UTF-8 escape in a session id', 'DELETE', '/auth/sessions/%E0%A4%A'],
    ['a bad percent-escape in a user id', 'PUT', '/admin/users/%zz/roles'],
    ['a lone % as the path', 'GET', '/%'],
    ['a 300-character session id', 'DELETE', `/auth/sessions/${'x'.repeat(300)}`],
    ['a 300-character user id', 'PUT', `/admin/users/${'x'.repeat(300)}/roles`],
  ])('a URL with %s → a 4xx problem+json, not the framework’s own error body', async (_name, method, path) => {
    server = await startTestServer();
    const { client } = await newUser(server, 'alice@x.io');
    const res = await client.request(method, path, method === 'PUT' ? { json: { roles: [] } } : {});
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers.get('content-type') ?? '').toMatch(/^application\/problem\+json\b/);
    expect(['bad_request', 'not_found']).toContain(res.body.code);
    expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status: res.status });
    expect(res.text).not.toContain('FST_ERR');
  });

  it('deeply nested JSON → 400 (no stack overflow, no 5xx)', async () => {
    server = await startTestServer();
    const res = await browser(server).post('/auth/login', { rawBody: '['.repeat(30_000) + ']'.repeat(30_000), contentType: 'application/json' });
    expectProblem(res, 400, 'bad_request');
  });

  it('a huge number of cookies or a very long CSRF header does not crash anything', async () => {
    server = await startTestServer();
    const { client } = await newUser(server, 'alice@x.io');
    const cookies = Array.from({ length: 200 }, (_, i) => `c${i}=v`).join('; ');
    const res = await client.get('/auth/me', { headers: { cookie: `${cookies}; ${SESSION_COOKIE}=${client.cookie(SESSION_COOKIE)!}` } });
    expect(res.status).toBeLessThan(500);
    const csrf = await client.post('/auth/logout', { headers: { 'x-csrf-token': 'z'.repeat(4000) } });
    expectProblem(csrf, 403, 'csrf_rejected');
  });
});

describe('a store failure fails closed', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('with the store closed underneath: me → 503 unavailable (not 200, not 500) and readyz → 503', async () => {
    server = await startTestServer();
    const { client } = await newUser(server, 'alice@x.io');
    const bearerLogin = await createClient(server.url).post('/auth/login', {
      json: { email: 'alice@x.io', password: PASSWORD, transport: 'bearer' },
    });
    const token = bearerLogin.body.access_token as string;
    expect((await client.get('/auth/me')).status).toBe(200);
    expect((await createClient(server.url).get('/readyz')).status).toBe(200);

    await server.store.close();

    expectProblem(await client.get('/auth/me'), 503, 'unavailable', [client.cookie(SESSION_COOKIE)!]);
    expectProblem(await createClient(server.url).get('/auth/me', { headers: { authorization: `Bearer ${token}` } }), 503, 'unavailable', [token]);
    expectProblem(await createClient(server.url).get('/readyz'), 503, 'unavailable');
    expectProblem(await client.get('/auth/sessions'), 503, 'unavailable');
    expectProblem(await client.post('/auth/logout'), 503, 'unavailable');
    const loginRes = await createClient(server.url).post('/auth/login', { json: { email: 'alice@x.io', password: PASSWORD } });
    expectProblem(loginRes, 503, 'unavailable', [PASSWORD]);
    expect(loginRes.setCookies).toEqual([]);
    expectProblem(await createClient(server.url).post('/auth/signup', { json: { email: 'new@x.io', password: PASSWORD } }), 503, 'unavailable', [PASSWORD]);
    // Liveness does not depend on the store.
    expect((await createClient(server.url).get('/healthz')).status).toBe(200);
  });
});
