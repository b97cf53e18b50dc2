import type { RequestHandler } from 'express';
import type { Tessera } from '../../core/tessera.js';
import type { Principal } from '../../core/types.js';
import { createGuard, type RequireOptions } from '../../http/guard.js';
import { consoleLogger } from '../logger.js';
import { assertRoles, assertTessera } from '../options.js';
import { sendHttpResponse, toHttpRequest } from './translate.js';

declare global {
  namespace Express {
    interface Request {
      /** The caller, set by `requireAuth` / `requireRole`; undefined on routes without them. */
      auth?: Principal;
    }
  }
}

function createMiddleware(tessera: Tessera, options: RequireOptions, name: string): RequestHandler {
  const guard = createGuard(assertTessera(tessera, name), consoleLogger);
  return (req, res, next) => {
    // The app's body is left alone: the guard reads headers only.
    guard.require(toHttpRequest(req), options).then((result) => {
      if (!result.ok) return sendHttpResponse(res, result.response);
      req.auth = result.principal;
      next();
    }, next);
  };
}

/**
 * Middleware that requires a valid credential and sets `req.auth`. Unsafe methods authenticated by
 * cookie must pass the same Origin / Fetch Metadata / `X-CSRF-Token` checks as Tessera's own
 * routes; a refusal is answered with the problem response (401 / 403) and the route does not run.
 * @throws TypeError when `tessera` is missing.
 * @example app.post('/notes', requireAuth(tessera), (req, res) => res.json(save(req.auth!.user.id)));
 */
export function requireAuth(tessera: Tessera): RequestHandler {
  return createMiddleware(tessera, {}, 'requireAuth');
}

/**
 * Middleware that requires a valid credential holding at least one of `roles` (403 `forbidden`
 * otherwise), with the checks of `requireAuth`.
 * @throws TypeError when `tessera` or the roles are missing.
 * @example app.get('/admin/stats', requireRole(tessera, 'admin'), (req, res) => res.json(stats()));
 */
export function requireRole(tessera: Tessera, ...roles: string[]): RequestHandler {
  return createMiddleware(tessera, { roles: assertRoles(roles, 'requireRole') }, 'requireRole');
}
