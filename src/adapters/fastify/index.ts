/** The Fastify adapter (`tessera/fastify`). */
import { tesseraFastify } from './plugin.js';

export { tesseraFastify, type TesseraFastifyOptions } from './plugin.js';
export { requireAuth, requireRole, type TesseraPreHandler } from './pre-handlers.js';
export { toHttpRequest, sendHttpResponse } from './translate.js';
export default tesseraFastify;
