import type { Revocation, RevocationStore } from '../types.js';
import type { MemoryContext } from './context.js';
import { compareText } from '../common.js';

/** The memory revocation store: one entry per user (`u:<id>`) and per family (`f:<id>`). */
export function createMemoryRevocationStore(context: MemoryContext): RevocationStore {
  const { state } = context;

  return {
    async put(revocation) {
      context.assertOpen();
      context.observe(revocation.createdAt);
      const key = revocationKey(revocation);
      state.revocations.set(key, merge(state.revocations.get(key), revocation));
      context.wrote();
    },

    async check(userId, familyId, now) {
      context.assertOpen();
      context.observe(now);
      const user = state.revocations.get(`u:${userId}`);
      const family = state.revocations.get(`f:${familyId}`);
      return {
        userNotBefore: user !== undefined && user.kind === 'user' && user.expiresAt > now ? user.notBefore : null,
        familyRevoked: family !== undefined && family.kind === 'family' && family.expiresAt > now,
      };
    },

    async listActive(now) {
      context.assertOpen();
      context.observe(now);
      const active: Array<{ key: string; revocation: Revocation }> = [];
      for (const [key, revocation] of state.revocations) {
        if (revocation.expiresAt > now) active.push({ key, revocation: { ...revocation } });
      }
      // Oldest first, like the SQL stores (ORDER BY created_at, key).
      return active
        .sort((a, b) => a.revocation.createdAt - b.revocation.createdAt || compareText(a.key, b.key))
        .map((entry) => entry.revocation);
    },
  };
}

/** The primary key of a revocation, the same in every backend. */
export function revocationKey(revocation: Revocation): string {
  return revocation.kind === 'user' ? `u:${revocation.userId}` : `f:${revocation.familyId}`;
}

/**
 * Combines a stored entry with a new one: the later `notBefore` and the later expiry win,
 * so a revocation is never weakened or shortened by a later, weaker one.
 */
function merge(existing: Revocation | undefined, incoming: Revocation): Revocation {
  if (existing === undefined || existing.kind !== incoming.kind) return { ...incoming };
  const expiresAt = Math.max(existing.expiresAt, incoming.expiresAt);
  if (existing.kind === 'user' && incoming.kind === 'user') {
    return { ...existing, notBefore: Math.max(existing.notBefore, incoming.notBefore), expiresAt };
  }
  return { ...existing, expiresAt };
}
