/**
 * The reference server's logs: exactly one structured line per request, and no line ever holds a
 * token, a session id, a cookie, a CSRF token, a password, a password hash or an email used in the
 * test. Every route is driven (cookie and bearer logins, refresh, logout, CSRF, sessions, admin,
 * failed logins, bad tokens, refusals at every layer), at the most verbose level.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Mode } from '../../src/core/config.js';
import { createClient, type ClientResponse, type TestClient } from '../helpers/client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { rawRequest } from '../hostile/support.js';
import { captureLog, CHEAP, PASSWORD, type CapturedLog } from './support.js';

const ADMIN = { email: 'root@example.com', password: 'admin password 1' };
const USER = { email: 'Victim.Person@Example.com', password: PASSWORD };

let server: TestServer | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await server?.close();
  server = undefined;
});

/** Everything secret the test handles; none of it may reach a log line. */
class Secrets {
  readonly values = new Set<string>();
  add(...values: Array<string | undefined | null>): void {
    for (const v of values) if (typeof v === 'string' && v.length >= 6) this.values.add(v);
  }
  /** Remembers every cookie, token and CSRF token a response handed out. */
  fromResponse(res: ClientResponse): ClientResponse {
    for (const c of res.setCookies) this.add(c.value);
    const body = res.body as Record<string, unknown> | undefined;
    if (body && typeof body === 'object') {
      this.add(body.access_token as string, body.refresh_token as string, body.csrf_token as string);
      const session = body.session as { id?: string } | undefined;
      this.add(session?.id);
    }
    return res;
  }
}

