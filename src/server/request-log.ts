import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendHttpResponse } from '../adapters/fastify/index.js';
import { problem } from '../http/problem.js';
import { withSecurityHeaders } from '../http/routes/index.js';
import type { ClientErrorReason, ServerMetrics } from './metrics.js';

/** Problem codes worth a `warn` line: someone may be attacking. */
const WARN_CODES = new Set(['csrf_rejected', 'rate_limited']);

/** The route pattern that served a request (`/auth/sessions/:id`), or `unmatched`: never the URL. */
export function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

/** The `code` of a problem+json body, read from the serialised payload; undefined otherwise. */
function problemCode(contentType: unknown, payload: unknown): string | undefined {
  if (typeof payload !== 'string' || typeof contentType !== 'string' || !contentType.startsWith('application/problem+json')) return undefined;
  try {
    const code = (JSON.parse(payload) as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One structured line per request, written when the response has been sent:
 * `{ reqId, method, route, status, ms, code? }` with the message `request`. `route` is the pattern,
 * so no query string, path parameter, header, cookie or body ever reaches the log; `code` is the
 * problem code of an error response. Level: `error` for 5xx, `warn` for `csrf_rejected` and
 * `rate_limited`, `info` otherwise. The same hook feeds the request metrics.
 * Fastify's own two lines per request must be turned off (`disableRequestLogging`).
 */
export function addRequestLog(app: FastifyInstance, metrics: ServerMetrics): void {
  const codes = new WeakMap<FastifyRequest, string>();
  app.addHook('onSend', async (request, reply, payload) => {
    const code = problemCode(reply.getHeader('content-type'), payload);
    if (code !== undefined) codes.set(request, code);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = routeOf(request);
    const status = reply.statusCode;
    const ms = reply.elapsedTime;
    metrics.observeRequest(request.method, route, status, ms / 1000);
    const code = codes.get(request);
    const line = { method: request.method, route, status, ms: Math.round(ms * 10) / 10, ...(code === undefined ? {} : { code }) };
    if (status >= 500) request.log.error(line, 'request');
    else if (code !== undefined && WARN_CODES.has(code)) request.log.warn(line, 'request');
    else request.log.info(line, 'request');
  });
}

/**
 * Fastify's `frameworkErrors` for the reference server: a malformed or over-long URL is refused
 * before routing (no hook runs), so it is answered here in problem+json (the URL is not echoed)
 * and gets its request line and metrics here too.
 */
export function answerUnroutable(request: FastifyRequest, reply: FastifyReply, metrics: ServerMetrics): FastifyReply {
  sendHttpResponse(reply, withSecurityHeaders(problem('bad_request', { detail: 'the request URL is not valid' })));
  const ms = reply.elapsedTime;
  metrics.observeRequest(request.method, 'unmatched', 400, ms / 1000);
  request.log.info({ method: request.method, route: 'unmatched', status: 400, ms: Math.round(ms * 10) / 10, code: 'bad_request' }, 'request');
  return reply;
}

/**
 * The line and metric of a request Node's HTTP parser refused before Fastify saw it (431, 408,
 * 400; see `limits.ts`). There is no request object, hence no `reqId` and no method: only what
 * is known for sure, never a byte of what was sent.
 */
export function logUnparsedRequest(app: FastifyInstance, metrics: ServerMetrics, reason: ClientErrorReason, status: number): void {
  metrics.clientError(reason);
  app.log.info({ route: 'unparsed', status, code: 'bad_request', reason }, 'request');
}
