// A server under test, run in its own process (forked by bench/run.mjs, IPC channel) so the load
// generator never shares its event loop. The spec comes as JSON in argv[2]:
//   { kind: 'reference', mode, store, algorithm?, jwtSecret?, propagationFloor? }  the reference server
//     (startServer); with `propagationFloor` (a Redis URL), also the propagation floor on a second port
//   { kind: 'express-session', redisUrl, secret }                 Express + express-session + connect-redis
//   { kind: 'tessera-express', mode, store, algorithm?, jwtSecret? } Express + tesseraRouter + requireAuth
//   { kind: 'better-auth', sqlitePath, secret }                    Fastify + better-auth getSession
//   { kind: 'tessera-fastify', mode, store, ... }                  Fastify + tesseraFastify + requireAuth
//   { kind: 'floor', store, sqlitePath, redisUrl, spinUs, tokensPath? } the reference app + the floor routes (lookup-floor.mjs)
// Baseline (no auth): the reference server's GET /healthz; the peers' apps a plain framework route
// GET /ping. Authenticated route: the reference server's /auth/me, the peers' /me.
// Messages: parent → 'stats' (replies { cpu, memory }), 'stop' (closes and exits).
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { load } from './dist.mjs';

const spec = JSON.parse(process.argv[2] ?? '{}');

/** Options shared by every Tessera instance the benchmark starts: the library defaults. */
function tesseraOptions(store, s) {
  const options = { mode: s.mode, store, origins: ['http://127.0.0.1'], signup: 'open' };
  options.jwt = {};
  if (s.algorithm) options.jwt.algorithm = s.algorithm;
  if (s.jwtSecret) options.jwt.secrets = [s.jwtSecret];
  return options;
}

async function startReference() {
  const { startServer } = await load('server/start.js');
  let store = spec.store;
  if (spec.sqlitePragmas && spec.store.startsWith('sqlite:')) {
    // Experiment only (not used by the full run): the reference server on a SQLite store whose
    // connection got extra pragmas (cache_size, mmap_size) before the store took it.
    const { default: Database } = await import('better-sqlite3');
    const { createSqliteStore } = await load('stores/sqlite/index.js');
    const db = new Database(spec.store.slice('sqlite:'.length));
    for (const pragma of spec.sqlitePragmas) db.pragma(pragma);
    store = createSqliteStore({ database: db });
  }
  const server = await startServer({
    mode: spec.mode,
    store,
    host: '127.0.0.1',
    port: 0,
    // Request logging off in every server of the benchmark: we measure auth, not pino.
    logLevel: 'warn',
    ...(spec.algorithm ? { algorithm: spec.algorithm } : {}),
    ...(spec.jwtSecret ? { jwtSecret: spec.jwtSecret } : {}),
  });
  if (!spec.propagationFloor) return { port: server.port, close: () => server.close() };
  // The propagation section's servers also serve its floor, on a second port of the same process.
  const { startPropagationFloor } = await import('./propagation-floor.mjs');
  const floor = await startPropagationFloor(spec.propagationFloor);
  return {
    port: server.port,
    floorPort: floor.port,
    close: async () => {
      await floor.close();
      await server.close();
    },
  };
}

