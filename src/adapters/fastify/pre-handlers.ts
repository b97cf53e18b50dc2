import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequireOptions } from '../../http/guard.js';
import { assertRoles } from '../options.js';
import { sendHttpResponse, toHttpRequest } from './translate.js';

/** A Fastify `preHandler` (or `onRequest`) hook that authenticates the request. */
export type TesseraPreHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

function createPreHandler(options: RequireOptions, name: string): TesseraPreHandler {
  return async (request, reply) => {
    const guard = request.server.tesseraGuard;
    if (!guard) throw new Error(`${name}: register the tesseraFastify plugin before using it`);
    const result = await guard.require(toHttpRequest(request), options);
    if (result.ok) {
      request.auth = result.principal;
      return undefined;
    }
    // Returning the reply tells Fastify the hook answered (async hooks).
    return sendHttpResponse(reply, result.response);
  };
}

/**
 * Pre-handler that requires a valid credential and fills `request.auth`. Unsafe methods
 * authenticated by cookie must pass the same Origin / Fetch Metadata / `X-CSRF-Token` checks as
 * Tessera's own routes; a refusal is answered with the problem response (401 / 403). Works as an
 * `onRequest` hook too, which refuses before the body is read.
 * @example app.post('/notes', { preHandler: requireAuth }, async (request) => save(request.auth!.user.id));
 */
export const requireAuth: TesseraPreHandler = createPreHandler({}, 'requireAuth');

/**
 * Pre-handler that requires a valid credential holding at least one of `roles` (403 `forbidden`
 * otherwise), with the checks of `requireAuth`.
 * @throws TypeError when called without a role.
 * @example app.get('/admin/stats', { preHandler: requireRole('admin') }, async () => stats());
 */
export function requireRole(...roles: string[]): TesseraPreHandler {
  return createPreHandler({ roles: assertRoles(roles, 'requireRole') }, 'requireRole');
}
