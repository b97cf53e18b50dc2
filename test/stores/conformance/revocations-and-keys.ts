import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildFamilyRevocation, buildKey, buildUserRevocation, HOUR, MINUTE, SECOND, T0 } from '../builders.js';
import { withStore, type MakeStore } from './harness.js';

/** Revocations (per-user not-before, per-family) and signing keys. */
export function describeRevocationsAndKeys(makeStore: MakeStore): void {
  describe('revocations', () => {
    it('keeps the latest notBefore of a user, never an earlier one', withStore(makeStore, async (store) => {
      const userId = randomUUID();
      const familyId = randomUUID();
      expect(await store.revocations.check(userId, familyId, T0)).toEqual({ userNotBefore: null, familyRevoked: false });
      await store.revocations.put(buildUserRevocation(userId, T0 + 2 * SECOND));
      expect((await store.revocations.check(userId, familyId, T0)).userNotBefore).toBe(T0 + 2 * SECOND);
      await store.revocations.put(buildUserRevocation(userId, T0 + SECOND));
      expect((await store.revocations.check(userId, familyId, T0)).userNotBefore).toBe(T0 + 2 * SECOND);
      await store.revocations.put(buildUserRevocation(userId, T0 + 3 * SECOND));
      expect((await store.revocations.check(userId, familyId, T0)).userNotBefore).toBe(T0 + 3 * SECOND);
      expect((await store.revocations.check(randomUUID(), familyId, T0)).userNotBefore).toBeNull();
    }));

    it('never shortens a user entry: a later put with an earlier notBefore but a later expiry keeps both maxima', withStore(makeStore, async (store) => {
      const userId = randomUUID();
      await store.revocations.put(buildUserRevocation(userId, T0 + 2 * SECOND, T0 + HOUR));
      await store.revocations.put(buildUserRevocation(userId, T0 + SECOND, T0 + 2 * HOUR));
      expect((await store.revocations.check(userId, randomUUID(), T0 + 90 * MINUTE)).userNotBefore).toBe(T0 + 2 * SECOND);
    }));

    it('reports a revoked family, and only that family', withStore(makeStore, async (store) => {
      const userId = randomUUID();
      const familyId = randomUUID();
      await store.revocations.put(buildFamilyRevocation(userId, familyId));
      expect(await store.revocations.check(userId, familyId, T0)).toEqual({ userNotBefore: null, familyRevoked: true });
      expect((await store.revocations.check(userId, randomUUID(), T0)).familyRevoked).toBe(false);
    }));

    it('ignores entries at or after their expiry in check and listActive', withStore(makeStore, async (store) => {
      const userId = randomUUID();
      const familyId = randomUUID();
      await store.revocations.put(buildUserRevocation(userId, T0, T0 + HOUR));
      await store.revocations.put(buildFamilyRevocation(userId, familyId, T0 + HOUR));
      expect(await store.revocations.check(userId, familyId, T0 + HOUR - 1)).toEqual({ userNotBefore: T0, familyRevoked: true });
      expect(await store.revocations.listActive(T0 + HOUR - 1)).toHaveLength(2);
      expect(await store.revocations.check(userId, familyId, T0 + HOUR)).toEqual({ userNotBefore: null, familyRevoked: false });
      expect(await store.revocations.listActive(T0 + HOUR)).toEqual([]);
    }));

    it('lists every active revocation of both kinds with all fields', withStore(makeStore, async (store) => {
      const userId = randomUUID();
      const user = buildUserRevocation(userId, T0 + SECOND, T0 + 2 * HOUR);
      const family = buildFamilyRevocation(userId, randomUUID(), T0 + 2 * HOUR);
      const expired = buildFamilyRevocation(randomUUID(), randomUUID(), T0 + MINUTE);
      for (const revocation of [user, family, expired]) await store.revocations.put(revocation);
      const active = await store.revocations.listActive(T0 + HOUR);
      expect(active).toHaveLength(2);
      expect(active).toEqual(expect.arrayContaining([user, family]));
    }));
  });

  describe('signing keys', () => {
    it('creates keys, refuses a duplicate kid, and lists them oldest first', withStore(makeStore, async (store) => {
      expect(await store.keys.list()).toEqual([]);
      const newer = buildKey({ createdAt: T0 + HOUR });
      const older = buildKey({ createdAt: T0 });
      expect(await store.keys.create(newer)).toBe(true);
      expect(await store.keys.create(older)).toBe(true);
      expect(await store.keys.create({ ...buildKey(), kid: older.kid })).toBe(false);
      expect(await store.keys.list()).toEqual([older, newer]);
    }));

    it('marks a key retiring with its retireAt, leaving the others', withStore(makeStore, async (store) => {
      const retiring = buildKey();
      const active = buildKey({ createdAt: T0 + SECOND });
      await store.keys.create(retiring);
      await store.keys.create(active);
      await store.keys.retire(retiring.kid, T0 + HOUR);
      expect(await store.keys.list()).toEqual([{ ...retiring, state: 'retiring', retireAt: T0 + HOUR }, active]);
      await expect(store.keys.retire(randomUUID(), T0)).resolves.toBeUndefined();
    }));

    it('deletes a key by kid', withStore(makeStore, async (store) => {
      const deleted = buildKey();
      const kept = buildKey({ createdAt: T0 + SECOND });
      await store.keys.create(deleted);
      await store.keys.create(kept);
      await store.keys.delete(deleted.kid);
      expect(await store.keys.list()).toEqual([kept]);
      await expect(store.keys.delete(deleted.kid)).resolves.toBeUndefined();
    }));
  });
}
