import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildFamily, buildFamilyRevocation, buildKey, buildSession, buildUserRevocation, DAY, HOUR, MINUTE, T0 } from '../builders.js';
import { seedUser, withStore, type MakeStore } from './harness.js';

/** Sweep of expired records, and ping. */
export function describeSweep(makeStore: MakeStore): void {
  describe('sweep and ping', () => {
    it('removes expired records, leaves live ones and signing keys, and is idempotent', withStore(makeStore, async (store) => {
      const now = T0 + HOUR;
      const user = await seedUser(store);
      const liveSession = buildSession(user.id);
      const liveFamily = buildFamily(user.id);
      const liveUserId = randomUUID();
      const liveFamilyId = randomUUID();
      await store.sessions.create(liveSession);
      await store.sessions.create(buildSession(user.id, { idleExpiresAt: now }));
      await store.sessions.create(buildSession(user.id, { absoluteExpiresAt: now - 1 }));
      await store.refresh.create(liveFamily);
      await store.refresh.create(buildFamily(user.id, { expiresAt: now }));
      await store.revocations.put(buildUserRevocation(liveUserId, T0, now + HOUR));
      await store.revocations.put(buildFamilyRevocation(user.id, liveFamilyId, now + HOUR));
      await store.revocations.put(buildUserRevocation(randomUUID(), T0, now));
      await store.revocations.put(buildFamilyRevocation(user.id, randomUUID(), now));
      await store.counters.increment('live', 2 * HOUR, T0);
      await store.counters.increment('ended', MINUTE, T0);
      const retired = buildKey({ state: 'retiring', retireAt: T0 });
      await store.keys.create(retired);

      const deleted = await store.sweep(now);
      expect(deleted).toBeGreaterThan(0);
      expect(deleted).toBeLessThanOrEqual(7);
      expect(await store.sweep(now)).toBe(0);

      expect(await store.sessions.getWithUser(liveSession.tokenHash, now)).not.toBeNull();
      expect(await store.sessions.listByUser(user.id, T0)).toEqual([liveSession]);
      expect(await store.refresh.listByUser(user.id, T0)).toEqual([liveFamily]);
      expect(await store.revocations.check(liveUserId, liveFamilyId, now)).toEqual({ userNotBefore: T0, familyRevoked: true });
      expect(await store.revocations.listActive(T0)).toHaveLength(2);
      expect(await store.counters.get('live', now)).toEqual({ count: 1, resetAt: T0 + 2 * HOUR });
      expect(await store.users.getById(user.id)).toEqual(user);
      expect(await store.keys.list()).toEqual([retired]);
    }));

    it('deletes at most `limit` records per call', withStore(makeStore, async (store) => {
      const user = await seedUser(store);
      for (let i = 0; i < 5; i += 1) await store.sessions.create(buildSession(user.id, { idleExpiresAt: T0 + MINUTE }));
      const first = await store.sweep(T0 + DAY, 2);
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThanOrEqual(2);
      let total = first;
      for (let round = 0; round < 10 && total < 5; round += 1) total += await store.sweep(T0 + DAY, 2);
      expect(await store.sweep(T0 + DAY, 2)).toBe(0);
      expect(await store.sessions.listByUser(user.id, T0)).toEqual([]);
    }));

    it('answers a ping', withStore(makeStore, async (store) => {
      await expect(store.ping()).resolves.toBeUndefined();
    }));
  });
}
