import { removeFamily, removeSession, type MemoryState } from './state.js';

/**
 * Deletes at most `limit` expired records: sessions (idle or absolute expiry at or before `now`),
 * refresh families, revocations and counter windows. Signing keys are never deleted here; that is
 * the key manager's decision. Returns how many records were deleted.
 */
export function sweepMemory(state: MemoryState, now: number, limit: number): number {
  let deleted = 0;
  // Deleting from a Map while iterating it is safe: deleted entries are simply not visited.
  for (const [tokenHash, session] of state.sessions) {
    if (deleted >= limit) return deleted;
    if (Math.min(session.idleExpiresAt, session.absoluteExpiresAt) <= now && removeSession(state, tokenHash)) deleted += 1;
  }
  for (const [id, family] of state.families) {
    if (deleted >= limit) return deleted;
    if (family.expiresAt <= now && removeFamily(state, id)) deleted += 1;
  }
  for (const [key, revocation] of state.revocations) {
    if (deleted >= limit) return deleted;
    if (revocation.expiresAt <= now) {
      state.revocations.delete(key);
      deleted += 1;
    }
  }
  for (const [key, window] of state.counters) {
    if (deleted >= limit) return deleted;
    if (window.resetAt <= now) {
      state.counters.delete(key);
      deleted += 1;
    }
  }
  return deleted;
}
