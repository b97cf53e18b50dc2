import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Tessera } from '../../core/tessera.js';
import { createRoutes, errorResponse, type ErrorLogger } from '../../http/routes/index.js';
import { MAX_BODY_BYTES } from '../../http/body.js';
import { problem } from '../../http/problem.js';
import { withSecurityHeaders } from '../../http/routes/index.js';
import type { HttpRequest, HttpResponse } from '../../http/types.js';

/** Options of the Fastify plugin. */
export interface TesseraFastifyOptions {
  tessera: Tessera;
}

/** Translates a Fastify request into the neutral shape. No policy here. */
export function toHttpRequest(request: FastifyRequest): HttpRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const body = request.body;
  return {
    method: request.method,
    path: request.url.split('?', 1)[0] ?? '/',
    params: (request.params ?? {}) as Record<string, string>,
    headers,
    body: body instanceof Uint8Array ? body : null,
    ip: request.socket.remoteAddress ?? null,
  };
}

/** Writes a neutral response to a Fastify reply. */
export function sendHttpResponse(reply: FastifyReply, response: HttpResponse): FastifyReply {
  reply.code(response.status);
  for (const [name, value] of Object.entries(response.headers)) reply.header(name, value);
  if (response.cookies.length > 0) reply.header('set-cookie', response.cookies);
  return reply.send(response.body ?? null);
}

/** Maps Fastify's own request errors (body too large, bad content type) to problem responses. */
function fastifyErrorResponse(err: { statusCode?: number; code?: string }): HttpResponse | null {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413) {
    return problem('payload_too_large', { detail: `body is larger than ${MAX_BODY_BYTES / 1024} KiB` });
  }
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return problem('bad_request', { detail: 'the request could not be read' });
  }
  return null;
}

/**
 * Registers the Tessera routes on a Fastify instance (encapsulated: the raw-body parser applies to
 * these routes only).
 * @example await app.register(tesseraFastify, { tessera });
 */
export async function tesseraFastify(app: FastifyInstance, options: TesseraFastifyOptions): Promise<void> {
  if (!options || typeof options.tessera?.authenticate !== 'function') {
    throw new Error('tesseraFastify: the `tessera` option (from createTessera) is required');
  }
  const logger: ErrorLogger = { error: (details, message) => app.log.error(details, message) };
  app.removeAllContentTypeParsers();
  // Bodies reach the neutral layer as bytes: it checks the content type and parses JSON itself.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err, request, reply) => {
    const mapped = fastifyErrorResponse(err as { statusCode?: number; code?: string });
    return sendHttpResponse(reply, withSecurityHeaders(mapped ?? errorResponse(err, toHttpRequest(request), logger)));
  });
  for (const route of createRoutes(options.tessera, { logger })) {
    app.route({
      method: route.method,
      url: route.path,
      bodyLimit: MAX_BODY_BYTES,
      handler: async (request, reply) => sendHttpResponse(reply, await route.handle(toHttpRequest(request))),
    });
  }
}
