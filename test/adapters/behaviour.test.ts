/**
 * One behaviour table, run unchanged against every adapter (Fastify, Express, Hono, the web
 * handler) in the session and jwt postures: the same guarantees as the reference server.
 */
import { describe, expect, it } from 'vitest';
import { createClient, type TestClient } from '../helpers/client.js';
import type { Tessera } from '../../src/index.js';
import { ADAPTERS, createTestTessera, ORIGIN, PASSWORD, type AdapterUnderTest, type Hits, type RunningApp } from './harness.js';

interface Ctx {
  app: RunningApp;
  tessera: Tessera;
  hits: Hits;
  /** A browser-like client sending the allowed Origin. */
  browser(): TestClient;
}

async function withApp(adapter: AdapterUnderTest, mode: 'session' | 'jwt', fn: (ctx: Ctx) => Promise<void>): Promise<void> {
  const tessera = createTestTessera(mode);
  const hits: Hits = { notes: 0, bodies: [] };
  const app = await adapter.start(tessera, hits);
  try {
    await fn({ app, tessera, hits, browser: () => createClient(app.url, { origin: ORIGIN }) });
  } finally {
    await app.close();
    await tessera.close();
    await tessera.config.store.close();
  }
}

async function loggedIn(ctx: Ctx, email: string): Promise<TestClient> {
  const client = ctx.browser();
  const signup = await client.post('/auth/signup', { json: { email, password: PASSWORD } });
  expect(signup.status, signup.text).toBe(201);
  const login = await client.post('/auth/login', { json: { email, password: PASSWORD } });
  expect(login.status, login.text).toBe(200);
  expect(client.csrf).toEqual(expect.any(String));
  return client;
}

function expectProblem(res: { status: number; headers: Headers; body: any }, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
}

/** A token with a valid shape whose signature (or value) is not Tessera's. */
function forgedTokens(mode: 'session' | 'jwt', genuine: string): Array<[string, string]> {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  if (mode === 'session') return [['random session id', Buffer.alloc(32, 7).toString('base64url')]];
  const [header, payload, signature] = genuine.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  return [
    ['payload changed to admin, signature kept', `${header}.${b64({ ...claims, roles: ['admin'] })}.${signature}`],
    ['alg none', `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({ ...claims, roles: ['admin'] })}.`],
    ['signature of another key', `${header}.${payload}.${Buffer.alloc(64, 1).toString('base64url')}`],
  ];
}

for (const mode of ['session', 'jwt'] as const) {
  for (const adapter of ADAPTERS) {
    describe(`${adapter.name} adapter, ${mode} posture`, () => {
      it('serves the public route and refuses the protected one without credentials (401)', () =>
        withApp(adapter, mode, async (ctx) => {
          const client = ctx.browser();
          expect((await client.get('/public')).status).toBe(200);
          expectProblem(await client.get('/protected'), 401, 'unauthenticated');
          expectProblem(await client.get('/admin'), 401, 'unauthenticated');
        }));

      it('serves the protected route after a cookie login and sets req.auth', () =>
        withApp(adapter, mode, async (ctx) => {
          const client = await loggedIn(ctx, 'ann@example.com');
          const res = await client.get('/protected');
          expect(res.status).toBe(200);
          expect(res.body).toEqual({ email: 'ann@example.com' });
          expect((await client.get('/auth/me')).body.user.email).toBe('ann@example.com');
        }));

      it('refuses the admin route to a user (403) and serves it to an admin', () =>
        withApp(adapter, mode, async (ctx) => {
          const user = await loggedIn(ctx, 'user@example.com');
          expectProblem(await user.get('/admin'), 403, 'forbidden');
          await ctx.tessera.ensureAdmin('admin@example.com', PASSWORD);
          const admin = ctx.browser();
          expect((await admin.post('/auth/login', { json: { email: 'admin@example.com', password: PASSWORD } })).status).toBe(200);
          const res = await admin.get('/admin');
          expect(res.status).toBe(200);
          expect(res.body).toEqual({ admin: 'admin@example.com' });
        }));

      it('refuses forged bearer tokens (401 with WWW-Authenticate) and accepts the genuine one', () =>
        withApp(adapter, mode, async (ctx) => {
          const client = ctx.browser();
          await client.post('/auth/signup', { json: { email: 'bea@example.com', password: PASSWORD } });
          const login = await client.post('/auth/login', { json: { email: 'bea@example.com', password: PASSWORD, transport: 'bearer' } });
          expect(login.status).toBe(200);
          const genuine: string = login.body.access_token;
          const api = createClient(ctx.app.url);
          expect((await api.get('/protected', { headers: { authorization: `Bearer ${genuine}` } })).status).toBe(200);
          for (const [label, token] of forgedTokens(mode, genuine)) {
            const res = await api.get('/protected', { headers: { authorization: `Bearer ${token}` } });
            expectProblem(res, 401, 'unauthenticated');
            expect(res.headers.get('www-authenticate'), label).toMatch(/^Bearer .*error="invalid_token"/);
          }
        }));

      it("refuses a cross-site POST to the app's own route (403 csrf_rejected) without running it", () =>
        withApp(adapter, mode, async (ctx) => {
          const client = await loggedIn(ctx, 'cat@example.com');
          const attempts: Array<[string, Record<string, string>, boolean]> = [
            ['Origin of another site, valid token', { origin: 'https://evil.example' }, true],
            ['Origin: null, valid token', { origin: 'null' }, true],
            ['Sec-Fetch-Site: cross-site, valid token', { 'sec-fetch-site': 'cross-site' }, true],
            ['allowed Origin, no token', {}, false],
            ['allowed Origin, wrong token', { 'x-csrf-token': 'A'.repeat(43) }, true],
          ];
          for (const [label, headers, withCsrf] of attempts) {
            const res = await client.post('/notes', { json: { text: label }, headers, withCsrf });
            expect({ label, status: res.status, code: res.body?.code }).toEqual({ label, status: 403, code: 'csrf_rejected' });
          }
          expect(ctx.hits.notes).toBe(0);
        }));

      it("accepts the app's own POST with the CSRF token and the allowed Origin, body intact", () =>
        withApp(adapter, mode, async (ctx) => {
          const client = await loggedIn(ctx, 'dan@example.com');
          const res = await client.post('/notes', { json: { text: 'hello' } });
          expect(res.status, res.text).toBe(200);
          expect(res.body).toEqual({ saved: true });
          expect(ctx.hits).toEqual({ notes: 1, bodies: [{ text: 'hello' }] });
        }));

      it('logs out (204, cookies cleared), then refuses the protected route (401)', () =>
        withApp(adapter, mode, async (ctx) => {
          const client = await loggedIn(ctx, 'eve@example.com');
          const cookieName = mode === 'session' ? '__Host-tessera_sid' : '__Host-tessera_at';
          const credential = client.cookie(cookieName)!;
          expect(credential).toEqual(expect.any(String));
          const logout = await client.post('/auth/logout');
          expect(logout.status).toBe(204);
          expect(logout.setCookies.map((c) => [c.name, c.attributes['max-age']])).toContainEqual([cookieName, '0']);
          expectProblem(await client.get('/protected'), 401, 'unauthenticated');
          if (mode === 'session') {
            // The server forgot the session: replaying the old cookie does not help.
            client.setCookie(cookieName, credential);
            expectProblem(await client.get('/protected'), 401, 'unauthenticated');
          }
        }));
    });
  }
}
