import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendHttpResponse } from '../adapters/fastify/index.js';
import { notFound } from '../http/routes/index.js';
import type { MetricsAccess, ServerMetrics } from './metrics.js';

/** Headers a reverse proxy adds: a request carrying one did not come straight from this host. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip'];

/** True for a socket peer in 127.0.0.0/8 or ::1 (IPv4-mapped included). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

function allowed(request: FastifyRequest, access: MetricsAccess): boolean {
  if (access === 'open') return true;
  // The socket's peer, never a header: trustProxy is off in the reference server.
  if (!isLoopbackAddress(request.socket.remoteAddress)) return false;
  // A reverse proxy on the same host connects from loopback too; what it forwards is not local.
  return !FORWARDING_HEADERS.some((name) => request.headers[name] !== undefined);
}

/**
 * `GET /metrics` in the Prometheus text format, according to `access` (see `MetricsAccess`).
 * A refused request gets the same 404 problem as an unknown route, so the endpoint's existence is
 * not advertised. The text holds counts and timings only: no token, id, email or URL.
 */
export function registerMetricsRoute(app: FastifyInstance, metrics: ServerMetrics, access: MetricsAccess): void {
  if (access === 'off') return;
  app.get('/metrics', async (request, reply) => {
    if (!allowed(request, access)) return sendHttpResponse(reply, notFound());
    reply.header('content-type', metrics.contentType);
    return metrics.render();
  });
}
