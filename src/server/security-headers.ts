import type { FastifyInstance } from 'fastify';
import { API_SECURITY_HEADER_ENTRIES } from '../http/respond.js';

/**
 * Makes sure every response of the reference server carries the API security headers
 * (`Cache-Control: no-store`, `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`,
 * `X-Frame-Options: DENY`, `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'`):
 * API responses, errors, 404s, 413s, the metrics text. A header a route set on purpose wins (the
 * demo page's own CSP, the JWKS's public caching). Responses Node writes itself before routing
 * (431, 408, 400) get the same headers from `limits.ts`.
 * Register on the root instance before any route or plugin, so every context inherits it.
 */
export function addSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply) => {
    for (const [name, value] of API_SECURITY_HEADER_ENTRIES) {
      if (!reply.hasHeader(name)) reply.header(name, value);
    }
  });
}
