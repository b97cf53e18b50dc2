/**
 * One small app per framework, with the same four routes of the app's own (a public route, a
 * protected route, an admin-only route, a state-changing route) next to the Tessera routes.
 * Not a test file itself.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { serve, type HttpBindings } from '@hono/node-server';
import { createManualClock, createTessera, type ManualClock, type Tessera } from '../../src/index.js';
import type { Mode } from '../../src/core/config.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { requireAuth as fastifyRequireAuth, requireRole as fastifyRequireRole, tesseraFastify } from '../../src/adapters/fastify/index.js';
import { requireAuth as expressRequireAuth, requireRole as expressRequireRole, tesseraRouter } from '../../src/adapters/express/index.js';
import { requireAuth as honoRequireAuth, requireRole as honoRequireRole, tesseraHono } from '../../src/adapters/hono/index.js';
import { createHandler, createWebGuard } from '../../src/adapters/web/index.js';

/** The browser origin the test apps allow. */
export const ORIGIN = 'https://app.example';
export const PASSWORD = 'correct horse battery';

/** What the app's own state-changing handler saw. */
export interface Hits {
  notes: number;
  bodies: unknown[];
}

/** A running app. */
export interface RunningApp {
  url: string;
  close(): Promise<void>;
}

/** One framework under test. */
export interface AdapterUnderTest {
  name: string;
  start(tessera: Tessera, hits: Hits): Promise<RunningApp>;
}

/** A Tessera instance for one test: memory store, manual clock, cheap argon2 (tests only), the test origin. */
export function createTestTessera(mode: Mode, clock: ManualClock = createManualClock(Date.parse('2026-01-01T00:00:00Z'))): Tessera {
  return createTessera({
    mode,
    clock,
    store: createMemoryStore(),
    origins: [ORIGIN],
    password: { memoryKiB: 1024, timeCost: 1 },
  });
}

function urlOf(server: Server): string {
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}

const fastifyAdapter: AdapterUnderTest = {
  name: 'fastify',
  async start(tessera, hits) {
    const app = Fastify({ logger: false });
    await app.register(tesseraFastify, { tessera });
    app.get('/public', async () => ({ ok: true }));
    app.get('/protected', { preHandler: fastifyRequireAuth }, async (request) => ({ email: request.auth!.user.email }));
    app.get('/admin', { preHandler: fastifyRequireRole('admin') }, async (request) => ({ admin: request.auth!.user.email }));
    app.post('/notes', { preHandler: fastifyRequireAuth }, async (request) => {
      hits.notes++;
      hits.bodies.push(request.body);
      return { saved: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { url: urlOf(app.server), close: () => app.close() };
  },
};

const expressAdapter: AdapterUnderTest = {
  name: 'express',
  async start(tessera, hits) {
    const app = express();
    // The app's own JSON parser runs first: the router must still read the auth routes' bodies.
    app.use(express.json());
    app.use(tesseraRouter(tessera));
    app.get('/public', (_req, res) => void res.json({ ok: true }));
    app.get('/protected', expressRequireAuth(tessera), (req, res) => void res.json({ email: req.auth!.user.email }));
    app.get('/admin', expressRequireRole(tessera, 'admin'), (req, res) => void res.json({ admin: req.auth!.user.email }));
    app.post('/notes', expressRequireAuth(tessera), (req, res) => {
      hits.notes++;
      hits.bodies.push(req.body);
      res.json({ saved: true });
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { url: urlOf(server), close: () => closeServer(server) };
  },
};

async function serveFetch(fetch: (request: Request, env: HttpBindings) => Promise<Response> | Response): Promise<RunningApp> {
  const server = serve({ fetch: fetch as never, port: 0, hostname: '127.0.0.1' }) as Server;
  if (!server.listening) await once(server, 'listening');
  return { url: urlOf(server), close: () => closeServer(server) };
}

const honoAdapter: AdapterUnderTest = {
  name: 'hono',
  async start(tessera, hits) {
    const app = new Hono();
    app.route('/', tesseraHono(tessera));
    app.get('/public', (c) => c.json({ ok: true }));
    app.get('/protected', honoRequireAuth(tessera), (c) => c.json({ email: c.get('auth').user.email }));
    app.get('/admin', honoRequireRole(tessera, 'admin'), (c) => c.json({ admin: c.get('auth').user.email }));
    app.post('/notes', honoRequireAuth(tessera), async (c) => {
      hits.notes++;
      hits.bodies.push(await c.req.json());
      return c.json({ saved: true });
    });
    return serveFetch((request, env) => app.fetch(request, env));
  },
};

const webAdapter: AdapterUnderTest = {
  name: 'web',
  async start(tessera, hits) {
    const handler = createHandler(tessera);
    const guard = createWebGuard(tessera);
    const app = async (request: Request, ip: string | undefined): Promise<Response> => {
      const route = `${request.method} ${new URL(request.url).pathname}`;
      if (route === 'GET /public') return Response.json({ ok: true });
      if (route === 'GET /protected' || route === 'GET /admin' || route === 'POST /notes') {
        const auth = await guard.require(request, route === 'GET /admin' ? { roles: ['admin'] } : {});
        if (!auth.ok) return auth.response;
        if (route === 'GET /protected') return Response.json({ email: auth.principal.user.email });
        if (route === 'GET /admin') return Response.json({ admin: auth.principal.user.email });
        hits.notes++;
        hits.bodies.push(await request.json());
        return Response.json({ saved: true });
      }
      return handler(request, ip);
    };
    // A node:http bridge (@hono/node-server) in front of the web-standard handler.
    return serveFetch((request, env) => app(request, env.incoming.socket.remoteAddress));
  },
};

/** The four adapters of the behaviour table. */
export const ADAPTERS: readonly AdapterUnderTest[] = [fastifyAdapter, expressAdapter, honoAdapter, webAdapter];
