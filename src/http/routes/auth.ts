import { z } from 'zod';
import type { Tessera } from '../../core/tessera.js';
import type { Principal } from '../../core/types.js';
import { csrfRejected, presentedCredential, credentialCookieName, logoutPresented, requirePrincipal, ResponseError, type GuardOptions } from '../auth.js';
import { COOKIE_NAMES, parseCookies } from '../cookies.js';
import { readJsonBody } from '../body.js';
import { clientIp } from '../client-ip.js';
import { clearCredentialCookies, credentialCookies } from '../credentials-cookies.js';
import { assertSameOrigin, presentedCsrfToken } from '../csrf.js';
import { iso, json, jsonString, jsonStringArray, jsonText, noContent } from '../respond.js';
import type { HttpRequest, Route } from '../types.js';
import { TesseraError } from '../../core/errors.js';
import type { ClientInfo } from '../../core/types.js';

const credentialsSchema = z.object({
  email: z.string().max(320),
  // Byte length (≤ 1024 by default) is checked before hashing; this only bounds the parse.
  password: z.string().max(16_384),
});
const loginSchema = credentialsSchema.extend({ transport: z.enum(['cookie', 'bearer']).default('cookie') });

/**
 * The body of `GET /auth/me`, `{user:{id,email,roles}, session:{id,created_at,expires_at}, mode}`,
 * written field by field: the hottest authenticated answer, and exactly the contract's fields
 * whatever else the principal's objects hold. Strings are escaped exactly as `JSON.stringify` does.
 */
export function meBody(principal: Principal, mode: string): string {
  const { user, session } = principal;
  return (
    `{"user":{"id":${jsonString(user.id)},"email":${jsonString(user.email)},"roles":${jsonStringArray(user.roles)}},` +
    `"session":{"id":${jsonString(session.id)},"created_at":"${iso(session.createdAt)}","expires_at":"${iso(session.expiresAt)}"},` +
    `"mode":${jsonString(mode)}}`
  );
}

/** The routes of API.md under /auth that every posture serves (refresh and JWKS live with the JWT routes). */
export function authRoutes(tessera: Tessera, guard: GuardOptions, define: RouteDefiner): Route[] {
  const { config } = tessera;
  const client = (request: HttpRequest): ClientInfo => ({
    ip: clientIp(request, config.trustProxy),
    userAgent: request.headers['user-agent']?.slice(0, 512) ?? null,
  });

  return [
    define('GET', '/auth/posture', async () => json(200, tessera.posture())),

    define('POST', '/auth/signup', async (request) => {
      // Login CSRF: a signup or login form posted from another site is refused.
      assertSameOrigin(request, guard.origins);
      const body = readJsonBody(request, credentialsSchema);
      const user = await tessera.signup(body, client(request));
      return json(201, { user });
    }),

    define('POST', '/auth/login', async (request) => {
      assertSameOrigin(request, guard.origins);
      const body = readJsonBody(request, loginSchema);
      const info = client(request);
      const { user, credentials } = await tessera.login(body, info);
      // The device's previous login (if its cookie is still valid) is ended, never adopted.
      const previous = presentedCredential(request, credentialCookieName(tessera));
      if (previous && previous !== 'malformed' && previous.transport === 'cookie') {
        const old = await tessera.authenticate(previous.token, 'cookie');
        if (old.ok && old.principal.session.id !== credentials.sessionId) await tessera.logout(old.principal);
      }
      const now = config.clock.now();
      if (body.transport === 'bearer') {
        if (credentials.kind === 'session') {
          return json(200, {
            user,
            token_type: 'Bearer',
            access_token: credentials.token,
            expires_in: Math.floor((credentials.expiresAt - now) / 1000),
          });
        }
        return json(200, {
          user,
          token_type: 'Bearer',
          access_token: credentials.accessToken,
          expires_in: Math.floor((credentials.accessExpiresAt - now) / 1000),
          refresh_token: credentials.refreshToken,
        });
      }
      return json(
        200,
        {
          user,
          session: { id: credentials.sessionId, expires_at: iso(credentials.expiresAt) },
          csrf_token: await tessera.csrfToken(credentials.sessionId),
        },
        credentialCookies(credentials, config, now),
      );
    }),

    define('POST', '/auth/logout', async (request) => {
      try {
        await logoutPresented(tessera, request, guard);
      } catch (err) {
        // jwt postures: the access token may have expired while the refresh cookie still lives;
        // logging out must still end that refresh family.
        const refreshToken = parseCookies(request.headers.cookie).get(COOKIE_NAMES.refresh);
        if (!(err instanceof ResponseError) || config.mode === 'session' || !refreshToken) throw err;
        assertSameOrigin(request, guard.origins);
        // Then authenticated by the refresh cookie, so a live login ends only with its X-CSRF-Token.
        if (!(await tessera.logoutByRefreshToken(refreshToken, { csrfToken: presentedCsrfToken(request) }))) throw csrfRejected(tessera);
      }
      return noContent(clearCredentialCookies(config));
    }),

    define('POST', '/auth/logout-all', async (request) => {
      const principal = await requirePrincipal(tessera, request, guard);
      await tessera.revokeAllForUser(principal.user.id);
      return noContent(clearCredentialCookies(config));
    }),

    define('GET', '/auth/me', async (request) => {
      const principal = await requirePrincipal(tessera, request, guard);
      return jsonText(200, meBody(principal, config.mode));
    }),

    define('GET', '/auth/csrf', async (request) => {
      let principal: Principal;
      try {
        principal = await requirePrincipal(tessera, request, guard);
      } catch (err) {
        // jwt postures: once the access cookie has expired (a reload, a tab left open) the page
        // still needs its login's token to refresh or to log out with the refresh cookie.
        const refreshToken = parseCookies(request.headers.cookie).get(COOKIE_NAMES.refresh);
        if (!(err instanceof ResponseError) || config.mode === 'session' || !refreshToken || request.headers.authorization !== undefined) throw err;
        const session = await tessera.refreshSession(refreshToken);
        if (!session) throw err;
        return json(200, { csrf_token: await tessera.csrfToken(session.sessionId) });
      }
      if (principal.transport !== 'cookie') throw new TesseraError('bad_request', 'CSRF tokens are for cookie clients');
      return json(200, { csrf_token: await tessera.csrfToken(principal.session.id) });
    }),

    define('GET', '/auth/sessions', async (request) => {
      const principal = await requirePrincipal(tessera, request, guard);
      const sessions = await tessera.listSessions(principal.user.id, principal.session.id);
      return json(200, {
        sessions: sessions.map((s) => ({
          id: s.id,
          created_at: iso(s.createdAt),
          last_seen_at: iso(s.lastSeenAt),
          expires_at: iso(s.expiresAt),
          user_agent: s.userAgent,
          ip: s.ip,
          current: s.current,
        })),
      });
    }),

    define('DELETE', '/auth/sessions/:id', async (request) => {
      const principal = await requirePrincipal(tessera, request, guard);
      const id = request.params.id ?? '';
      // Only the caller's own sessions: someone else's id is indistinguishable from a missing one (404).
      await tessera.revokeSession(principal.user.id, id);
      const current = id === principal.session.id && principal.transport === 'cookie';
      return noContent(current ? clearCredentialCookies(config) : []);
    }),
  ];
}

/** Builds a route whose errors become problem responses; supplied by `createRoutes`. */
export type RouteDefiner = (method: Route['method'], path: string, handle: (request: HttpRequest) => Promise<import('../types.js').HttpResponse>) => Route;
