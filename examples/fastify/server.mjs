// A small Fastify app protected by Tessera: `npm install && npm start`, then see README.md.
import Fastify from 'fastify';
import { createTessera } from 'tessera';
import { requireAuth, requireRole, tesseraFastify } from 'tessera/fastify';
import { createSqliteStore } from 'tessera/stores/sqlite';

const port = Number(process.env.PORT ?? 3001);
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
const app = Fastify({ logger: { level: 'info' } });
await app.register(tesseraFastify, { tessera }); // POST /auth/signup, /auth/login, GET /auth/me… (see API.md)

// Public.
app.get('/public', async () => ({ hello: 'anyone' }));

// Any logged-in user.
app.get('/me', { preHandler: requireAuth }, async (request) => ({
  email: request.auth.user.email,
  roles: request.auth.user.roles,
}));

// Admins only (403 for everyone else).
app.get('/admin/stats', { preHandler: requireRole('admin') }, async () => ({
  users: (await app.tessera.listUsers()).length,
  notes: notes.length,
}));

// State-changing: with a cookie, the guard requires an allowed Origin and the X-CSRF-Token header.
app.post('/notes', { preHandler: requireAuth }, async (request, reply) => {
  const note = { id: notes.length + 1, by: request.auth.user.email, text: String(request.body?.text ?? '') };
  notes.push(note);
  return reply.code(201).send(note);
});

app.addHook('onClose', async () => {
  await tessera.close();
  await store.close();
});
await app.listen({ port, host: '127.0.0.1' });
console.log(`example (fastify) listening on http://localhost:${port} (mode=${tessera.config.mode})`);

process.once('SIGINT', () => app.close());
process.once('SIGTERM', () => app.close());
