import type { ResolvedConfig } from '../config.js';
import type { PostureEngine } from '../engine.js';
import { createSessions, sessionExpiresAt } from './sessions.js';

/**
 * The `session` posture: the server remembers. Every request reads the session and its user in one
 * store round trip, so logout, logout-all, disable and role changes apply on the next request.
 */
export function createSessionEngine(config: ResolvedConfig): PostureEngine {
  const sessions = createSessions(config);
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
    async logout(principal) {
      await sessions.revoke(principal.user.id, principal.session.id);
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
