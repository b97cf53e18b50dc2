import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { browser, expectProblem, login, newUser } from './support.js';

const SECOND = 1000;
/** Small TTLs: idle 5 min, absolute 20 min, touched at most once a minute. */
const session = { idleTtlSeconds: 300, absoluteTtlSeconds: 1200, touchIntervalSeconds: 60 };

describe('session expiry with the manual clock', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('idle expiry: no request for longer than the idle TTL → 401', async () => {
    server = await startTestServer({ tessera: { session } });
    const { client } = await newUser(server, 'alice@x.io');
    const login = await client.get('/auth/me');
    expect(Date.parse(login.body.session.expires_at)).toBe(server.clock.now() + 300 * SECOND);
    server.clock.advance(299 * SECOND);
    const other = await newUser(server, 'bob@x.io');
    server.clock.advance(2 * SECOND);
    expectProblem(await client.get('/auth/me'), 401, 'unauthenticated');
    // Only the idle session died.
    expect((await other.client.get('/auth/me')).status).toBe(200);
  });

  it('just before the idle deadline the session still works', async () => {
    server = await startTestServer({ tessera: { session } });
    const { client } = await newUser(server, 'alice@x.io');
    server.clock.advance(299 * SECOND);
    expect((await client.get('/auth/me')).status).toBe(200);
  });

  it('sliding: requests every 4 minutes keep it alive past the first idle deadline; then idle expiry from the last request', async () => {
    server = await startTestServer({ tessera: { session } });
    const { client } = await newUser(server, 'alice@x.io');
    const start = server.clock.now();
    for (let i = 1; i <= 3; i++) {
      server.clock.advance(240 * SECOND);
      const res = await client.get('/auth/me');
      expect(res.status, `after ${i * 4} minutes`).toBe(200);
      // Slid to one idle TTL from now, but never past the absolute deadline.
      expect(Date.parse(res.body.session.expires_at)).toBe(Math.min(server.clock.now() + 300 * SECOND, start + 1200 * SECOND));
    }
    expect(server.clock.now() - start).toBe(720 * SECOND); // 12 min > 5 min idle
    // Then idle again: it dies one idle TTL after the last request (at 17 min, before the 20 min cap).
    server.clock.advance(301 * SECOND);
    expectProblem(await client.get('/auth/me'), 401, 'unauthenticated');
  });

  it('sliding also holds when the idle TTL is shorter than the touch interval (or that config is refused)', async () => {
    // idle 30 s with the default once-a-minute touch: a request every 20 s must keep the session
    // alive. If the touch throttle is not capped by the idle TTL, the session dies at 30 s.
    const config = { idleTtlSeconds: 30, absoluteTtlSeconds: 600 };
    let started: TestServer;
    try {
      started = await startTestServer({ tessera: { session: config } });
    } catch (err) {
      expect(String(err)).toMatch(/touchInterval|idleTtl/);
      return;
    }
    server = started;
    const { client } = await newUser(server, 'alice@x.io');
    for (let t = 20; t <= 100; t += 20) {
      server.clock.advance(20 * SECOND);
      expect((await client.get('/auth/me')).status, `request at ${t} s`).toBe(200);
    }
  });

  it('absolute cap: even with steady activity the session dies at the absolute TTL', async () => {
    server = await startTestServer({ tessera: { session } });
    const { client } = await newUser(server, 'alice@x.io');
    const start = server.clock.now();
    // Every 4 minutes up to 16 min, then 3 more to 19 min 59 s: all alive.
    for (let t = 240; t <= 960; t += 240) {
      server.clock.set(start + t * SECOND);
      expect((await client.get('/auth/me')).status, `at ${t} s`).toBe(200);
    }
    server.clock.set(start + 1199 * SECOND);
    const last = await client.get('/auth/me');
    expect(last.status).toBe(200);
    // The reported expiry never passes the absolute deadline.
    expect(Date.parse(last.body.session.expires_at)).toBe(start + 1200 * SECOND);
    server.clock.set(start + 1200 * SECOND + 1);
    expectProblem(await client.get('/auth/me'), 401, 'unauthenticated');
    // And it is gone from the list of a fresh login.
    const again = browser(server);
    await login(again, 'alice@x.io');
    expect((await again.get('/auth/sessions')).body.sessions).toHaveLength(1);
  });

  it('an expired session is not listed among the user sessions', async () => {
    server = await startTestServer({ tessera: { session } });
    const { client: stale } = await newUser(server, 'alice@x.io', 'Stale');
    server.clock.advance(200 * SECOND);
    const active = browser(server, 'Active');
    await login(active, 'alice@x.io');
    server.clock.advance(150 * SECOND); // stale: 350 s idle; active: 150 s
    const res = await active.get('/auth/sessions');
    expect(res.body.sessions.map((s: { user_agent: string }) => s.user_agent)).toEqual(['Active']);
    expect((await stale.get('/auth/me')).status).toBe(401);
  });

  it('last_seen_at is written at most about once a minute', async () => {
    server = await startTestServer({ tessera: { session } });
    const { client } = await newUser(server, 'alice@x.io');
    const start = server.clock.now();
    const lastSeen = async () => {
      const res = await client.get('/auth/sessions');
      expect(res.status).toBe(200);
      return Date.parse(res.body.sessions[0].last_seen_at as string);
    };
    expect(await lastSeen()).toBe(start);
    server.clock.advance(10 * SECOND);
    expect(await lastSeen()).toBe(start);
    server.clock.advance(10 * SECOND);
    expect(await lastSeen()).toBe(start);
    server.clock.set(start + 61 * SECOND);
    expect(await lastSeen()).toBe(start + 61 * SECOND);
    server.clock.advance(10 * SECOND);
    expect(await lastSeen()).toBe(start + 61 * SECOND);
  });

  it('bearer sessions expire the same way', async () => {
    server = await startTestServer({ tessera: { session } });
    const { client } = await newUser(server, 'alice@x.io');
    const res = await client.post('/auth/login', { json: { email: 'alice@x.io', password: 'correct horse battery', transport: 'bearer' } });
    expect(res.body.expires_in).toBe(300);
    const token = res.body.access_token as string;
    server.clock.advance(301 * SECOND);
    const after = await client.get('/auth/me', { headers: { authorization: `Bearer ${token}` }, withCookies: false });
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });
});
