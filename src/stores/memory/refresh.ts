import { StoreError } from '../../core/errors.js';
import type { RefreshStore, StoredRefreshFamily } from '../types.js';
import type { MemoryContext } from './context.js';
import { addToIndex, removeFamily } from './state.js';
import { newestFirst } from '../common.js';

/** The memory refresh store: families by id, indexed by current hash, previous hash and user. */
export function createMemoryRefreshStore(context: MemoryContext): RefreshStore {
  const { state } = context;

  /** The family with this id if it is live at `now`. */
  function live(id: string | undefined, now: number): StoredRefreshFamily | undefined {
    const family = id === undefined ? undefined : state.families.get(id);
    return family !== undefined && family.expiresAt > now ? family : undefined;
  }

  return {
    async create(family) {
      context.assertOpen();
      if (state.families.has(family.id) || state.familyIdByCurrentHash.has(family.currentHash)) {
        throw new StoreError('memory store: refresh.create failed (duplicate family)');
      }
      state.families.set(family.id, { ...family });
      state.familyIdByCurrentHash.set(family.currentHash, family.id);
      if (family.previousHash !== null) state.familyIdByPreviousHash.set(family.previousHash, family.id);
      addToIndex(state.familyIdsByUser, family.userId, family.id);
      context.observe(family.lastSeenAt);
      context.wrote();
    },

    async findByTokenHash(tokenHash, now) {
      context.assertOpen();
      context.observe(now);
      const current = live(state.familyIdByCurrentHash.get(tokenHash), now);
      if (current !== undefined) return { family: { ...current }, match: 'current' };
      const previous = live(state.familyIdByPreviousHash.get(tokenHash), now);
      if (previous !== undefined && previous.previousHash === tokenHash) return { family: { ...previous }, match: 'previous' };
      return null;
    },

    async rotate(familyId, expectedHash, newHash, now) {
      context.assertOpen();
      context.observe(now);
      // No await between the check and the write: JavaScript runs this block to completion,
      // so of concurrent callers with the same expected hash exactly one sees it still current.
      const family = live(familyId, now);
      if (family === undefined || family.currentHash !== expectedHash) return null;
      const holder = state.familyIdByCurrentHash.get(newHash);
      if (holder !== undefined && holder !== familyId) {
        throw new StoreError('memory store: refresh.rotate failed (duplicate token hash)');
      }
      if (family.previousHash !== null && state.familyIdByPreviousHash.get(family.previousHash) === familyId) {
        state.familyIdByPreviousHash.delete(family.previousHash);
      }
      const rotated: StoredRefreshFamily = { ...family, previousHash: expectedHash, currentHash: newHash, rotatedAt: now, lastSeenAt: now };
      state.families.set(familyId, rotated);
      state.familyIdByCurrentHash.delete(expectedHash);
      state.familyIdByCurrentHash.set(newHash, familyId);
      state.familyIdByPreviousHash.set(expectedHash, familyId);
      context.wrote();
      return { ...rotated };
    },

    async getById(id, now) {
      context.assertOpen();
      context.observe(now);
      const family = live(id, now);
      return family === undefined ? null : { ...family };
    },

    async listByUser(userId, now) {
      context.assertOpen();
      context.observe(now);
      const families: StoredRefreshFamily[] = [];
      for (const id of state.familyIdsByUser.get(userId) ?? []) {
        const family = live(id, now);
        if (family !== undefined) families.push({ ...family });
      }
      return families.sort(newestFirst);
    },

    async delete(userId, id) {
      context.assertOpen();
      const family = state.families.get(id);
      if (family === undefined || family.userId !== userId) return false;
      removeFamily(state, id);
      context.wrote();
      return true;
    },

    async deleteAllForUser(userId) {
      context.assertOpen();
      let deleted = 0;
      for (const id of [...(state.familyIdsByUser.get(userId) ?? [])]) {
        if (removeFamily(state, id)) deleted += 1;
      }
      if (deleted > 0) context.wrote();
      return deleted;
    },
  };
}
