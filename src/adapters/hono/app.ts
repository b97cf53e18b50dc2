import { Hono, type Context } from 'hono';
import type { Tessera } from '../../core/tessera.js';
import { createRoutes, errorResponse, withSecurityHeaders, type ErrorLogger } from '../../http/routes/index.js';
import { MAX_BODY_BYTES } from '../../http/body.js';
import { TesseraError } from '../../core/errors.js';
import { consoleLogger } from '../logger.js';
import { assertTessera } from '../options.js';
import { readBodyBytes, requestHead, toResponse } from '../web/translate.js';

/** Options of `tesseraHono`. */
export interface TesseraHonoOptions {
  /** Where unexpected errors (and, if given, `warn` security events) go; default `console.error`. */
  logger?: ErrorLogger;
  /**
   * The client's address, which a `Request` does not carry. Default: the socket address under
   * `@hono/node-server` (`c.env.incoming`), else null (per-IP rate limits then do not apply).
   */
  clientIp?: (c: Context) => string | null | undefined;
}

/** The socket address @hono/node-server exposes as `c.env.incoming`. */
export function nodeServerIp(c: Context): string | null {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? null;
}

/** The body bytes, whether or not an earlier middleware already read (and Hono cached) the body. */
async function bodyOf(c: Context): Promise<Uint8Array | null> {
  if (!c.req.raw.bodyUsed) return readBodyBytes(c.req.raw);
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.byteLength > MAX_BODY_BYTES) throw new TesseraError('payload_too_large', 'body is larger than 64 KiB');
  return bytes.byteLength > 0 ? bytes : null;
}

/**
 * A Hono sub-app serving the routes of the HTTP contract; mount it at the root with
 * `app.route('/', tesseraHono(tessera))`. Paths it does not serve fall through to the app.
 * @throws TypeError when `tessera` is missing.
 * @example
 * const app = new Hono();
 * app.route('/', tesseraHono(tessera));
 * app.get('/me', requireAuth(tessera), (c) => c.json({ email: c.get('auth').user.email }));
 */
export function tesseraHono(tessera: Tessera, options: TesseraHonoOptions = {}): Hono {
  assertTessera(tessera, 'tesseraHono');
  const logger = options.logger ?? consoleLogger;
  const clientIp = options.clientIp ?? nodeServerIp;
  const app = new Hono();
  for (const route of createRoutes(tessera, { logger })) {
    app.on(route.method, route.path, async (c) => {
      const head = { ...requestHead(c.req.raw, clientIp(c) ?? null), params: c.req.param() as Record<string, string> };
      let body: Uint8Array | null;
      try {
        body = await bodyOf(c);
      } catch (err) {
        return toResponse(withSecurityHeaders(errorResponse(err, head, logger)));
      }
      return toResponse(await route.handle({ ...head, body }));
    });
  }
  return app;
}
