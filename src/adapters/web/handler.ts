import type { Tessera } from '../../core/tessera.js';
import { createRoutes, errorResponse, notFound, withSecurityHeaders, type ErrorLogger } from '../../http/routes/index.js';
import { consoleLogger } from '../logger.js';
import { assertTessera } from '../options.js';
import { createRouteMatcher } from './match-route.js';
import { readBodyBytes, requestHead, toResponse } from './translate.js';

/** Options of `createHandler`. */
export interface WebHandlerOptions {
  /** Where unexpected errors (and, if given, `warn` security events) go; default `console.error`. */
  logger?: ErrorLogger;
}

/**
 * A web-standard handler. `ip` is the client's address (a `Request` does not carry it); anything
 * but a string is ignored, so runtimes that pass their own second argument are safe.
 */
export type WebHandler = (request: Request, ip?: string | null) => Promise<Response>;

/**
 * The routes of the HTTP contract as one `fetch`-style handler for any web-standard runtime
 * (Bun, Deno, Cloudflare Workers, Node via a bridge). The route table is matched by a router built
 * once; an unknown path gets a 404 problem. Serve the app's own routes first and fall back to it.
 * @throws TypeError when `tessera` is missing.
 * @example
 * const handler = createHandler(tessera);
 * Deno.serve((request, info) => handler(request, info.remoteAddr.hostname));
 */
export function createHandler(tessera: Tessera, options: WebHandlerOptions = {}): WebHandler {
  assertTessera(tessera, 'createHandler');
  const logger = options.logger ?? consoleLogger;
  const match = createRouteMatcher(createRoutes(tessera, { logger }));
  return async (request, ip) => {
    const head = requestHead(request, typeof ip === 'string' ? ip : null);
    const found = match(head.method, head.path);
    if (!found) return toResponse(notFound());
    let body: Uint8Array | null;
    try {
      body = await readBodyBytes(request);
    } catch (err) {
      return toResponse(withSecurityHeaders(errorResponse(err, head, logger)));
    }
    return toResponse(await found.route.handle({ ...head, params: found.params, body }));
  };
}
