import type { MiddlewareHandler } from 'hono';
import type { Tessera } from '../../core/tessera.js';
import type { Principal } from '../../core/types.js';
import { createGuard, type RequireOptions } from '../../http/guard.js';
import { consoleLogger } from '../logger.js';
import { assertRoles, assertTessera } from '../options.js';
import { requestHead, toResponse } from '../web/translate.js';

/** The context variables the middleware sets: `c.get('auth')`. */
export interface TesseraVariables {
  /** The authenticated caller. */
  auth: Principal;
}

/** A Hono `Env` with Tessera's variables, for `new Hono<TesseraEnv>()`. */
export interface TesseraEnv {
  Variables: TesseraVariables;
}

function createMiddleware(tessera: Tessera, options: RequireOptions, name: string): MiddlewareHandler<TesseraEnv> {
  const guard = createGuard(assertTessera(tessera, name), consoleLogger);
  return async (c, next) => {
    // Headers only: the app's body stays unread for its handler.
    const result = await guard.require(requestHead(c.req.raw), options);
    if (!result.ok) return toResponse(result.response);
    c.set('auth', result.principal);
    await next();
    return undefined;
  };
}

/**
 * Middleware that requires a valid credential and sets `c.get('auth')`. Unsafe methods
 * authenticated by cookie must pass the same Origin / Fetch Metadata / `X-CSRF-Token` checks as
 * Tessera's own routes; a refusal is answered with the problem response and the handler does not run.
 * @throws TypeError when `tessera` is missing.
 * @example app.post('/notes', requireAuth(tessera), (c) => c.json(save(c.get('auth').user.id)));
 */
export function requireAuth(tessera: Tessera): MiddlewareHandler<TesseraEnv> {
  return createMiddleware(tessera, {}, 'requireAuth');
}

/**
 * Middleware that requires a valid credential holding at least one of `roles` (403 `forbidden`
 * otherwise), with the checks of `requireAuth`.
 * @throws TypeError when `tessera` or the roles are missing.
 * @example app.get('/admin/stats', requireRole(tessera, 'admin'), (c) => c.json(stats()));
 */
export function requireRole(tessera: Tessera, ...roles: string[]): MiddlewareHandler<TesseraEnv> {
  return createMiddleware(tessera, { roles: assertRoles(roles, 'requireRole') }, 'requireRole');
}
