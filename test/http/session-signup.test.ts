import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../helpers/client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { browser, expectProblem, login, PASSWORD, signup } from './support.js';

describe('POST /auth/signup (session posture)', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('201 {user:{id,email,roles}} with the normalised email and nothing secret', async () => {
    server = await startTestServer();
    const res = await browser(server).post('/auth/signup', { json: { email: '  Alice@Example.COM ', password: PASSWORD } });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(res.body)).toEqual(['user']);
    expect(res.body.user).toEqual({ id: expect.any(String), email: 'alice@example.com', roles: [] });
    expect(res.body.user.id.length).toBeGreaterThan(0);
    expect(res.text).not.toContain(PASSWORD);
    expect(res.text).not.toMatch(/argon2|password|hash/i);
    expect(res.setCookies).toEqual([]);
  });

  it('the account can log in afterwards, under any case of its email', async () => {
    server = await startTestServer();
    const client = browser(server);
    const user = await signup(client, 'bob@example.com');
    const res = await login(client, 'BOB@example.com');
    expect(res.body.user).toEqual(user);
  });

  it.each([
    ['same address', 'alice@x.io', 'alice@x.io'],
    ['case and surrounding whitespace', 'Alice@X.io', ' alice@x.io '],
    ['fullwidth letters (NFKC)', 'alice@x.io', 'ａｌｉｃｅ@x.io'],
    ['fullwidth, the other way round', 'ＡＬＩＣＥ@X.IO', 'alice@x.io'],
  ])('409 conflict for a taken email: %s', async (_name, first, second) => {
    server = await startTestServer();
    const client = browser(server);
    await signup(client, first);
    const res = await client.post('/auth/signup', { json: { email: second, password: 'another password' } });
    expectProblem(res, 409, 'conflict', ['another password']);
  });

  it('concurrent signups for one email: exactly one 201, the rest 409, one account', async () => {
    server = await startTestServer();
    const results = await Promise.all(
      ['race@x.io', 'RACE@x.io', ' race@x.io', 'race@X.IO'].map((email, i) =>
        createClient(server!.url).post('/auth/signup', { json: { email, password: `password number ${i}` } }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409]);
    const winner = results.findIndex((r) => r.status === 201);
    const ok = await createClient(server.url).post('/auth/login', { json: { email: 'race@x.io', password: `password number ${winner}` } });
    expect(ok.status).toBe(200);
  });

  it.each([
    ['no @', 'alice.example.com'],
    ['empty', ''],
    ['only spaces', '   '],
    ['no domain dot', 'alice@localhost'],
    ['two @', 'a@b@c.io'],
    ['space inside', 'al ice@x.io'],
    ['empty local part', '@x.io'],
    ['very long', `${'a'.repeat(300)}@x.io`],
    ['a NUL', 'a\u0000@x.io'],
    ['a control character', 'a\u0007b@x.io'],
    ['a zero-width space', 'alice\u200b@x.io'],
    ['a right-to-left override', '\u202ealice@x.io'],
    ['a lone surrogate', '\ud800@x.io'],
    ['a lone low surrogate', 'a\udc00b@x.io'],
  ])('400 bad_request for an invalid email: %s', async (_name, email) => {
    server = await startTestServer();
    const res = await browser(server).post('/auth/signup', { json: { email, password: PASSWORD } });
    expectProblem(res, 400, 'bad_request', [PASSWORD]);
  });

  it('an address outside ASCII that is well formed is accepted, and logs in as it signed up', async () => {
    server = await startTestServer();
    const email = 'zoë.😀@x.io';
    const res = await browser(server).post('/auth/signup', { json: { email, password: PASSWORD } });
    expect(res.status, res.text).toBe(201);
    expect(res.body.user.email).toBe(email);
    const login = await browser(server).post('/auth/login', { json: { email, password: PASSWORD } });
    expect(login.status, login.text).toBe(200);
    expect(login.body.user.email).toBe(email);
  });

  it.each([
    ['empty', ''],
    ['7 characters', 'seven77'],
  ])('400 bad_request for a password that is too short: %s', async (_name, password) => {
    server = await startTestServer();
    const res = await browser(server).post('/auth/signup', { json: { email: 'short@x.io', password } });
    expectProblem(res, 400, 'bad_request');
  });

  it('8 characters is enough', async () => {
    server = await startTestServer();
    const res = await browser(server).post('/auth/signup', { json: { email: 'eight@x.io', password: 'eight888' } });
    expect(res.status).toBe(201);
  });

  it('400 bad_request for a password over 1024 bytes (multi-byte characters counted in bytes)', async () => {
    server = await startTestServer();
    const client = browser(server);
    const ascii = 'p'.repeat(1025);
    expectProblem(await client.post('/auth/signup', { json: { email: 'long@x.io', password: ascii } }), 400, 'bad_request', [ascii]);
    // 342 × 3 bytes = 1026 bytes but only 342 characters.
    const multibyte = '€'.repeat(342);
    expectProblem(await client.post('/auth/signup', { json: { email: 'long@x.io', password: multibyte } }), 400, 'bad_request', [multibyte]);
    // The same cap applies at login (before any hashing).
    expectProblem(await client.post('/auth/login', { json: { email: 'long@x.io', password: ascii } }), 400, 'bad_request', [ascii]);
    // Nothing was created.
    expect((await client.post('/auth/signup', { json: { email: 'long@x.io', password: PASSWORD } })).status).toBe(201);
  });

  it('exactly 1024 bytes is accepted', async () => {
    server = await startTestServer();
    const client = browser(server);
    const password = 'q'.repeat(1024);
    expect((await client.post('/auth/signup', { json: { email: 'max@x.io', password } })).status).toBe(201);
    expect((await client.post('/auth/login', { json: { email: 'max@x.io', password } })).status).toBe(200);
  });

  it('403 forbidden when signup is closed, and no account is created', async () => {
    server = await startTestServer({ signup: 'closed', adminEmail: 'root@x.io', adminPassword: PASSWORD });
    const client = browser(server);
    expectProblem(await client.post('/auth/signup', { json: { email: 'new@x.io', password: PASSWORD } }), 403, 'forbidden');
    const res = await createClient(server.url).post('/auth/login', { json: { email: 'new@x.io', password: PASSWORD } });
    expectProblem(res, 401, 'invalid_credentials');
    // Login still works for existing accounts.
    await login(client, 'root@x.io');
  });
});
