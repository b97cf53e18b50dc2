// A small Express app protected by Tessera: `npm install && npm start`, then see README.md.
import express from 'express';
import { createTessera } from 'tessera';
import { requireAuth, requireRole, tesseraRouter } from 'tessera/express';
import { createSqliteStore } from 'tessera/stores/sqlite';

const port = Number(process.env.PORT ?? 3002);
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
const app = express();
app.use(tesseraRouter(tessera)); // POST /auth/signup, /auth/login, GET /auth/me… (see API.md)
app.use(express.json());

// Public.
app.get('/public', (_req, res) => {
  res.json({ hello: 'anyone' });
});

// Any logged-in user.
app.get('/me', requireAuth(tessera), (req, res) => {
  res.json({ email: req.auth.user.email, roles: req.auth.user.roles });
});

// Admins only (403 for everyone else).
app.get('/admin/stats', requireRole(tessera, 'admin'), async (_req, res) => {
  res.json({ users: (await tessera.listUsers()).length, notes: notes.length });
});

// State-changing: with a cookie, the guard requires an allowed Origin and the X-CSRF-Token header.
app.post('/notes', requireAuth(tessera), (req, res) => {
  const note = { id: notes.length + 1, by: req.auth.user.email, text: String(req.body?.text ?? '') };
  notes.push(note);
  res.status(201).json(note);
});

const server = app.listen(port, '127.0.0.1', () => {
  console.log(`example (express) listening on http://localhost:${port} (mode=${tessera.config.mode})`);
});

async function shutdown() {
  server.close();
  await tessera.close();
  await store.close();
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
