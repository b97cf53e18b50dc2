import { z } from 'zod';
import type { Tessera } from '../../core/tessera.js';
import { TesseraError } from '../../core/errors.js';
import { csrfRejected, type GuardOptions } from '../auth.js';
import { readJsonBody } from '../body.js';
import { COOKIE_NAMES, parseCookies } from '../cookies.js';
import { clearCredentialCookies, credentialCookies } from '../credentials-cookies.js';
import { assertSameOrigin, presentedCsrfToken } from '../csrf.js';
import { problem } from '../problem.js';
import { json } from '../respond.js';
import type { Route } from '../types.js';
import type { RouteDefiner } from './auth.js';

const refreshSchema = z.object({ refresh_token: z.string().max(512).optional() });

/** The routes only the jwt postures serve: refresh and the JWKS. */
export function jwtRoutes(tessera: Tessera, guard: GuardOptions, define: RouteDefiner): Route[] {
  const { config } = tessera;
  if (config.mode === 'session') return [];
  return [
    define('POST', '/auth/refresh', async (request) => {
      // The refresh cookie is SameSite=Strict and Path=/auth; refuse cross-site callers as for login.
      assertSameOrigin(request, guard.origins);
      const body = readJsonBody(request, refreshSchema, { optional: true });
      const bearer = body.refresh_token !== undefined;
      const token = body.refresh_token ?? parseCookies(request.headers.cookie).get(COOKIE_NAMES.refresh);
      // A client sending `Authorization: Bearer` is a bearer client even when it forgot the body's token.
      if (!token) return problem('unauthenticated', { detail: 'no refresh token', bearer: bearer || request.headers.authorization !== undefined, tokenPresented: false });
      // Authenticated by the refresh cookie, the request carries the login's X-CSRF-Token like every
      // unsafe cookie request: checked against the live family before it rotates (a dead token gets
      // its 401, a replayed rotated one its reuse detection, whatever the header says).
      const result = await tessera.refresh(token, bearer ? {} : { csrfToken: presentedCsrfToken(request) });
      if (!result.ok && result.reason === 'csrf_rejected') throw csrfRejected(tessera);
      if (!result.ok) {
        const response = problem('unauthenticated', {
          detail: result.reason === 'reused' ? 'refresh token reuse detected; this login was revoked' : 'the refresh token is not valid',
          bearer,
        });
        if (!bearer) response.cookies = clearCredentialCookies(config);
        return response;
      }
      const { credentials } = result;
      const now = config.clock.now();
      const expiresIn = Math.floor((credentials.accessExpiresAt - now) / 1000);
      if (bearer) {
        return json(200, {
          token_type: 'Bearer',
          access_token: credentials.accessToken,
          refresh_token: credentials.refreshToken,
          expires_in: expiresIn,
        });
      }
      return json(
        200,
        { expires_in: expiresIn, csrf_token: await tessera.csrfToken(credentials.sessionId) },
        credentialCookies(credentials, config, now),
      );
    }),

    define('GET', '/.well-known/jwks.json', async () => {
      const jwks = await tessera.jwks();
      if (!jwks) throw new TesseraError('not_found', 'no public keys: HS256 is symmetric');
      const response = json(200, jwks);
      // Verifiers may cache for 5 minutes; a rotated-out key stays published longer than that.
      response.headers['cache-control'] = 'public, max-age=300';
      return response;
    }),
  ];
}
