import type { ResolvedConfig } from '../config.js';
import type { PostureEngine } from '../engine.js';
import type { Principal } from '../types.js';
import { createSessions, sessionExpiresAt } from './sessions.js';

/**
 * The `session` posture: the server remembers. Every request reads the session and its user in one
 * store round trip, so logout, logout-all, disable and role changes apply on the next request.
 */
export function createSessionEngine(config: ResolvedConfig): PostureEngine {
  const sessions = createSessions(config);
  const logout = async (principal: Principal): Promise<void> => {
    await sessions.revoke(principal.user.id, principal.session.id);
  };
  return {
    async issue(user, client) {
      const { token, session } = await sessions.create(user, client);
      return {
        kind: 'session',
        sessionId: session.id,
        createdAt: session.createdAt,
        expiresAt: sessionExpiresAt(session),
        token,
      };
    },
    authenticate: (token, transport) => sessions.validate(token, transport),
    logout,
    async logoutCredential(token, transport, authorize) {
      // The session must be read to know its id and user: the steps in order.
      const result = await sessions.validate(token, transport);
      if (!result.ok) return result;
      const { principal } = result;
      if (authorize && !(await authorize(principal.session))) return { ok: false, reason: 'csrf_rejected' };
      await logout(principal);
      return { ok: true };
    },
    async revokeAll(userId) {
      await sessions.revokeAll(userId);
    },
    revoke: (userId, id) => sessions.revoke(userId, id),
    list: (userId, currentId) => sessions.list(userId, currentId),
    // Roles are read with the session on every request: nothing to do.
    rolesChanged: async () => {},
    init: async () => {},
    close: async () => {},
  };
}
