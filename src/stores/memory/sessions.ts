import { StoreError } from '../../core/errors.js';
import type { SessionStore, StoredSession } from '../types.js';
import type { MemoryContext } from './context.js';
import { addToIndex, removeSession } from './state.js';
import { isSessionLive, newestFirst } from '../common.js';

/** The memory session store: sessions by token hash, indexed by public id and by user. */
export function createMemorySessionStore(context: MemoryContext): SessionStore {
  const { state } = context;

  return {
    async create(session) {
      context.assertOpen();
      if (state.sessions.has(session.tokenHash) || state.sessionHashById.has(session.id)) {
        throw new StoreError('memory store: sessions.create failed (duplicate session)');
      }
      state.sessions.set(session.tokenHash, { ...session });
      state.sessionHashById.set(session.id, session.tokenHash);
      addToIndex(state.sessionHashesByUser, session.userId, session.tokenHash);
      context.observe(session.lastSeenAt);
      context.wrote();
    },

    async getWithUser(tokenHash, now) {
      context.assertOpen();
      context.observe(now);
      const session = state.sessions.get(tokenHash);
      if (session === undefined || !isSessionLive(session, now)) return null;
      const user = state.users.get(session.userId);
      if (user === undefined) return null;
      const { id, userId, createdAt, lastSeenAt, idleExpiresAt, absoluteExpiresAt } = session;
      return {
        session: { id, userId, createdAt, lastSeenAt, idleExpiresAt, absoluteExpiresAt },
        user: { id: user.id, email: user.email, roles: [...user.roles], disabled: user.disabled, createdAt: user.createdAt },
      };
    },

    async touch(tokenHash, lastSeenAt, idleExpiresAt) {
      context.assertOpen();
      context.observe(lastSeenAt);
      const session = state.sessions.get(tokenHash);
      // An expired session is gone even before the sweep removes it: touching must not revive it.
      if (session === undefined || !isSessionLive(session, lastSeenAt)) return;
      state.sessions.set(tokenHash, { ...session, lastSeenAt, idleExpiresAt });
      context.wrote();
    },

    async listByUser(userId, now) {
      context.assertOpen();
      context.observe(now);
      const live: StoredSession[] = [];
      for (const tokenHash of state.sessionHashesByUser.get(userId) ?? []) {
        const session = state.sessions.get(tokenHash);
        if (session !== undefined && isSessionLive(session, now)) live.push({ ...session });
      }
      return live.sort(newestFirst);
    },

    async delete(userId, id) {
      context.assertOpen();
      const tokenHash = state.sessionHashById.get(id);
      const session = tokenHash === undefined ? undefined : state.sessions.get(tokenHash);
      if (tokenHash === undefined || session === undefined || session.userId !== userId) return false;
      removeSession(state, tokenHash);
      context.wrote();
      return true;
    },

    async deleteByTokenHash(tokenHash) {
      context.assertOpen();
      const deleted = removeSession(state, tokenHash);
      if (deleted) context.wrote();
      return deleted;
    },

    async deleteAllForUser(userId) {
      context.assertOpen();
      let deleted = 0;
      for (const tokenHash of [...(state.sessionHashesByUser.get(userId) ?? [])]) {
        if (removeSession(state, tokenHash)) deleted += 1;
      }
      if (deleted > 0) context.wrote();
      return deleted;
    },
  };
}
