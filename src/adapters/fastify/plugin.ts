import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Tessera } from '../../core/tessera.js';
import type { Principal } from '../../core/types.js';
import { MAX_BODY_BYTES } from '../../http/body.js';
import { createGuard, type TesseraGuard } from '../../http/guard.js';
import { problem } from '../../http/problem.js';
import { createRoutes, errorResponse, withSecurityHeaders, type ErrorLogger } from '../../http/routes/index.js';
import type { HttpResponse } from '../../http/types.js';
import { assertTessera } from '../options.js';
import { fastifyHandler, sendHttpResponse, toHttpRequest } from './translate.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, set by the `requireAuth` / `requireRole` pre-handlers; null on routes without them. */
    auth: Principal | null;
  }
  interface FastifyInstance {
    /** The Tessera instance the plugin was registered with (`app.tessera.revokeAllForUser(id)`). */
    tessera: Tessera;
    /** The guard behind `requireAuth` / `requireRole`, for checks outside a pre-handler. */
    tesseraGuard: TesseraGuard;
  }
}

/** Options of the Fastify plugin. */
export interface TesseraFastifyOptions {
  /** The instance from `createTessera`. */
  tessera: Tessera;
}

/** Maps Fastify's own request errors (body too large, unreadable body) to problem responses. */
function fastifyErrorResponse(err: { statusCode?: number; code?: string }): HttpResponse | null {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413) {
    return problem('payload_too_large', { detail: `body is larger than ${MAX_BODY_BYTES / 1024} KiB` });
  }
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return problem('bad_request', { detail: 'the request could not be read' });
  }
  return null;
}

/** The auth routes, in their own encapsulated context so the raw-body parser stays there. */
async function authRoutes(app: FastifyInstance, options: { tessera: Tessera; logger: ErrorLogger }): Promise<void> {
  app.removeAllContentTypeParsers();
  // Bodies reach the neutral layer as bytes: it checks the content type and parses JSON itself.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err, request, reply) => {
    const mapped = fastifyErrorResponse(err as { statusCode?: number; code?: string });
    return sendHttpResponse(reply, withSecurityHeaders(mapped ?? errorResponse(err, toHttpRequest(request), options.logger)));
  });
  for (const route of createRoutes(options.tessera, { logger: options.logger })) {
    app.route({
      method: route.method,
      url: route.path,
      bodyLimit: MAX_BODY_BYTES,
      handler: fastifyHandler(route),
    });
  }
}

const plugin: FastifyPluginAsync<TesseraFastifyOptions> = async (app, options) => {
  // Checked at register time, so a misconfiguration fails `ready()` instead of the first request.
  const tessera = assertTessera(options?.tessera, 'tesseraFastify');
  const logger: ErrorLogger = {
    error: (details, message) => app.log.error(details, message),
    warn: (details, message) => app.log.warn(details, message),
  };
  app.decorate('tessera', tessera);
  app.decorate('tesseraGuard', createGuard(tessera, logger));
  app.decorateRequest('auth', null);
  await app.register(authRoutes, { tessera, logger });
};

/**
 * The Fastify plugin: mounts the routes of the HTTP contract (in an encapsulated child context,
 * with their own raw-body parser), and exposes `app.tessera`, `app.tesseraGuard` and `request.auth`
 * to the app (wrapped with fastify-plugin). Protect the app's routes with `requireAuth` / `requireRole`.
 * @throws Error at `ready()` when the `tessera` option is missing.
 * @example
 * const app = Fastify();
 * await app.register(tesseraFastify, { tessera });
 * app.get('/me', { preHandler: requireAuth }, async (request) => ({ email: request.auth!.user.email }));
 */
export const tesseraFastify = fp(plugin, { fastify: '5.x', name: 'tessera' });