async function run(mode: Mode): Promise<{ log: CapturedLog; secrets: Secrets; requests: number; rawRequests: number }> {
  const log = captureLog();
  const fetchSpy = vi.spyOn(globalThis, 'fetch');
  server = await startTestServer({
    mode,
    store: 'memory',
    logLevel: 'trace',
    logStream: log.stream,
    adminEmail: ADMIN.email,
    adminPassword: ADMIN.password,
    tessera: CHEAP,
  });
  const s = server;
  const secrets = new Secrets();
  secrets.add(USER.password, ADMIN.password, USER.email, USER.email.toLowerCase(), ADMIN.email, 'wrong password 123');
  const track = async (p: Promise<ClientResponse>) => secrets.fromResponse(await p);
  const browser = createClient(s.url, { origin: s.origin, userAgent: 'Mozilla/5.0 (LogTest)' });
  const api = createClient(s.url);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  await track(api.get('/healthz'));
  await track(api.get('/readyz'));
  await track(api.get('/auth/posture'));
  const user = (await track(browser.post('/auth/signup', { json: USER }))).body.user as { id: string };
  await track(browser.post('/auth/signup', { json: USER })); // 409
  await track(api.post('/auth/signup', { rawBody: `{"email":"${USER.email}","password":`, contentType: 'application/json' })); // 400
  await track(api.post('/auth/login', { json: { email: USER.email, password: 'wrong password 123' } })); // 401
  await track(browser.post('/auth/login', { json: USER })); // cookie login
  const bearerLogin = await track(api.post('/auth/login', { json: { ...USER, transport: 'bearer' } }));
  const access = bearerLogin.body.access_token as string;
  const refresh = bearerLogin.body.refresh_token as string | undefined;
  const admin = (await track(api.post('/auth/login', { json: { ...ADMIN, transport: 'bearer' } }))).body.access_token as string;

  await track(browser.get('/auth/me'));
  await track(api.get('/auth/me', { headers: bearer(access) }));
  await track(api.get('/auth/me'));
  const forged = `${access.slice(0, -4)}AAAA`;
  secrets.add(forged);
  await track(api.get('/auth/me', { headers: bearer(forged) }));
  await track(api.get('/auth/me', { headers: { cookie: `__Host-tessera_sid=${'S'.repeat(43)}; __Host-tessera_at=${forged}` } }));
  await track(browser.get('/auth/csrf'));
  const sessions = (await track(browser.get('/auth/sessions'))).body.sessions as Array<{ id: string; current: boolean }>;
  for (const row of sessions) secrets.add(row.id);
  await track(browser.post('/auth/logout-all', { withCsrf: false })); // 403 csrf_rejected
  await track(browser.post('/auth/logout-all', { headers: { origin: 'https://evil.example' } })); // 403 csrf_rejected
  const other = sessions.find((row) => !row.current)!;
  await track(browser.request('DELETE', `/auth/sessions/${other.id}`));
  await track(browser.request('DELETE', `/auth/sessions/${'n'.repeat(20)}`)); // 404

  if (mode !== 'session') {
    await track(api.get('/.well-known/jwks.json'));
    await track(browser.post('/auth/refresh'));
    await track(api.post('/auth/refresh', { json: { refresh_token: refresh } }));
    await track(api.post('/auth/refresh', { json: { refresh_token: refresh } })); // reuse outside grace? still a line
    await track(api.post('/auth/refresh', { json: { refresh_token: 'R'.repeat(43) } }));
  }

  await track(api.get('/admin/users', { headers: bearer(admin) }));
  await track(api.get('/admin/users', { headers: bearer(access) })); // 403
  await track(api.request('PUT', `/admin/users/${user.id}/roles`, { headers: bearer(admin), json: { roles: ['editor'] } }));
  await track(api.post(`/admin/users/${user.id}/disable`, { headers: bearer(admin) }));
  await track(api.post(`/admin/users/${user.id}/enable`, { headers: bearer(admin) }));

  await track(api.get(`/no/such/route?token=${access}&password=${encodeURIComponent(USER.password)}`));
  await track(api.get(`/auth/me?access_token=${access}`));
  await track(api.post('/auth/login', { rawBody: `{"email":"${USER.email}","password":"${USER.password}","pad":"${'x'.repeat(70_000)}"}`, contentType: 'application/json' })); // 413
  await track(api.get('/metrics'));
  await track(api.get('/'));

  // Throttled: the account's failures run out, then a correct password gets 429 too.
  const throttled = createClient(s.url);
  for (let i = 0; i < 11; i++) await track(throttled.post('/auth/login', { json: { email: ADMIN.email, password: 'wrong password 123' } }));
  await track(throttled.post('/auth/login', { json: ADMIN }));

  const logoutCookie = browser.cookie(mode === 'session' ? '__Host-tessera_sid' : '__Host-tessera_at');
  secrets.add(logoutCookie);
  await track(browser.post('/auth/logout'));
  await track(api.post('/auth/logout-all', { headers: bearer(access) }));

  // Requests the router or the HTTP parser refuses.
  let rawRequests = 0;
  await rawRequest(s.port, `GET /%zz?token=${access} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  await rawRequest(s.port, `GET /auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${access}\r\nX-Pad: ${'p'.repeat(20_000)}\r\n\r\n`, { untilClose: true });
  await rawRequest(s.port, `GET /auth/me?password=${USER.password} HTTP/1.1\r\nCookie: x=${access}\u0001\r\n\r\n`, { untilClose: true });
  rawRequests += 3;

  const passwordHashes = await Promise.all([USER.email, ADMIN.email].map((e) => s.store.users.getByEmail(e.toLowerCase())));
  for (const u of passwordHashes) {
    secrets.add(u?.passwordHash);
    // The salt and digest parts of the PHC string, each on its own.
    for (const part of u?.passwordHash.split('$') ?? []) if (part.length >= 16) secrets.add(part);
  }
  const requests = fetchSpy.mock.calls.length;
  await s.close();
  server = undefined;
  return { log, secrets, requests, rawRequests };
}

describe.each(['session', 'jwt', 'jwt-push'] as const)('request logs (%s)', (mode) => {
  it('one structured line per request, and no secret in any line', async () => {
    const { log, secrets, requests, rawRequests } = await run(mode);
    const records = log.records();
    expect(records.length).toBe(log.lines.length);

    // Exactly one line per request: one `request` line per request made, and no other line about a request.
    const requestLines = records.filter((r) => r.msg === 'request');
    expect(requestLines).toHaveLength(requests + rawRequests);
    const byReqId = new Map<unknown, number>();
    for (const r of records) if (r.reqId !== undefined) byReqId.set(r.reqId, (byReqId.get(r.reqId) ?? 0) + 1);
    expect([...byReqId.values()].every((n) => n === 1)).toBe(true);
    expect(records.filter((r) => r.reqId !== undefined && r.msg !== 'request')).toEqual([]);

    // The fields of a line: method, route pattern, status, duration, request id; a problem's code.
    for (const line of requestLines) {
      expect(typeof line.status).toBe('number');
      expect(typeof line.route).toBe('string');
      expect(line.route as string).not.toMatch(/[?%]/);
      if (line.route !== 'unparsed') {
        expect(typeof line.reqId).toBe('string');
        expect(typeof line.ms).toBe('number');
        expect(['GET', 'POST', 'PUT', 'DELETE', 'HEAD']).toContain(line.method);
      }
      expect(Object.keys(line).sort()).toEqual(expect.arrayContaining(['level', 'msg', 'route', 'status']));
      for (const forbidden of ['req', 'res', 'headers', 'url', 'body', 'cookie', 'authorization']) expect(line).not.toHaveProperty(forbidden);
    }
    const csrf = requestLines.filter((r) => r.code === 'csrf_rejected');
    expect(csrf).toHaveLength(2);
    expect(csrf.every((r) => r.level === 40)).toBe(true);
    expect(requestLines.filter((r) => r.code === 'rate_limited').every((r) => r.level === 40)).toBe(true);
    expect(requestLines.some((r) => r.code === 'rate_limited')).toBe(true);
    expect(requestLines.some((r) => r.route === '/auth/sessions/:id' && r.status === 204)).toBe(true);
    expect(requestLines.filter((r) => r.route === 'unparsed').map((r) => r.status).sort()).toEqual([400, 431]);

    // No secret anywhere, whatever the level.
    expect(secrets.values.size).toBeGreaterThan(mode === 'session' ? 15 : 20);
    const text = log.lines.join('\n');
    const leaked = [...secrets.values].filter((secret) => text.includes(secret));
    expect(leaked).toEqual([]);
  });
});
