import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Tessera } from '../../core/tessera.js';
import { MAX_BODY_BYTES } from '../../http/body.js';
import { problem } from '../../http/problem.js';
import { createRoutes, withSecurityHeaders, type ErrorLogger } from '../../http/routes/index.js';
import type { HttpResponse } from '../../http/types.js';
import { consoleLogger } from '../logger.js';
import { assertTessera } from '../options.js';
import { sendHttpResponse, toHttpRequest } from './translate.js';

/** Options of `tesseraRouter`. */
export interface TesseraRouterOptions {
  /** Where unexpected errors (and, if given, `warn` security events) go; default `console.error`. */
  logger?: ErrorLogger;
}

/** Maps body-parser's errors (http-errors with `type`) to problem responses. */
function bodyErrorResponse(err: { status?: number; type?: string }): HttpResponse {
  if (err.type === 'entity.too.large' || err.status === 413) {
    return problem('payload_too_large', { detail: `body is larger than ${MAX_BODY_BYTES / 1024} KiB` });
  }
  return problem('bad_request', { detail: 'the request could not be read' });
}

/**
 * The body bytes of an auth route's request. The router reads the raw body itself; if a parser of
 * the app (`express.json()`, `express.urlencoded()`) consumed the stream first, its result is
 * re-encoded as JSON under the original `Content-Type`, which the neutral layer still checks.
 */
function bodyBytes(req: Request): Uint8Array | null {
  const body: unknown = req.body;
  if (body === undefined || body === null) return null;
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.from(JSON.stringify(body), 'utf8');
}

/**
 * An Express router serving the routes of the HTTP contract. Mount it at the root (the refresh
 * cookie is scoped to `/auth`); it works with or without `express.json()` in the app, and its raw
 * body parser (64 KiB) applies to the auth routes only.
 * @throws TypeError when `tessera` is missing.
 * @example
 * const app = express();
 * app.use(tesseraRouter(tessera));
 * app.get('/me', requireAuth(tessera), (req, res) => res.json({ email: req.auth!.user.email }));
 */
export function tesseraRouter(tessera: Tessera, options: TesseraRouterOptions = {}): Router {
  assertTessera(tessera, 'tesseraRouter');
  const logger = options.logger ?? consoleLogger;
  const router = express.Router();
  const readRaw = express.raw({ type: () => true, limit: MAX_BODY_BYTES });
  for (const route of createRoutes(tessera, { logger })) {
    const handle = (req: Request, res: Response, next: NextFunction): void => {
      readRaw(req, res, (err?: unknown) => {
        if (err) {
          sendHttpResponse(res, withSecurityHeaders(bodyErrorResponse(err as { status?: number; type?: string })));
          return;
        }
        route.handle(toHttpRequest(req, bodyBytes(req))).then((response) => sendHttpResponse(res, response), next);
      });
    };
    const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
    router[method](route.path, handle);
  }
  return router;
}
