/**
 * Set-up of the browser tests of `tessera/client`: a small Fastify app with the Tessera plugin (jwt
 * posture, manual clock), a test page, the client modules compiled from `src/client`, and a counter
 * of the requests the server saw. Not a test file itself.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import ts from 'typescript';
import { chromium, type BrowserContext } from 'playwright-core';
import { createManualClock, createTessera, type ManualClock, type Tessera } from '../../src/index.js';
import { requireAuth, tesseraFastify } from '../../src/adapters/fastify/index.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { ensureChromium } from '../services/chromium.js';
import { freePort } from '../helpers/ports.js';

const CLIENT_DIR = fileURLToPath(new URL('../../src/client/', import.meta.url));
export const ACCESS_TTL_SECONDS = 60;
const REFRESH_DELAY_MS = 300;

/** The client's modules, compiled once: file name (`index.js`) → JavaScript. */
function compileClient(): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of readdirSync(CLIENT_DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    const source = readFileSync(join(CLIENT_DIR, file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    });
    out.set(file.replace(/\.ts$/, '.js'), outputText);
  }
  return out;
}

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>loading</title>
<script type="module">
  // ?nolocks: the browser has no Web Locks API, so the client must fall back to BroadcastChannel.
  if (new URLSearchParams(location.search).has('nolocks')) delete Navigator.prototype.locks;
  const { createTesseraClient } = await import('/client/index.js');
  window.tessera = createTesseraClient();
  document.title = 'ready';
</script>`;

/** A running test app. */
export interface ClientTestApp {
  /** `http://localhost:PORT`: an origin the browser treats as secure, so `__Host-` cookies work. */
  origin: string;
  clock: ManualClock;
  tessera: Tessera;
  /** `METHOD path status` of every request the server answered, in order. */
  log: string[];
  /** What `POST /notes` (the app's own route) saved. */
  notes: Array<{ by: string; body: unknown }>;
  close(): Promise<void>;
}

/** Starts the app on a free port of localhost (jwt posture, access TTL 60 s, manual clock). */
export async function startClientTestApp(): Promise<ClientTestApp> {
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const clock = createManualClock(Date.now());
  const tessera = createTessera({
    mode: 'jwt',
    clock,
    store: createMemoryStore(),
    origins: [origin],
    jwt: { accessTtlSeconds: ACCESS_TTL_SECONDS },
    password: { memoryKiB: 1024, timeCost: 1 },
  });
  const modules = compileClient();
  const log: string[] = [];
  const notes: Array<{ by: string; body: unknown }> = [];
  const app = Fastify({ logger: false });
  // Added before the plugin, so the encapsulated auth routes are counted too.
  app.addHook('onResponse', async (request, reply) => {
    log.push(`${request.method} ${request.url.split('?', 1)[0]} ${reply.statusCode}`);
  });
  // A slow refresh, so that uncoordinated tabs would overlap and both reach the server.
  app.addHook('onRequest', async (request) => {
    if (request.url === '/auth/refresh') await new Promise((resolve) => setTimeout(resolve, REFRESH_DELAY_MS));
  });
  await app.register(tesseraFastify, { tessera });
  // The app's own state-changing route, behind the guard (CSRF included).
  app.post('/notes', { preHandler: requireAuth }, async (request) => {
    notes.push({ by: request.auth!.user.email, body: request.body });
    return { saved: notes.length };
  });
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
  app.get<{ Params: { file: string } }>('/client/:file', async (request, reply) => {
    const code = modules.get(request.params.file);
    if (code === undefined) return reply.code(404).send();
    return reply.type('text/javascript; charset=utf-8').send(code);
  });
  await app.listen({ port, host: '127.0.0.1' });
  return {
    origin,
    clock,
    tessera,
    log,
    notes,
    async close() {
      await app.close();
      await tessera.close();
      await tessera.config.store.close();
    },
  };
}

/** One browser context (one profile: shared cookies, storage and locks), headless system Chromium. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'tessera-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: ensureChromium(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
