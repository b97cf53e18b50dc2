import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomToken } from '../../core/crypto.js';
import type { Tessera } from '../../core/tessera.js';
import { sendHttpResponse, toHttpRequest } from '../../adapters/fastify/index.js';
import { credentialCookieName } from '../../http/auth.js';
import { parseCookies } from '../../http/cookies.js';
import { problem } from '../../http/problem.js';
import { iso, json } from '../../http/respond.js';
import { errorResponse, withSecurityHeaders } from '../../http/routes/index.js';
import type { HttpRequest, HttpResponse } from '../../http/types.js';

/** At most this many stolen copies are kept; the oldest is forgotten first. */
export const MAX_STOLEN_COPIES = 100;

/** A copy of a credential, kept server-side only. */
interface StolenCopy {
  token: string;
  copiedAt: number;
}

/**
 * The `exp` of a JWT, read WITHOUT verifying it: only to show the page a countdown. Whether the
 * copy works is always decided by `tessera.authenticate`, never by this.
 */
function unverifiedExpiry(token: string): number | null {
  const payload = token.split('.')[1];
  if (payload === undefined) return null;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null;
  } catch {
    return null;
  }
}

/**
 * The demo-only "stolen credential" routes; register them only with `--demo`.
 *
 * - `POST /demo/stolen` (authenticated, CSRF-checked like every unsafe route): copies the
 *   credential cookie this browser sent into a bounded in-memory map and answers with a random
 *   handle, never with the credential.
 * - `GET /demo/stolen/:handle`: replays the copy through `tessera.authenticate` and reports
 *   `{ works, reason?, mode, now, copied_at, expires_at?, window_ms }` (times in the server's clock).
 */
export function registerStolenRoutes(app: FastifyInstance, tessera: Tessera): void {
  const copies = new Map<string, StolenCopy>();
  const cookieName = credentialCookieName(tessera);
  const { clock, mode } = tessera.config;

  // Store failures become problem responses (503), like on Tessera's own routes.
  const route = (handle: (request: HttpRequest) => Promise<HttpResponse>) => async (request: FastifyRequest, reply: FastifyReply) => {
    const httpRequest = toHttpRequest(request);
    let response: HttpResponse;
    try {
      response = await handle(httpRequest);
    } catch (err) {
      response = errorResponse(err, httpRequest, { error: (details, message) => app.log.error(details, message) });
    }
    return sendHttpResponse(reply, withSecurityHeaders(response));
  };

  app.post(
    '/demo/stolen',
    route(async (request) => {
      const guarded = await app.tesseraGuard.require(request);
      if (!guarded.ok) return guarded.response;
      const token = parseCookies(request.headers.cookie).get(cookieName);
      if (guarded.principal.transport !== 'cookie' || token === undefined) {
        return problem('bad_request', { detail: 'the demo copies a credential cookie' });
      }
      // Bounded: insertion order is age order, so the first key is the oldest copy.
      while (copies.size >= MAX_STOLEN_COPIES) copies.delete(copies.keys().next().value!);
      const handle = randomToken(16);
      const copiedAt = clock.now();
      copies.set(handle, { token, copiedAt });
      return json(201, { handle, mode, copied_at: iso(copiedAt) });
    }),
  );

  app.get(
    '/demo/stolen/:handle',
    route(async (request) => {
      const copy = copies.get(request.params.handle ?? '');
      if (!copy) return problem('not_found', { detail: 'no such copy' });
      const result = await tessera.authenticate(copy.token, 'cookie');
      const expiresAt = mode === 'session' ? null : unverifiedExpiry(copy.token);
      return json(200, {
        works: result.ok,
        ...(result.ok ? {} : { reason: result.reason }),
        mode,
        now: iso(clock.now()),
        copied_at: iso(copy.copiedAt),
        ...(expiresAt !== null ? { expires_at: iso(expiresAt) } : {}),
        window_ms: tessera.posture().revocation.window_ms,
      });
    }),
  );
}
