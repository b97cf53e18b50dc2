import { allowedOrigins } from '../csrf.js';
import type { Tessera } from '../../core/tessera.js';
import { TesseraError } from '../../core/errors.js';
import { ResponseError, type GuardOptions } from '../auth.js';
import { internalError, problem, problemFromError } from '../problem.js';
import { API_SECURITY_HEADER_ENTRIES } from '../respond.js';
import type { HttpRequest, HttpResponse, Route } from '../types.js';
import { adminRoutes } from './admin.js';
import { authRoutes, type RouteDefiner } from './auth.js';
import { healthRoutes } from './health.js';
import { jwtRoutes } from './jwt.js';

/** Where unexpected errors and security rejections are reported; never given a secret. */
export interface ErrorLogger {
  error(details: { err: unknown; method: string; path: string }, message: string): void;
  /** Security events worth an operator's eye: CSRF rejections, rate limits. */
  warn?(details: { code: string; method: string; path: string }, message: string): void;
}

const LOGGED_REJECTIONS = new Set(['csrf_rejected', 'rate_limited']);

/** Options of `createRoutes`. */
export interface RoutesOptions {
  logger?: ErrorLogger;
}

/** Applies the API security headers without overriding what a route set. */
export function withSecurityHeaders(response: HttpResponse): HttpResponse {
  for (const [name, value] of API_SECURITY_HEADER_ENTRIES) {
    if (!(name in response.headers)) response.headers[name] = value;
  }
  return response;
}

/** Turns anything a route throws into a response: problem+json for known errors, a bare 500 otherwise. */
export function errorResponse(err: unknown, request: HttpRequest, logger?: ErrorLogger): HttpResponse {
  if (err instanceof ResponseError) return err.response;
  const known = problemFromError(err);
  if (known) {
    if (err instanceof TesseraError && LOGGED_REJECTIONS.has(err.code)) {
      logger?.warn?.({ code: err.code, method: request.method, path: request.path }, `request rejected: ${err.code}`);
    }
    return known;
  }
  logger?.error({ err, method: request.method, path: request.path }, 'unexpected error in a Tessera route');
  return internalError();
}

/**
 * What every route of `createRoutes` is wrapped in: anything its handler throws becomes a problem
 * response, and every answer gets the API security headers. (The benchmark's floor routes are
 * defined with it too, so they and the routes they bound pay the same plumbing.)
 */
export function routeDefiner(options: RoutesOptions = {}): RouteDefiner {
  return (method, path, handle) => ({
    method,
    path,
    async handle(request) {
      let response: HttpResponse;
      try {
        response = await handle(request);
      } catch (err) {
        response = errorResponse(err, request, options.logger);
      }
      return withSecurityHeaders(response);
    },
  });
}

/**
 * Every route of the HTTP contract for this instance, framework-neutral. Adapters register each
 * (method, path) with their own router and call `handle`. Set up once; nothing is rebuilt per request.
 */
export function createRoutes(tessera: Tessera, options: RoutesOptions = {}): Route[] {
  const guard: GuardOptions = { origins: allowedOrigins(tessera.config.origins) };
  const define = routeDefiner(options);
  return [...healthRoutes(tessera, define), ...authRoutes(tessera, guard, define), ...jwtRoutes(tessera, guard, define), ...adminRoutes(tessera, guard, define)];
}

/** The 404 problem response for a path no route matches. */
export function notFound(): HttpResponse {
  return withSecurityHeaders(problem('not_found', { detail: 'no such route' }));
}
