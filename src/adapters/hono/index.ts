/** The Hono adapter (`tessera/hono`). */
export { tesseraHono, nodeServerIp, type TesseraHonoOptions } from './app.js';
export { requireAuth, requireRole, type TesseraEnv, type TesseraVariables } from './middleware.js';
