/** The web-standard adapter (`tessera/web`): `Request` in, `Response` out. */
export { createHandler, type WebHandler, type WebHandlerOptions } from './handler.js';
export { createWebGuard, type WebGuard, type WebGuardResult } from './guard.js';
export { toHttpRequest, toResponse } from './translate.js';