async function startExpressSession() {
  const { default: express } = await import('express');
  const { default: session } = await import('express-session');
  const { RedisStore } = await import('connect-redis');
  const { Redis } = await import('ioredis');
  // connect-redis's documented set-up: a plain client (no auto-pipelining), default options.
  const client = new Redis(spec.redisUrl);
  const app = express();
  app.get('/ping', (_req, res) => res.json({ status: 'ok' }));
  app.use(
    session({
      store: new RedisStore({ client, prefix: 'sess:' }),
      secret: spec.secret,
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', maxAge: 7 * 24 * 3600 * 1000 },
    }),
  );
  app.get('/me', (req, res) => {
    if (!req.session.userId) return res.status(401).json({ error: 'unauthenticated' });
    res.json({ user: { id: req.session.userId, email: req.session.email, roles: req.session.roles ?? [] } });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  server.keepAliveTimeout = 10_000;
  return {
    port: server.address().port,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      client.disconnect();
    },
  };
}

async function openTessera() {
  const { openStore } = await load('stores/open-store.js');
  const { createTessera } = await load('index.js');
  const store = await openStore(spec.store);
  const tessera = createTessera(tesseraOptions(store, spec));
  await tessera.ready();
  return { store, tessera };
}

async function startTesseraExpress() {
  const { default: express } = await import('express');
  const { tesseraRouter, requireAuth } = await load('adapters/express/index.js');
  const { store, tessera } = await openTessera();
  const app = express();
  app.get('/ping', (_req, res) => res.json({ status: 'ok' }));
  app.use(tesseraRouter(tessera));
  app.get('/me', requireAuth(tessera), (req, res) => res.json({ user: req.auth.user }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  server.keepAliveTimeout = 10_000;
  return {
    port: server.address().port,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await tessera.close();
      await store.close();
    },
  };
}

/** Listens on a free loopback port; `close` closes the app, then each of `owned` in order. */
async function listenFastify(app, ...owned) {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    port: app.server.address().port,
    close: async () => {
      await app.close();
      for (const resource of owned) await resource.close();
    },
  };
}

async function startTesseraFastify() {
  const { default: Fastify } = await import('fastify');
  const { tesseraFastify, requireAuth } = await load('adapters/fastify/index.js');
  const { store, tessera } = await openTessera();
  const app = Fastify({ logger: false });
  await app.register(tesseraFastify, { tessera });
  app.get('/ping', async () => ({ status: 'ok' }));
  app.get('/me', { preHandler: requireAuth }, async (request) => ({ user: request.auth.user }));
  return listenFastify(app, tessera, store);
}

async function startBetterAuth() {
  const { default: Fastify } = await import('fastify');
  const { default: Database } = await import('better-sqlite3');
  const { betterAuth } = await import('better-auth');
  const { createBetterAuth } = await import('./better-auth-config.mjs');
  const db = new Database(spec.sqlitePath);
  const auth = createBetterAuth(betterAuth, db, spec.secret);
  const app = Fastify({ logger: false });
  app.get('/ping', async () => ({ status: 'ok' }));
  // better-auth's Fastify integration: a web Headers built from the request's headers.
  app.get('/me', async (request, reply) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.append(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const result = await auth.api.getSession({ headers });
    if (!result) return reply.code(401).send({ error: 'unauthenticated' });
    return { user: { id: result.user.id, email: result.user.email } };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    port: app.server.address().port,
    close: async () => {
      await app.close();
      db.close();
    },
  };
}

/** The reference server's app (what `startServer` serves) with the lookup-floor routes added. */
async function startFloor() {
  const { buildApp } = await load('server/app.js');
  const { installFloorRoutes } = await import('./lookup-floor.mjs');
  const { store, tessera } = await openTessera();
  const app = await buildApp({ tessera, logLevel: 'warn' });
  const floor = await installFloorRoutes(app, { sqlitePath: spec.sqlitePath, redisUrl: spec.redisUrl, spinUs: spec.spinUs, tokensPath: spec.tokensPath });
  return listenFastify(app, floor, tessera, store);
}

let inspectorSession;
async function profile(action, file) {
  const inspector = await import('node:inspector/promises');
  if (action === 'start') {
    inspectorSession = new inspector.Session();
    inspectorSession.connect();
    await inspectorSession.post('Profiler.enable');
    await inspectorSession.post('Profiler.setSamplingInterval', { interval: 200 });
    await inspectorSession.post('Profiler.start');
  } else if (inspectorSession) {
    const { profile: result } = await inspectorSession.post('Profiler.stop');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, JSON.stringify(result));
    inspectorSession.disconnect();
    inspectorSession = undefined;
  }
}

const starters = {
  reference: startReference,
  'express-session': startExpressSession,
  'tessera-express': startTesseraExpress,
  'tessera-fastify': startTesseraFastify,
  'better-auth': startBetterAuth,
  floor: startFloor,
};

let cpuMark = process.cpuUsage();
let timeMark = performance.now();
// Event-loop delay over the measured interval: whether the loop itself ever stalled.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

try {
  const starter = starters[spec.kind];
  if (!starter) throw new Error(`unknown server kind ${spec.kind}`);
  const running = await starter();
  process.on('message', async (message) => {
    if (message?.type === 'profile') {
      // Development aid: a CPU profile of the server between 'start' and 'stop' (written to message.file).
      await profile(message.action, message.file);
      process.send({ type: 'profiled' });
    } else if (message === 'mark') {
      cpuMark = process.cpuUsage();
      timeMark = performance.now();
      loopDelay.reset();
      process.send({ type: 'marked' });
    } else if (message === 'stats') {
      const cpu = process.cpuUsage(cpuMark);
      const elapsedMs = performance.now() - timeMark;
      process.send({
        type: 'stats',
        cpuShare: (cpu.user + cpu.system) / 1000 / elapsedMs,
        cpuUs: cpu.user + cpu.system,
        rssBytes: process.memoryUsage().rss,
        loopDelayMs: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
      });
    } else if (message === 'stop') {
      try {
        await running.close();
      } finally {
        process.exit(0);
      }
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready', port: running.port, floorPort: running.floorPort });
} catch (error) {
  process.send?.({ type: 'error', message: error instanceof Error ? `${error.message}\n${error.stack}` : String(error) });
  process.exit(1);
}
