import Fastify, { type FastifyInstance } from 'fastify';
import { tesseraFastify } from '../adapters/fastify/index.js';
import type { Tessera } from '../core/tessera.js';
import { notFound, withSecurityHeaders } from '../http/routes/index.js';
import { problem } from '../http/problem.js';
import { sendHttpResponse } from '../adapters/fastify/index.js';
import { loggerOptions } from './logger.js';
import { registerDemoPage } from './demo/index.js';

/** Options of the reference server's Fastify app. */
export interface AppOptions {
  tessera: Tessera;
  /** pino level; `silent` in tests. */
  logLevel?: string;
}

/**
 * Builds the reference server: the Tessera routes, the demo page (and, with `demo`, its demo-only
 * routes), problem+json for unknown routes.
 * Limits: 64 KiB bodies, 16 KiB headers (Node's default), request timeout 30 s.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(options.logLevel ?? 'info'),
    bodyLimit: 64 * 1024,
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 10_000,
    routerOptions: { maxParamLength: 256 },
    return503OnClosing: true,
    trustProxy: false,
    // Malformed or over-long URLs are refused before routing; answer them in problem+json too,
    // without echoing the URL back.
    frameworkErrors: (_err, _request, reply) =>
      sendHttpResponse(reply, withSecurityHeaders(problem('bad_request', { detail: 'the request URL is not valid' }))),
  });
  // While draining (SIGTERM), tell keep-alive clients to go: in-flight requests finish, then the
  // connection closes instead of lingering until its keep-alive timeout.
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (draining) reply.header('connection', 'close');
  });
  await app.register(tesseraFastify, { tessera: options.tessera });
  await registerDemoPage(app, options.tessera);
  app.setNotFoundHandler((_request, reply) => sendHttpResponse(reply, notFound()));
  return app;
}
