import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { tesseraFastify } from '../adapters/fastify/index.js';
import type { Tessera } from '../core/tessera.js';
import { problem } from '../http/problem.js';
import { notFound } from '../http/routes/index.js';
import { sendHttpResponse } from '../adapters/fastify/index.js';
import { loggerOptions } from './logger.js';
import { registerDemoPage } from './demo/index.js';
import { createClientErrorHandler, LIMITS } from './limits.js';
import { createServerMetrics, type MetricsAccess, type ServerMetrics } from './metrics.js';
import { registerMetricsRoute } from './metrics-route.js';
import { addRequestLog, answerUnroutable, logUnparsedRequest } from './request-log.js';
import { addSecurityHeaders } from './security-headers.js';

/** Options of the reference server's Fastify app. */
export interface AppOptions {
  tessera: Tessera;
  /** pino level; `silent` in tests. */
  logLevel?: string;
  /** Where log lines go instead of stdout (tests capture them). */
  logStream?: DestinationStream;
  /** The server's metrics; `startServer` passes the ones its store wrapper reports to. Default: new ones. */
  metrics?: ServerMetrics;
  /** Who may read `GET /metrics` (default `loopback`). */
  metricsAccess?: MetricsAccess;
}

/**
 * Builds the reference server: the Tessera routes, the demo page (and, with `demo`, its demo-only
 * routes), problem+json for unknown routes.
 * Limits (`limits.ts`): 64 KiB bodies, 16 KiB headers (431 problem), request timeout 30 s.
 * Every response carries the security headers; one log line per request; `GET /metrics`.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const metrics = options.metrics ?? createServerMetrics({ mode: options.tessera.config.mode, store: options.tessera.config.store.kind });
  const app = Fastify({
    logger: loggerOptions(options.logLevel ?? 'info', options.logStream),
    // One line per request, written by request-log.ts, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    http: { maxHeaderSize: LIMITS.headerBytes },
    bodyLimit: 64 * 1024,
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 10_000,
    routerOptions: { maxParamLength: 256 },
    // Fastify's own 503 for a request read while closing is plain JSON; the hook below answers it.
    return503OnClosing: false,
    trustProxy: false,
    // Malformed or over-long URLs are refused before routing; answer them in problem+json too,
    // without echoing the URL back.
    frameworkErrors: (_err, request, reply) => answerUnroutable(request, reply, metrics),
    // Oversize headers and unparseable requests never reach Fastify: answer them in problem+json too.
    clientErrorHandler: createClientErrorHandler((reason, status) => logUnparsedRequest(app, metrics, reason, status)),
  });
  // While draining (SIGTERM), tell keep-alive clients to go: in-flight requests finish, then the
  // connection closes instead of lingering until its keep-alive timeout. A request read once closing
  // began (a kept-alive client sending before its connection is closed, or one pipelined behind a
  // request in flight) is refused with a problem+json 503 and never run: its answer may race the close.
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onRequest', (_request, reply, done) => {
    if (!draining) return done();
    // The security headers and the request line come from the onSend / onResponse hooks below.
    sendHttpResponse(reply, problem('unavailable', { detail: 'the server is shutting down' }));
  });
  app.addHook('onSend', async (_request, reply) => {
    if (draining) reply.header('connection', 'close');
  });
  // Before any route, so every context inherits them: security headers, the request line, metrics.
  addSecurityHeaders(app);
  addRequestLog(app, metrics);
  metrics.watch(options.tessera);
  registerMetricsRoute(app, metrics, options.metricsAccess ?? 'loopback');
  await app.register(tesseraFastify, { tessera: options.tessera });
  await registerDemoPage(app, options.tessera);
  app.setNotFoundHandler((_request, reply) => sendHttpResponse(reply, notFound()));
  return app;
}
