export type { HttpRequest, HttpResponse, Route } from './types.js';
export { createRoutes, notFound, errorResponse, withSecurityHeaders, type RoutesOptions, type ErrorLogger } from './routes/index.js';
export { problem, STATUS_BY_CODE } from './problem.js';
export { parseCookies, serializeCookie, COOKIE_NAMES } from './cookies.js';
export { MAX_BODY_BYTES } from './body.js';
