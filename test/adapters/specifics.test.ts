/**
 * What each adapter must get right beyond the shared behaviour table: option checks at set-up,
 * body handling next to the app's own parsers, route matching, and Set-Cookie translation.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import type { Tessera } from '../../src/index.js';
import * as fastifyAdapter from '../../src/adapters/fastify/index.js';
import * as expressAdapter from '../../src/adapters/express/index.js';
import * as honoAdapter from '../../src/adapters/hono/index.js';
import { createHandler, createWebGuard, toResponse } from '../../src/adapters/web/index.js';
import { createRouteMatcher } from '../../src/adapters/web/match-route.js';
import { createClient } from '../helpers/client.js';
import { ADAPTERS, createTestTessera, ORIGIN, PASSWORD } from './harness.js';

async function withTessera(mode: 'session' | 'jwt', fn: (tessera: Tessera) => Promise<void>): Promise<void> {
  const tessera = createTestTessera(mode);
  try {
    await fn(tessera);
  } finally {
    await tessera.close();
    await tessera.config.store.close();
  }
}

async function listenExpress(app: express.Express): Promise<{ url: string; close(): Promise<void> }> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function jsonRequest(path: string, body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(`http://127.0.0.1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('set-up checks', () => {
  it('Fastify: a missing tessera option fails ready()', async () => {
    const app = Fastify({ logger: false });
    app.register(fastifyAdapter.tesseraFastify, {} as never);
    await expect(app.ready()).rejects.toThrow(/tesseraFastify: the `tessera` option/);
  });

  it('every adapter refuses a missing tessera and a requireRole without roles at set-up', () =>
    withTessera('session', async (tessera) => {
      const missing = undefined as unknown as Tessera;
      expect(() => expressAdapter.tesseraRouter(missing)).toThrow(TypeError);
      expect(() => expressAdapter.requireAuth(missing)).toThrow(TypeError);
      expect(() => honoAdapter.tesseraHono(missing)).toThrow(TypeError);
      expect(() => honoAdapter.requireAuth(missing)).toThrow(TypeError);
      expect(() => createHandler(missing)).toThrow(TypeError);
      expect(() => createWebGuard(missing)).toThrow(TypeError);
      expect(() => fastifyAdapter.requireRole()).toThrow(/at least one role/);
      expect(() => expressAdapter.requireRole(tessera)).toThrow(/at least one role/);
      expect(() => honoAdapter.requireRole(tessera, '')).toThrow(/non-empty/);
    }));
});

describe('every adapter', () => {
  for (const adapter of ADAPTERS) {
    it(`${adapter.name}: serves the public routes of the contract (health, posture, JWKS)`, () =>
      withTessera('jwt', async (tessera) => {
        const app = await adapter.start(tessera, { notes: 0, bodies: [] });
        try {
          const client = createClient(app.url);
          expect((await client.get('/healthz')).body).toEqual({ status: 'ok' });
          expect((await client.get('/auth/posture')).body.mode).toBe('jwt');
          const jwks = await client.get('/.well-known/jwks.json');
          expect(jwks.status).toBe(200);
          expect(jwks.body.keys[0]).toMatchObject({ kid: expect.any(String), use: 'sig' });
        } finally {
          await app.close();
        }
      }));
  }
});

describe('Fastify', () => {
  it("keeps the raw body parser inside the auth routes: the app's JSON routes still parse JSON", () =>
    withTessera('session', async (tessera) => {
      const app = Fastify({ logger: false });
      await app.register(fastifyAdapter.tesseraFastify, { tessera });
      app.post('/echo', async (request) => ({ body: request.body, auth: request.auth }));
      expect(app.tessera).toBe(tessera);
      const res = await app.inject({ method: 'POST', url: '/echo', payload: { a: 1 } });
      expect(res.json()).toEqual({ body: { a: 1 }, auth: null });
      await app.close();
    }));

  it('requireRole accepts any one of its roles', () =>
    withTessera('session', async (tessera) => {
      const app = Fastify({ logger: false });
      await app.register(fastifyAdapter.tesseraFastify, { tessera });
      app.get('/staff', { preHandler: fastifyAdapter.requireRole('editor', 'admin') }, async (request) => ({ roles: request.auth!.user.roles }));
      await tessera.ensureAdmin('root@example.com', PASSWORD);
      const login = await app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { email: 'root@example.com', password: PASSWORD, transport: 'bearer' },
      });
      const token = login.json().access_token as string;
      const res = await app.inject({ method: 'GET', url: '/staff', headers: { authorization: `Bearer ${token}` } });
      expect(res.json()).toEqual({ roles: ['admin'] });
      await app.close();
    }));
});

describe('Express', () => {
  for (const [label, setup] of [
    ['without a JSON parser in the app', (_app: express.Express) => {}],
    ['with express.urlencoded() before the router', (app: express.Express) => void app.use(express.urlencoded({ extended: false }))],
  ] as const) {
    it(`reads the auth routes' bodies ${label}, and leaves the app's own bodies alone`, () =>
      withTessera('session', async (tessera) => {
        const app = express();
        setup(app);
        app.use(expressAdapter.tesseraRouter(tessera));
        app.post('/echo', express.json(), (req, res) => void res.json({ body: req.body }));
        const server = await listenExpress(app);
        try {
          const client = createClient(server.url, { origin: ORIGIN });
          expect((await client.post('/auth/signup', { json: { email: 'x@example.com', password: PASSWORD } })).status).toBe(201);
          expect((await client.post('/auth/login', { json: { email: 'x@example.com', password: PASSWORD } })).status).toBe(200);
          expect((await client.post('/echo', { json: { a: 1 } })).body).toEqual({ body: { a: 1 } });
          // A form post is still refused: the neutral layer checks the original content type.
          const form = await client.post('/auth/login', { rawBody: 'email=x%40example.com', contentType: 'application/x-www-form-urlencoded' });
          expect([form.status, form.body.code]).toEqual([400, 'bad_request']);
        } finally {
          await server.close();
        }
      }));
  }

  it('answers an oversize body with 413 payload_too_large, and lets unknown paths fall through', () =>
    withTessera('session', async (tessera) => {
      const app = express();
      app.use(expressAdapter.tesseraRouter(tessera));
      app.use((_req, res) => void res.status(404).json({ from: 'app' }));
      const server = await listenExpress(app);
      try {
        const client = createClient(server.url, { origin: ORIGIN });
        const big = await client.post('/auth/login', { rawBody: JSON.stringify({ email: 'a'.repeat(70_000) }), contentType: 'application/json' });
        expect([big.status, big.body.code]).toEqual([413, 'payload_too_large']);
        expect((await client.get('/auth/nope')).body).toEqual({ from: 'app' });
      } finally {
        await server.close();
      }
    }));
});

describe('Hono', () => {
  it('serves the auth routes even when a middleware already read the body; other paths fall through', () =>
    withTessera('jwt', async (tessera) => {
      const app = new Hono();
      app.use('*', async (c, next) => {
        if (c.req.method === 'POST') await c.req.json().catch(() => null);
        await next();
      });
      app.route('/', honoAdapter.tesseraHono(tessera));
      app.notFound((c) => c.json({ from: 'app' }, 404));
      await app.request(jsonRequest('/auth/signup', { email: 'h@example.com', password: PASSWORD }));
      const login = await app.request(jsonRequest('/auth/login', { email: 'h@example.com', password: PASSWORD }));
      expect(login.status).toBe(200);
      expect(login.headers.getSetCookie().map((c) => c.split('=', 1)[0])).toEqual(['__Host-tessera_at', '__Secure-tessera_rt']);
      expect(await (await app.request('http://127.0.0.1/elsewhere')).json()).toEqual({ from: 'app' });
    }));
});

describe('web handler', () => {
  it('keeps every Set-Cookie header, answers unknown paths with a 404 problem, and bounds bodies', () =>
    withTessera('jwt', async (tessera) => {
      const handler = createHandler(tessera);
      await handler(jsonRequest('/auth/signup', { email: 'w@example.com', password: PASSWORD }));
      const login = await handler(jsonRequest('/auth/login', { email: 'w@example.com', password: PASSWORD }));
      expect(login.status).toBe(200);
      expect(login.headers.getSetCookie()).toHaveLength(2);
      const missing = await handler(new Request('http://127.0.0.1/auth/nope'));
      expect([missing.status, ((await missing.json()) as { code: string }).code]).toEqual([404, 'not_found']);
      expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(missing.headers.get('cache-control')).toBe('no-store');
      const big = await handler(jsonRequest('/auth/login', JSON.stringify({ email: 'a'.repeat(70_000) })));
      expect([big.status, ((await big.json()) as { code: string }).code]).toEqual([413, 'payload_too_large']);
    }));

  it('ignores a non-string second argument (runtimes pass their own objects there)', () =>
    withTessera('session', async (tessera) => {
      const handler = createHandler(tessera) as (request: Request, extra: unknown) => Promise<Response>;
      const res = await handler(new Request('http://127.0.0.1/healthz'), { remoteAddr: { hostname: '10.0.0.1' } });
      expect(res.status).toBe(200);
    }));

  it('toResponse appends one Set-Cookie header per cookie', async () => {
    const res = toResponse({ status: 204, headers: {}, cookies: ['a=1; Path=/', 'b=2; Path=/auth'] });
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/auth']);
  });

  it('the route matcher: literal paths, decoded :params, method and segment count', () => {
    const route = (method: 'GET' | 'DELETE', path: string) => ({ method, path, handle: async () => ({ status: 200, headers: {}, cookies: [] }) });
    const routes = [route('GET', '/auth/me'), route('DELETE', '/auth/sessions/:id'), route('GET', '/admin/users/:id/roles')];
    const match = createRouteMatcher(routes);
    expect(match('GET', '/auth/me')?.route).toBe(routes[0]);
    expect(match('DELETE', '/auth/sessions/a%2Fb')?.params).toEqual({ id: 'a/b' });
    expect(match('GET', '/admin/users/u1/roles')?.params).toEqual({ id: 'u1' });
    for (const [method, path] of [
      ['POST', '/auth/me'],
      ['GET', '/auth/me/'],
      ['DELETE', '/auth/sessions/'],
      ['DELETE', '/auth/sessions/a/b'],
      ['DELETE', '/auth/sessions/%E0%A4%A'],
      ['GET', '/admin/users/u1/other'],
    ]) {
      expect(match(method!, path!), `${method} ${path}`).toBeNull();
    }
  });
});
