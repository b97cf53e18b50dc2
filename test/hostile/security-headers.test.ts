/**
 * Security headers on every response of the reference server: API answers, every kind of error
 * (400, 401, 403, 404, 413, 429, 431, 503), the demo page and its assets, the metrics text and the
 * JWKS. Every one carries `X-Content-Type-Options: nosniff`, a `Referrer-Policy`, and framing
 * refused (`X-Frame-Options: DENY` or CSP `frame-ancestors 'none'`); every auth response carries
 * `Cache-Control: no-store`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/core/errors.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import type { Store } from '../../src/stores/types.js';
import { createClient, type TestClient } from '../helpers/client.js';
import type { TestServer } from '../helpers/server.js';
import { PASSWORD, rawRequest, startHostileServer } from './support.js';

interface Seen {
  what: string;
  status: number;
  headers: Record<string, string>;
}

function fromFetch(what: string, res: { status: number; headers: Headers }): Seen {
  return { what, status: res.status, headers: Object.fromEntries(res.headers) };
}

function expectSecure(seen: Seen): void {
  const h = seen.headers;
  const label = `${seen.what} (${seen.status})`;
  expect(h['x-content-type-options'], label).toBe('nosniff');
  expect(h['referrer-policy'], label).toBe('no-referrer');
  const framing = h['x-frame-options'] === 'DENY' || /frame-ancestors 'none'/.test(h['content-security-policy'] ?? '');
  expect(framing, label).toBe(true);
  expect(h['content-security-policy'], label).toBeTruthy();
  expect(h['x-powered-by'], label).toBeUndefined();
  expect(h.server, label).toBeUndefined();
}

describe('security headers on every response', () => {
  let session: TestServer;
  let jwt: TestServer;
  let failing = false;
  let browser: TestClient;
  let jwtBrowser: TestClient;
  const seen: Seen[] = [];

  beforeAll(async () => {
    const base = createMemoryStore();
    const store: Store = {
      ...base,
      async ping() {
        if (failing) throw new StoreError('injected outage');
        return base.ping();
      },
      sessions: {
        ...base.sessions,
        async getWithUser(hash, now) {
          if (failing) throw new StoreError('injected outage');
          return base.sessions.getWithUser(hash, now);
        },
      },
      close: () => base.close(),
    };
    session = await startHostileServer({ mode: 'session', store: store as never, adminEmail: 'root@example.com', adminPassword: 'admin password 1' });
    jwt = await startHostileServer({ mode: 'jwt' });
    browser = createClient(session.url, { origin: session.origin });
    jwtBrowser = createClient(jwt.url, { origin: jwt.origin });
    await walk();
  });
  afterAll(async () => {
    await session?.close();
    await jwt?.close();
  });

  /** Requests every endpoint and error path once, recording each response's headers. */
  async function walk(): Promise<void> {
    const api = createClient(session.url);
    const record = async (what: string, p: Promise<{ status: number; headers: Headers }>, status?: number) => {
      const res = await p;
      if (status !== undefined) expect(res.status, what).toBe(status);
      seen.push(fromFetch(what, res));
    };
    await record('healthz', api.get('/healthz'), 200);
    await record('readyz', api.get('/readyz'), 200);
    await record('posture', api.get('/auth/posture'), 200);
    await record('signup', browser.post('/auth/signup', { json: { email: 'h@example.com', password: PASSWORD } }), 201);
    await record('signup conflict', browser.post('/auth/signup', { json: { email: 'h@example.com', password: PASSWORD } }), 409);
    await record('login bad JSON', api.post('/auth/login', { rawBody: '{', contentType: 'application/json' }), 400);
    await record('login wrong password', api.post('/auth/login', { json: { email: 'h@example.com', password: 'nope nope nope' } }), 401);
    await record('login', browser.post('/auth/login', { json: { email: 'h@example.com', password: PASSWORD } }), 200);
    await record('login bearer', api.post('/auth/login', { json: { email: 'h@example.com', password: PASSWORD, transport: 'bearer' } }), 200);
    await record('login 413', api.post('/auth/login', { rawBody: 'x'.repeat(70_000), contentType: 'application/json' }), 413);
    await record('me', browser.get('/auth/me'), 200);
    await record('me 401', api.get('/auth/me'), 401);
    await record('me bearer 401', api.get('/auth/me', { headers: { authorization: 'Bearer nope' } }), 401);
    await record('csrf', browser.get('/auth/csrf'), 200);
    await record('sessions', browser.get('/auth/sessions'), 200);
    await record('logout-all 403 csrf', browser.post('/auth/logout-all', { withCsrf: false }), 403);
    await record('delete session 404', browser.request('DELETE', '/auth/sessions/none'), 404);
    await record('admin 403', browser.get('/admin/users'), 403);
    await record('unknown route', api.get('/nope'), 404);
    await record('unknown method', api.request('PATCH', '/auth/me'), 404);
    await record('bad URL', api.get('/%zz'), 400);
    await record('long parameter', api.request('DELETE', `/auth/sessions/${'p'.repeat(300)}`), 400);
    await record('HEAD healthz', api.request('HEAD', '/healthz'), 200);
    await record('demo page', api.get('/'), 200);
    await record('asset', api.get('/assets/app.css'), 200);
    await record('missing asset', api.get('/assets/nope.js'), 404);
    await record('metrics', api.get('/metrics'), 200);
    await record('metrics refused', api.get('/metrics', { headers: { 'x-forwarded-for': '203.0.113.1' } }), 404);
    for (let i = 0; i < 11; i++) await api.post('/auth/login', { json: { email: 'root@example.com', password: 'wrong wrong wrong' } });
    await record('login 429', api.post('/auth/login', { json: { email: 'root@example.com', password: 'wrong wrong wrong' } }), 429);
    failing = true;
    await record('readyz 503', api.get('/readyz'), 503);
    await record('me 503', browser.get('/auth/me'), 503);
    failing = false;
    await record('logout', browser.post('/auth/logout'), 204);

    const jwtApi = createClient(jwt.url);
    await jwtApi.post('/auth/signup', { json: { email: 'j@example.com', password: PASSWORD } });
    await record('jwt login', jwtBrowser.post('/auth/login', { json: { email: 'j@example.com', password: PASSWORD } }), 200);
    await record('jwt refresh', jwtBrowser.post('/auth/refresh'), 200);
    await record('jwt refresh 401', jwtApi.post('/auth/refresh', { json: { refresh_token: 'nope' } }), 401);
    await record('jwks', jwtApi.get('/.well-known/jwks.json'), 200);

    for (const [what, request, status] of [
      ['431', `GET /auth/me HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
      ['400 from the parser', 'GARBAGE\r\n\r\n', 400],
    ] as const) {
      const res = await rawRequest(session.port, request, { untilClose: true });
      expect(res.status, what).toBe(status);
      seen.push({ what, status: res.status, headers: res.headers });
    }
  }

  it('nosniff, no referrer and no framing on each of them, error paths included', () => {
    expect(seen.length).toBeGreaterThan(35);
    for (const s of seen) expectSecure(s);
  });

  it('every auth and admin response, success or error, is Cache-Control: no-store; only the JWKS is cacheable', () => {
    for (const s of seen) {
      if (s.what === 'jwks') {
        expect(s.headers['cache-control']).toBe('public, max-age=300');
        continue;
      }
      expect(s.headers['cache-control'], `${s.what} (${s.status})`).toBe('no-store');
    }
  });

  it('API responses forbid everything but themselves in CSP; the page keeps its own, stricter-than-default policy', () => {
    const api = seen.filter((s) => !['demo page', 'asset'].includes(s.what));
    for (const s of api) expect(s.headers['content-security-policy'], s.what).toBe("default-src 'none'; frame-ancestors 'none'");
    const page = seen.find((s) => s.what === 'demo page')!;
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(page.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
  });
});
