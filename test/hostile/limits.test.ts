/**
 * The reference server's request limits, over real sockets, each with a clear problem+json answer:
 * 16 KiB of headers (431), HTTP the parser refuses (400), 64 cookies, 64 KiB bodies on every route
 * that takes one (413), 256-character path parameters (400).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../helpers/client.js';
import type { TestServer } from '../helpers/server.js';
import { expectClientProblem, expectProblem4xx, PASSWORD, rawRequest, startHostileServer } from './support.js';

const ADMIN = { email: 'root@example.com', password: 'admin password 1' };
const KiB = 1024;

function expectSecurityHeaders(headers: Record<string, string>): void {
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['cache-control']).toBe('no-store');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['referrer-policy']).toBe('no-referrer');
}

describe('request limits of the reference server', () => {
  let server: TestServer;
  let jwt: TestServer;
  let sessionCookie = '';
  let adminToken = '';
  let userId = '';

  beforeAll(async () => {
    server = await startHostileServer({ mode: 'session', adminEmail: ADMIN.email, adminPassword: ADMIN.password });
    jwt = await startHostileServer({ mode: 'jwt' });
    const browser = createClient(server.url, { origin: server.origin });
    userId = (await browser.post('/auth/signup', { json: { email: 'user@example.com', password: PASSWORD } })).body.user.id;
    expect((await browser.post('/auth/login', { json: { email: 'user@example.com', password: PASSWORD } })).status).toBe(200);
    sessionCookie = browser.cookie('__Host-tessera_sid')!;
    adminToken = (await createClient(server.url).post('/auth/login', { json: { ...ADMIN, transport: 'bearer' } })).body.access_token;
  });
  afterAll(async () => {
    await server?.close();
    await jwt?.close();
  });

  describe('headers: 16 KiB', () => {
    it.each([
      ['one long header', `X-Padding: ${'a'.repeat(20 * KiB)}\r\n`],
      ['a long cookie header', `Cookie: __Host-tessera_sid=${'b'.repeat(17 * KiB)}\r\n`],
      ['a 1 MiB header flood', `X-Flood: ${'f'.repeat(1024 * KiB)}\r\n`],
      ['many headers', Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'c'.repeat(40)}\r\n`).join('')],
    ])('%s → 431 problem+json with the security headers, then the connection closes', async (_name, extra) => {
      const res = await rawRequest(server.port, `GET /auth/me HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`, { untilClose: true });
      expect(res.status).toBe(431);
      expectProblem4xx(res.status, res.headers['content-type'], res.body);
      expect(JSON.parse(res.body)).toMatchObject({ status: 431, code: 'bad_request', title: 'Request Header Fields Too Large' });
      expect(res.body).not.toContain('aaaa');
      expectSecurityHeaders(res.headers);
      expect(res.headers.connection).toBe('close');
      expect(res.closed).toBe(true);
    });

    it('headers just under the limit are read normally', async () => {
      const res = await rawRequest(server.port, `GET /auth/me HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Padding: ${'a'.repeat(15 * KiB)}\r\n\r\n`);
      expect(res.status).toBe(401);
      expectProblem4xx(res.status, res.headers['content-type'], res.body);
    });

    it.each([
      ['a garbage request line', 'NOT HTTP AT ALL\r\n\r\n'],
      ['a control character in a header value', 'GET /auth/me HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n'],
      ['a header without a colon', 'GET /auth/me HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n'],
      ['two content lengths', 'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}'],
      ['an invalid chunk size', 'POST /auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'],
    ])('%s → 400 problem+json, connection closed', async (_name, request) => {
      const res = await rawRequest(server.port, request, { untilClose: true });
      expect(res.status).toBe(400);
      expectProblem4xx(res.status, res.headers['content-type'], res.body);
      expectSecurityHeaders(res.headers);
      expect(res.closed).toBe(true);
    });

    it('the server keeps serving after refusing those requests', async () => {
      await rawRequest(server.port, 'NOT HTTP\r\n\r\n');
      await rawRequest(server.port, `GET / HTTP/1.1\r\nX: ${'a'.repeat(20 * KiB)}\r\n\r\n`);
      expect((await createClient(server.url).get('/healthz')).status).toBe(200);
    });
  });

  describe('cookies: the first 64 are read, the rest ignored', () => {
    const junk = (n: number) => Array.from({ length: n }, (_, i) => `junk${i}=v${i}`).join('; ');
    const me = (cookie: string) => rawRequest(server.port, `GET /auth/me HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nCookie: ${cookie}\r\n\r\n`);

    it('the session cookie among the first 64 authenticates, whatever follows', async () => {
      expect((await me(`__Host-tessera_sid=${sessionCookie}; ${junk(500)}`)).status).toBe(200);
      expect((await me(`${junk(63)}; __Host-tessera_sid=${sessionCookie}`)).status).toBe(200);
    });

    it('a session cookie after 64 others is not seen: 401, never 5xx', async () => {
      const res = await me(`${junk(64)}; __Host-tessera_sid=${sessionCookie}`);
      expect(res.status).toBe(401);
      expectProblem4xx(res.status, res.headers['content-type'], res.body);
    });

    it('thousands of cookies or malformed pairs within 16 KiB never cause a 5xx', async () => {
      for (const cookie of [';'.repeat(15 * KiB), '='.repeat(15 * KiB), `${'a=b;'.repeat(3000)}`, `__Host-tessera_sid=${';'.repeat(5000)}`, '"'.repeat(8000)]) {
        const res = await me(cookie);
        expect(res.status).toBe(401);
        expectProblem4xx(res.status, res.headers['content-type'], res.body);
      }
    });
  });

  describe('bodies: 64 KiB on every route that takes one', () => {
    const big = `{"padding":"${'x'.repeat(64 * KiB)}"}`;
    const routes = (): Array<{ s: TestServer; method: string; path: string; headers: Record<string, string> }> => [
      { s: server, method: 'POST', path: '/auth/signup', headers: {} },
      { s: server, method: 'POST', path: '/auth/login', headers: {} },
      { s: jwt, method: 'POST', path: '/auth/refresh', headers: {} },
      { s: server, method: 'POST', path: '/auth/logout', headers: { authorization: `Bearer ${adminToken}` } },
      { s: server, method: 'POST', path: '/auth/logout-all', headers: { authorization: `Bearer ${adminToken}` } },
      { s: server, method: 'DELETE', path: '/auth/sessions/some-id', headers: { authorization: `Bearer ${adminToken}` } },
      { s: server, method: 'PUT', path: `/admin/users/${userId}/roles`, headers: { authorization: `Bearer ${adminToken}` } },
      { s: server, method: 'POST', path: `/admin/users/${userId}/disable`, headers: { authorization: `Bearer ${adminToken}` } },
      { s: server, method: 'POST', path: `/admin/users/${userId}/enable`, headers: { authorization: `Bearer ${adminToken}` } },
    ];

    it.each(['application/json', 'text/plain', undefined])('more than 64 KiB (%s) → 413 payload_too_large on every route, admin included', async (type) => {
      for (const { s, method, path, headers } of routes()) {
        const res = await createClient(s.url).request(method, path, { rawBody: big, headers, ...(type ? { contentType: type } : {}) });
        expect({ path, status: res.status }).toEqual({ path, status: 413 });
        expectClientProblem(res);
        expect(res.body.code).toBe('payload_too_large');
        expect(res.text).not.toContain('xxxx');
      }
      // The admin's token still works: nothing ran.
      expect((await createClient(server.url).get('/auth/me', { headers: { authorization: `Bearer ${adminToken}` } })).status).toBe(200);
    });

    it('a body of exactly 64 KiB is read (and judged on its content)', async () => {
      const exact = `{"email":"${'y'.repeat(64 * KiB - 30)}","password":"p"}`.padEnd(64 * KiB, ' ');
      expect(Buffer.byteLength(exact)).toBe(64 * KiB);
      const res = await createClient(server.url).post('/auth/login', { rawBody: exact, contentType: 'application/json' });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('bad_request');
    });

    it('a chunked body that grows past 64 KiB, and a Content-Length that claims 10 GB → 413', async () => {
      const chunk = 'z'.repeat(70 * KiB);
      const chunked = await rawRequest(
        server.port,
        `POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`,
      );
      expect(chunked.status).toBe(413);
      expectProblem4xx(chunked.status, chunked.headers['content-type'], chunked.body);
      const claimed = await rawRequest(server.port, `POST /auth/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10737418240\r\nConnection: close\r\n\r\n{}`);
      expect(claimed.status).toBe(413);
      expectProblem4xx(claimed.status, claimed.headers['content-type'], claimed.body);
    });
  });

  it('a path parameter over 256 characters → 400 problem+json without echoing it', async () => {
    const long = 'q'.repeat(300);
    const res = await createClient(server.url).request('DELETE', `/auth/sessions/${long}`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(res.status).toBe(400);
    expectClientProblem(res);
    expect(res.text).not.toContain(long);
  });
});
