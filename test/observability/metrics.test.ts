/**
 * `GET /metrics` of the reference server: Prometheus text from a per-app registry, auth decisions
 * by posture and result, latency by route pattern, store latency and errors, rate-limit hits,
 * sessions, the jwt-push feed, parser refusals; and who may read it.
 */
import { register as globalRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/core/errors.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { isLoopbackAddress } from '../../src/server/metrics-route.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import type { Store } from '../../src/stores/types.js';
import { createClient } from '../helpers/client.js';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/server.js';
import { rawRequest } from '../hostile/support.js';
import { CHEAP, PASSWORD, scrape, valueOf } from './support.js';

const servers: Array<TestServer | RunningServer> = [];
async function start(options: TestServerOptions = {}): Promise<TestServer> {
  const server = await startTestServer({ store: 'memory', ...options, tessera: { ...CHEAP, ...options.tessera } });
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function signupAndLogin(server: TestServer, email: string) {
  const browser = createClient(server.url, { origin: server.origin });
  const user = (await browser.post('/auth/signup', { json: { email, password: PASSWORD } })).body.user;
  expect((await browser.post('/auth/login', { json: { email, password: PASSWORD } })).status).toBe(200);
  return { browser, user };
}

describe('GET /metrics', () => {
  it('serves Prometheus text from a registry of its own: servers in one process do not mix, the global registry stays empty', async () => {
    const a = await start();
    const b = await start({ mode: 'jwt' });
    await createClient(a.url).get('/auth/me');
    await createClient(a.url).get('/auth/me');
    const fromA = await scrape(a);
    const fromB = await scrape(b);
    expect(valueOf(fromA.samples, 'tessera_auth_decisions_total', { mode: 'session', result: 'missing' })).toBe(2);
    expect(valueOf(fromB.samples, 'tessera_auth_decisions_total', { mode: 'jwt', result: 'missing' })).toBe(0);
    expect(valueOf(fromA.samples, 'tessera_info', { mode: 'session', store: 'memory' })).toBe(1);
    expect(valueOf(fromB.samples, 'tessera_info', { mode: 'jwt' })).toBe(1);
    expect(globalRegistry.getMetricsAsArray()).toHaveLength(0);
    for (const name of ['tessera_http_request_duration_seconds', 'tessera_store_call_duration_seconds', 'tessera_sessions_active', 'tessera_rate_limited_total']) {
      expect(fromA.text).toContain(`# TYPE ${name}`);
    }
  });

  it('counts auth decisions by result in the session posture (ok, missing, malformed, invalid, csrf_rejected)', async () => {
    const server = await start();
    const { browser } = await signupAndLogin(server, 'alice@example.com');
    const api = createClient(server.url);
    await browser.get('/auth/me'); // ok
    await browser.get('/auth/sessions'); // ok
    await api.get('/auth/me'); // missing
    await api.get('/auth/me', { headers: { authorization: 'Basic YWxpY2U6c2VjcmV0' } }); // malformed
    await api.get('/auth/me', { headers: { authorization: `Bearer ${'A'.repeat(43)}` } }); // invalid: well-formed, unknown
    expect((await browser.post('/auth/logout-all', { withCsrf: false })).status).toBe(403); // csrf_rejected (token)
    expect((await browser.post('/auth/logout-all', { headers: { origin: 'https://evil.example' } })).status).toBe(403); // csrf_rejected (origin)
    const { samples } = await scrape(server);
    const result = (r: string) => valueOf(samples, 'tessera_auth_decisions_total', { mode: 'session', result: r });
    expect({ ok: result('ok'), missing: result('missing'), malformed: result('malformed'), invalid: result('invalid'), csrf: result('csrf_rejected') }).toEqual({
      ok: 2,
      missing: 1,
      malformed: 1,
      invalid: 1,
      csrf: 2,
    });
    expect(result('expired')).toBe(0);
    expect(result('revoked')).toBe(0);
  });

  it.each(['session', 'jwt'] as const)(
    '%s: the Authorization header is parsed for its scheme, the token for its shape by the posture: a token with characters no credential has is still malformed, never invalid',
    async (mode) => {
      const server = await start({ mode });
      const { browser } = await signupAndLogin(server, 'alice@example.com');
      const login = await browser.post('/auth/login', { json: { email: 'alice@example.com', password: PASSWORD, transport: 'bearer' } });
      const token = login.body.access_token as string;
      const api = createClient(server.url);
      const status = async (authorization: string) => (await api.get('/auth/me', { headers: { authorization } })).status;
      // RFC 6750 / RFC 9110: any case of the scheme, one or more spaces.
      expect([await status(`Bearer ${token}`), await status(`bEaReR   ${token}`)]).toEqual([200, 200]);
      const malformed = ['Bearer not/a valid token!', `Bearer ${token} x`, `Bearer ${token},`, `Bearer "${token}"`, 'Bearer', `Bearer${token}`, `Basic ${token}`];
      for (const authorization of malformed) expect(await status(authorization)).toBe(401);
      const { samples } = await scrape(server);
      const result = (r: string) => valueOf(samples, 'tessera_auth_decisions_total', { mode, result: r });
      expect({ ok: result('ok'), malformed: result('malformed'), invalid: result('invalid') }).toEqual({ ok: 2, malformed: malformed.length, invalid: 0 });
    },
  );

  it('keeps counting across scrapes: each scrape shows the running total, never the count since the last one', async () => {
    const server = await start({ mode: 'jwt' });
    const api = createClient(server.url);
    const missing = async () => valueOf((await scrape(server)).samples, 'tessera_auth_decisions_total', { mode: 'jwt', result: 'missing' });
    await api.get('/auth/me');
    expect(await missing()).toBe(1);
    expect(await missing()).toBe(1);
    await api.get('/auth/me');
    await api.get('/auth/me');
    expect(await missing()).toBe(3);
  });

  it('counts expired and revoked access tokens in jwt-denylist', async () => {
    const server = await start({ mode: 'jwt-denylist' });
    const api = createClient(server.url);
    await api.post('/auth/signup', { json: { email: 'bob@example.com', password: PASSWORD } });
    const login = async () => (await api.post('/auth/login', { json: { email: 'bob@example.com', password: PASSWORD, transport: 'bearer' } })).body.access_token as string;
    const first = await login();
    expect((await api.post('/auth/logout-all', { headers: { authorization: `Bearer ${first}` } })).status).toBe(204); // ok
    expect((await api.get('/auth/me', { headers: { authorization: `Bearer ${first}` } })).status).toBe(401); // revoked
    server.clock.advance(1000);
    const second = await login();
    server.clock.advance((server.tessera.config.jwt.accessTtlSeconds + 60) * 1000);
    expect((await api.get('/auth/me', { headers: { authorization: `Bearer ${second}` } })).status).toBe(401); // expired
    const { samples } = await scrape(server);
    const result = (r: string) => valueOf(samples, 'tessera_auth_decisions_total', { mode: 'jwt-denylist', result: r });
    expect({ ok: result('ok'), revoked: result('revoked'), expired: result('expired') }).toEqual({ ok: 1, revoked: 1, expired: 1 });
  });

  it('labels request latency with the route pattern, never the URL, an id or a query', async () => {
    const server = await start();
    const { browser } = await signupAndLogin(server, 'carol@example.com');
    const sessions = (await browser.get('/auth/sessions')).body.sessions as Array<{ id: string }>;
    const sessionId = sessions[0]!.id;
    const cookie = browser.cookie('__Host-tessera_sid')!;
    await createClient(server.url, { origin: server.origin }).post('/auth/login', { json: { email: 'carol@example.com', password: PASSWORD } });
    expect((await browser.request('DELETE', `/auth/sessions/${sessionId}`)).status).toBe(204);
    await createClient(server.url).get('/no/such/route?token=sekrit-query-value');
    const { text, samples } = await scrape(server);
    expect(valueOf(samples, 'tessera_http_request_duration_seconds_count', { method: 'DELETE', route: '/auth/sessions/:id', status: '204' })).toBe(1);
    expect(valueOf(samples, 'tessera_http_request_duration_seconds_count', { method: 'POST', route: '/auth/login', status: '200' })).toBe(2);
    expect(valueOf(samples, 'tessera_http_request_duration_seconds_count', { route: 'unmatched', status: '404' })).toBe(1);
    expect(valueOf(samples, 'tessera_http_request_duration_seconds_bucket', { route: '/auth/login', le: '+Inf' })).toBe(2);
    for (const secret of [sessionId, 'sekrit-query-value', 'carol@example.com', '/no/such/route', cookie]) {
      expect(text).not.toContain(secret);
    }
  });

  it('reports store call latency by operation, and store errors when the store fails (the request fails closed)', async () => {
    const base = createMemoryStore();
    let failing = false;
    const store: Store = {
      ...base,
      sessions: {
        ...base.sessions,
        async getWithUser(hash, now) {
          if (failing) throw new StoreError('injected outage');
          return base.sessions.getWithUser(hash, now);
        },
      },
      close: () => base.close(),
    };
    const server = await start({ store: store as never });
    const { browser } = await signupAndLogin(server, 'dave@example.com');
    expect((await browser.get('/auth/me')).status).toBe(200);
    failing = true;
    expect((await browser.get('/auth/me')).status).toBe(503);
    expect((await browser.get('/auth/me')).status).toBe(503);
    failing = false;
    const { samples } = await scrape(server);
    expect(valueOf(samples, 'tessera_store_errors_total', { op: 'sessions.getWithUser' })).toBe(2);
    expect(valueOf(samples, 'tessera_store_call_duration_seconds_count', { op: 'sessions.getWithUser' })).toBe(3);
    expect(valueOf(samples, 'tessera_store_call_duration_seconds_count', { op: 'users.create' })).toBe(1);
    expect(valueOf(samples, 'tessera_store_call_duration_seconds_count', { op: 'sessions.create' })).toBe(1);
    expect(valueOf(samples, 'tessera_http_request_duration_seconds_count', { route: '/auth/me', status: '503' })).toBe(2);
    // Decisions are not counted for a request the store could not answer.
    expect(valueOf(samples, 'tessera_auth_decisions_total', { result: 'ok' })).toBe(1);
  });

  it('counts rate-limited requests by route', async () => {
    const server = await start();
    const api = createClient(server.url);
    await api.post('/auth/signup', { json: { email: 'erin@example.com', password: PASSWORD } });
    const statuses: number[] = [];
    for (let i = 0; i < 13; i++) statuses.push((await api.post('/auth/login', { json: { email: 'erin@example.com', password: `wrong ${i} password` } })).status);
    const limited = statuses.filter((s) => s === 429).length;
    expect(limited).toBeGreaterThan(0);
    const { samples } = await scrape(server);
    expect(valueOf(samples, 'tessera_rate_limited_total', { route: '/auth/login' })).toBe(limited);
  });

  it.each(['session', 'jwt'] as const)('tracks sessions created and ended (approximate active gauge) in %s', async (mode) => {
    const server = await start({ mode });
    const { browser: one } = await signupAndLogin(server, 'frank@example.com');
    const two = createClient(server.url, { origin: server.origin });
    await two.post('/auth/login', { json: { email: 'frank@example.com', password: PASSWORD } });
    const three = createClient(server.url, { origin: server.origin });
    await three.post('/auth/login', { json: { email: 'frank@example.com', password: PASSWORD } });
    let { samples } = await scrape(server);
    expect(valueOf(samples, 'tessera_sessions_active')).toBe(3);
    expect((await one.post('/auth/logout')).status).toBe(204);
    ({ samples } = await scrape(server));
    expect(valueOf(samples, 'tessera_sessions_active')).toBe(2);
    expect((await two.post('/auth/logout-all')).status).toBe(204);
    ({ samples } = await scrape(server));
    expect(valueOf(samples, 'tessera_sessions_active')).toBe(0);
    expect(valueOf(samples, 'tessera_sessions_created_total')).toBe(3);
    expect(valueOf(samples, 'tessera_sessions_ended_total')).toBe(3);
  });

  it('exposes the jwt-push revocation feed: state, staleness, lag after a revocation, entries', async () => {
    const server = await start({ mode: 'jwt-push' });
    const api = createClient(server.url);
    await api.post('/auth/signup', { json: { email: 'gina@example.com', password: PASSWORD } });
    const token = (await api.post('/auth/login', { json: { email: 'gina@example.com', password: PASSWORD, transport: 'bearer' } })).body.access_token;
    let { samples } = await scrape(server);
    const feed = server.tessera.posture().feed!;
    expect(valueOf(samples, 'tessera_revocation_feed_state', { state: feed.status })).toBe(1);
    expect(valueOf(samples, 'tessera_revocation_feed_stale')).toBe(feed.stale ? 1 : 0);
    expect(valueOf(samples, 'tessera_revocation_feed_lag_seconds')).toBeUndefined();
    expect((await api.post('/auth/logout-all', { headers: { authorization: `Bearer ${token}` } })).status).toBe(204);
    ({ samples } = await scrape(server));
    expect(valueOf(samples, 'tessera_revocation_feed_state', { state: 'up' })).toBe(1);
    expect(valueOf(samples, 'tessera_revocation_feed_stale')).toBe(0);
    expect(valueOf(samples, 'tessera_revocation_feed_lag_seconds', { quantile: '0.99' })).toBeGreaterThanOrEqual(0);
    expect(valueOf(samples, 'tessera_revocation_feed_entries')).toBeGreaterThanOrEqual(1);
  });

  it('the feed gauges are absent outside jwt-push', async () => {
    const { text } = await scrape(await start({ mode: 'jwt-denylist' }));
    expect(text).not.toMatch(/^tessera_revocation_feed_state\{/m);
  });

  it('counts requests the HTTP parser refused (431, 400)', async () => {
    const server = await start();
    await rawRequest(server.port, `GET / HTTP/1.1\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`, { untilClose: true });
    await rawRequest(server.port, 'BROKEN\r\n\r\n', { untilClose: true });
    const { samples } = await scrape(server);
    expect(valueOf(samples, 'tessera_http_client_errors_total', { reason: 'header_overflow' })).toBe(1);
    expect(valueOf(samples, 'tessera_http_client_errors_total', { reason: 'malformed' })).toBe(1);
  });
});

describe('who may read /metrics', () => {
  it('loopback (default): a request forwarded by a proxy is answered like an unknown route', async () => {
    const server = await start();
    for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip', 'x-forwarded-host']) {
      const res = await createClient(server.url).get('/metrics', { headers: { [header]: '203.0.113.7' } });
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
      expect(res.text).not.toContain('tessera_');
    }
  });

  it('off: no route at all; open: anyone who reaches the port', async () => {
    const off = await start({ metrics: 'off' });
    expect((await createClient(off.url).get('/metrics')).status).toBe(404);
    const open = await start({ metrics: 'open' });
    const res = await createClient(open.url).get('/metrics', { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(res.status).toBe(200);
    expect(res.text).toContain('tessera_auth_decisions_total');
  });

  it('recognises loopback peers only', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(address)).toBe(true);
    for (const address of [undefined, '', '10.0.0.1', '::ffff:10.0.0.1', '192.168.1.127', '::', '0.0.0.0', '::2', 'fe80::1']) expect(isLoopbackAddress(address)).toBe(false);
  });

});
