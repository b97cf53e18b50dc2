import type { Tessera } from '../../core/tessera.js';
import type { AuthResult, Principal } from '../../core/types.js';
import { createGuard, type RequireOptions } from '../../http/guard.js';
import type { ErrorLogger } from '../../http/routes/index.js';
import { consoleLogger } from '../logger.js';
import { assertTessera } from '../options.js';
import { requestHead, toResponse } from './translate.js';

/** The outcome of guarding a web request: the caller, or the `Response` to send instead. */
export type WebGuardResult = { ok: true; principal: Principal } | { ok: false; response: Response };

/** Authentication and CSRF for an app's own routes in a web-standard runtime. */
export interface WebGuard {
  /** The caller if the request carries a valid credential; never throws for a bad one. No CSRF check. */
  authenticate(request: Request): Promise<AuthResult>;
  /**
   * Requires a valid credential (and one of `roles`), enforcing on unsafe methods authenticated by
   * cookie the Origin / Fetch Metadata / `X-CSRF-Token` checks of Tessera's own routes. Never reads the body.
   */
  require(request: Request, options?: RequireOptions): Promise<WebGuardResult>;
}

/**
 * Creates the guard for the app's own routes. Set up once.
 * @throws TypeError when `tessera` is missing.
 * @example
 * const guard = createWebGuard(tessera);
 * const auth = await guard.require(request, { roles: ['admin'] });
 * if (!auth.ok) return auth.response;
 */
export function createWebGuard(tessera: Tessera, options: { logger?: ErrorLogger } = {}): WebGuard {
  const guard = createGuard(assertTessera(tessera, 'createWebGuard'), options.logger ?? consoleLogger);
  return {
    authenticate: (request) => guard.authenticate(requestHead(request)),
    async require(request, requireOptions = {}) {
      const result = await guard.require(requestHead(request), requireOptions);
      return result.ok ? result : { ok: false, response: toResponse(result.response) };
    },
  };
}
