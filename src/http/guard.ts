import { allowedOrigins } from './csrf.js';
import type { Tessera } from '../core/tessera.js';
import type { AuthResult, Principal } from '../core/types.js';
import { TesseraError } from '../core/errors.js';
import { assertRole, credentialCookieName, presentedCredential, requirePrincipal, type GuardOptions } from './auth.js';
import { errorResponse, withSecurityHeaders, type ErrorLogger } from './routes/index.js';
import type { HttpRequest, HttpResponse } from './types.js';

/** The outcome of guarding a request: the caller, or the response to send instead. */
export type GuardResult = { ok: true; principal: Principal } | { ok: false; response: HttpResponse };

/** Options of one guarded route. */
export interface RequireOptions {
  /** A role the caller must hold (403 `forbidden` otherwise). */
  role?: string;
  /** Roles of which the caller must hold at least one (403 `forbidden` otherwise). */
  roles?: readonly string[];
}

/**
 * Authentication and CSRF for an app's own routes, with exactly the rules of Tessera's routes:
 * unsafe methods authenticated by cookie need a same-site Origin / Fetch Metadata and the
 * session-bound `X-CSRF-Token`; bearer requests are exempt. Framework adapters only translate.
 */
export interface TesseraGuard {
  /** The caller if the request carries a valid credential; never throws for a bad one. */
  authenticate(request: HttpRequest): Promise<AuthResult>;
  /** Requires a valid credential (and role), enforcing CSRF on unsafe methods. */
  require(request: HttpRequest, options?: RequireOptions): Promise<GuardResult>;
}

/**
 * Creates the guard for a Tessera instance. Set up once.
 * @example
 * const guard = createGuard(tessera);
 * const result = await guard.require(request, { role: 'admin' });
 * if (!result.ok) return result.response;
 */
export function createGuard(tessera: Tessera, logger?: ErrorLogger): TesseraGuard {
  const guardOptions: GuardOptions = { origins: allowedOrigins(tessera.config.origins) };
  const cookieName = credentialCookieName(tessera);
  return {
    async authenticate(request) {
      const presented = presentedCredential(request, cookieName);
      if (presented === null) return { ok: false, reason: 'missing' };
      if (presented === 'malformed') return { ok: false, reason: 'malformed' };
      return tessera.authenticate(presented.token, presented.transport);
    },
    async require(request, options = {}) {
      try {
        const principal = await requirePrincipal(tessera, request, guardOptions);
        if (options.role !== undefined) assertRole(principal, options.role);
        if (options.roles !== undefined && options.roles.length > 0 && !options.roles.some((r) => principal.user.roles.includes(r))) {
          throw new TesseraError('forbidden', `requires one of the roles: ${options.roles.join(', ')}`);
        }
        return { ok: true, principal };
      } catch (err) {
        return { ok: false, response: withSecurityHeaders(errorResponse(err, request, logger)) };
      }
    },
  };
}
