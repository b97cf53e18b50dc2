/**
 * Hostile bodies to every JSON route (signup, login, refresh, admin roles): arbitrary JSON values,
 * arbitrary bytes with and without a JSON content type, and a few pathological documents. Every
 * answer is a 4xx problem+json (or the 2xx that the input really earns), never a 5xx.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ROLES, ROLE_SHAPE } from '../../src/core/users/users.js';
import { createClient, type ClientResponse } from '../helpers/client.js';
import type { TestServer } from '../helpers/server.js';
import { expectClientProblem, PASSWORD, startHostileServer } from './support.js';

const ADMIN = { email: 'root@example.com', password: 'admin password 1' };
const PRINTABLE = [...Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i))];

/** What a route accepts, so a property knows which inputs earn a 2xx. */
interface JsonRoute {
  method: 'POST' | 'PUT';
  path: string;
  /** Extra headers (the admin's bearer token). */
  headers?: () => Record<string, string>;
  /** True if this parsed body is a valid request that may succeed. */
  mayAccept(body: unknown): boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON values, with a bias toward objects that carry the routes' field names. */
const hostileJson = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      email: fc.oneof(fc.jsonValue(), fc.string(), fc.constant('someone@example.com')),
      password: fc.oneof(fc.jsonValue(), fc.string({ maxLength: 40 }), fc.constant(PASSWORD)),
      transport: fc.oneof(fc.jsonValue(), fc.constantFrom('cookie', 'bearer', 'BEARER', '')),
      refresh_token: fc.oneof(fc.jsonValue(), fc.string({ maxLength: 80 })),
      roles: fc.oneof(fc.jsonValue(), fc.array(fc.oneof(fc.string({ maxLength: 10 }), fc.jsonValue()), { maxLength: 40 })),
      __proto__: fc.jsonValue(),
      constructor: fc.jsonValue(),
    },
    { requiredKeys: [] },
  ),
);

/** Raw bodies: bytes, near-JSON text, and the content types a browser or a fuzzer might send. */
const hostileBytes = fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  fc.string({ unit: 'binary', maxLength: 300 }).map((s) => new TextEncoder().encode(s)),
  fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify(v).slice(0, -1))),
);
const contentType = fc.oneof(
  fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json-patch+json'),
  fc.string({ unit: fc.constantFrom(...PRINTABLE), maxLength: 60 }).map((s) => s.trim()),
  fc.constant(undefined),
);

function send(server: TestServer, route: JsonRoute, body: Uint8Array | string, type: string | undefined): Promise<ClientResponse> {
  return createClient(server.url).request(route.method, route.path, {
    rawBody: body,
    headers: route.headers?.() ?? {},
    ...(type === undefined || type === '' ? {} : { contentType: type }),
  });
}

/** The contract for one answer: 5xx never; a 2xx only for an input the route accepts; else a problem. */
function expectAnswer(res: ClientResponse, route: JsonRoute, parsed: { ok: true; value: unknown } | { ok: false }): void {
  expect(res.status, res.text).toBeLessThan(500);
  if (res.status < 300) {
    expect(parsed.ok && route.mayAccept(parsed.value), `${route.path} accepted ${res.status}`).toBe(true);
    return;
  }
  expectClientProblem(res);
}

describe('hostile bodies to every JSON route', () => {
  let session: TestServer;
  let jwt: TestServer;
  let adminToken = '';
  let targetId = '';
  const routes: Array<{ name: string; server: () => TestServer; route: JsonRoute }> = [];

  beforeAll(async () => {
    session = await startHostileServer({ mode: 'session', adminEmail: ADMIN.email, adminPassword: ADMIN.password });
    jwt = await startHostileServer({ mode: 'jwt' });
    const api = createClient(session.url);
    targetId = (await api.post('/auth/signup', { json: { email: 'target@example.com', password: PASSWORD } })).body.user.id;
    adminToken = (await api.post('/auth/login', { json: { ...ADMIN, transport: 'bearer' } })).body.access_token;
    expect(adminToken).toBeTruthy();
    const credentials = (v: unknown) => isObject(v) && typeof v.email === 'string' && typeof v.password === 'string';
    routes.push(
      { name: 'signup', server: () => session, route: { method: 'POST', path: '/auth/signup', mayAccept: credentials } },
      { name: 'login', server: () => session, route: { method: 'POST', path: '/auth/login', mayAccept: credentials } },
      { name: 'refresh', server: () => jwt, route: { method: 'POST', path: '/auth/refresh', mayAccept: () => false } },
      {
        name: 'admin roles',
        server: () => session,
        route: {
          method: 'PUT',
          path: `/admin/users/${targetId}/roles`,
          headers: () => ({ authorization: `Bearer ${adminToken}` }),
          mayAccept: (v) =>
            isObject(v) && Array.isArray(v.roles) && v.roles.length <= MAX_ROLES && v.roles.every((r) => typeof r === 'string' && ROLE_SHAPE.test(r)),
        },
      },
    );
  });
  afterAll(async () => {
    await session?.close();
    await jwt?.close();
  });

  it.each(['signup', 'login', 'refresh', 'admin roles'])('%s: arbitrary JSON values → 4xx problem+json, never 5xx', async (name) => {
    const { server, route } = routes.find((r) => r.name === name)!;
    await fc.assert(
      fc.asyncProperty(hostileJson, async (value) => {
        const text = JSON.stringify(value) ?? 'null';
        const res = await send(server(), route, text, 'application/json');
        expectAnswer(res, route, { ok: true, value: JSON.parse(text) });
      }),
      { numRuns: 150 },
    );
  });

  it.each(['signup', 'login', 'refresh', 'admin roles'])('%s: arbitrary bytes with any content type → 4xx problem+json, never 5xx', async (name) => {
    const { server, route } = routes.find((r) => r.name === name)!;
    await fc.assert(
      fc.asyncProperty(hostileBytes, contentType, async (bytes, type) => {
        const res = await send(server(), route, bytes, type);
        let parsed: { ok: true; value: unknown } | { ok: false } = { ok: false };
        try {
          parsed = { ok: true, value: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) };
        } catch {
          // Not JSON: only a problem is acceptable.
        }
        // A JSON body is only read with a JSON content type.
        if (!/^application\/json\s*(;|$)/i.test(type ?? '') && bytes.length > 0) parsed = { ok: false };
        expectAnswer(res, route, parsed);
      }),
      { numRuns: 120 },
    );
  });

  it.each(['signup', 'login', 'refresh', 'admin roles'])('%s: pathological documents → 4xx problem+json', async (name) => {
    const { server, route } = routes.find((r) => r.name === name)!;
    const depth = 30_000;
    const documents = [
      '['.repeat(depth) + ']'.repeat(depth),
      '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000),
      `{"email":"${'a'.repeat(60_000)}@x.io","password":"x"}`,
      '{"__proto__":{"roles":["admin"]},"constructor":{"prototype":{"admin":true}}}',
      '{"email":"a@x.io","email":"b@x.io","password":"p","password":1}',
      '1e999999',
      '"\\ud800"',
      '\ufeff{}',
      ' ',
    ];
    for (const doc of documents) {
      const res = await send(server(), route, doc, 'application/json');
      expect(res.status, `${doc.slice(0, 40)} → ${res.text}`).toBeLessThan(500);
      expect(res.status, doc.slice(0, 40)).toBeGreaterThanOrEqual(400);
      expectClientProblem(res);
    }
    // Prototype pollution did not stick anywhere.
    expect(({} as Record<string, unknown>).roles).toBeUndefined();
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});
