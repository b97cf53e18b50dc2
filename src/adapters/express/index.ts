/** The Express adapter (`tessera/express`). */
export { tesseraRouter, type TesseraRouterOptions } from './router.js';
export { requireAuth, requireRole } from './middleware.js';
export { toHttpRequest, sendHttpResponse } from './translate.js';
