// A small Hono app (on Node, via @hono/node-server) protected by Tessera: `npm install && npm start`.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createTessera } from 'tessera';
import { requireAuth, requireRole, tesseraHono } from 'tessera/hono';
import { createSqliteStore } from 'tessera/stores/sqlite';

const port = Number(process.env.PORT ?? 3003);
const store = createSqliteStore({ path: process.env.TESSERA_DB ?? './example.db' });
const tessera = createTessera({
  mode: process.env.TESSERA_MODE ?? 'session',
  store,
  // The browser origins allowed to send unsafe requests (CSRF: Origin is checked, then the token).
  origins: [`http://localhost:${port}`, `http://127.0.0.1:${port}`],
});
if (process.env.ADMIN_EMAIL && process.env.ADMIN_PASSWORD) {
  await tessera.ensureAdmin(process.env.ADMIN_EMAIL, process.env.ADMIN_PASSWORD);
}

const notes = [];
const app = new Hono();
app.route('/', tesseraHono(tessera)); // POST /auth/signup, /auth/login, GET /auth/me… (see API.md)

// Public.
app.get('/public', (c) => c.json({ hello: 'anyone' }));

// Any logged-in user.
app.get('/me', requireAuth(tessera), (c) => {
  const { user } = c.get('auth');
  return c.json({ email: user.email, roles: user.roles });
});

// Admins only (403 for everyone else).
app.get('/admin/stats', requireRole(tessera, 'admin'), async (c) =>
  c.json({ users: (await tessera.listUsers()).length, notes: notes.length }),
);

// State-changing: with a cookie, the guard requires an allowed Origin and the X-CSRF-Token header.
app.post('/notes', requireAuth(tessera), async (c) => {
  const body = await c.req.json().catch(() => ({}));
  const note = { id: notes.length + 1, by: c.get('auth').user.email, text: String(body?.text ?? '') };
  notes.push(note);
  return c.json(note, 201);
});

const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => {
  console.log(`example (hono) listening on http://localhost:${port} (mode=${tessera.config.mode})`);
});

async function shutdown() {
  server.close();
  await tessera.close();
  await store.close();
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
