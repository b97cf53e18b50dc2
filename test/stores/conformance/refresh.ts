import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildFamily, DAY, HOUR, MINUTE, randomHash, T0 } from '../builders.js';
import { seedUser, withStore, type MakeStore } from './harness.js';

/** Refresh families: lookup by current or previous hash, atomic rotation, expiry, listing and deletes. */
export function describeRefresh(makeStore: MakeStore): void {
  describe('refresh families', () => {
    it('finds a family by id and by its current hash', withStore(makeStore, async (store) => {
      const user = await seedUser(store);
      const family = buildFamily(user.id);
      await store.refresh.create(family);
      expect(await store.refresh.getById(family.id, T0)).toEqual(family);
      expect(await store.refresh.findByTokenHash(family.currentHash, T0)).toEqual({ family, match: 'current' });
      expect(await store.refresh.findByTokenHash(randomHash(), T0)).toBeNull();
      expect(await store.refresh.getById(randomUUID(), T0)).toBeNull();
    }));

    it('rotates once: the new hash is current, the old one previous, and a replay of the old expectation fails', withStore(makeStore, async (store) => {
      const user = await seedUser(store);
      const family = buildFamily(user.id);
      await store.refresh.create(family);
      const first = randomHash();
      const now = T0 + HOUR;
      const rotated = await store.refresh.rotate(family.id, family.currentHash, first, now);
      const expected = { ...family, currentHash: first, previousHash: family.currentHash, rotatedAt: now, lastSeenAt: now };
      expect(rotated).toEqual(expected);
      expect(await store.refresh.findByTokenHash(first, now)).toEqual({ family: expected, match: 'current' });
      expect(await store.refresh.findByTokenHash(family.currentHash, now)).toEqual({ family: expected, match: 'previous' });

      expect(await store.refresh.rotate(family.id, family.currentHash, randomHash(), now + MINUTE)).toBeNull();
      expect(await store.refresh.getById(family.id, now + MINUTE)).toEqual(expected);
    }));

    it('forgets the hash before previous after a second rotation', withStore(makeStore, async (store) => {
      const user = await seedUser(store);
      const family = buildFamily(user.id);
      await store.refresh.create(family);
      const second = randomHash();
      const third = randomHash();
      await store.refresh.rotate(family.id, family.currentHash, second, T0 + MINUTE);
      const rotated = await store.refresh.rotate(family.id, second, third, T0 + 2 * MINUTE);
      expect(rotated).toMatchObject({ currentHash: third, previousHash: second, rotatedAt: T0 + 2 * MINUTE });
      expect(await store.refresh.findByTokenHash(family.currentHash, T0 + 2 * MINUTE)).toBeNull();
      expect((await store.refresh.findByTokenHash(second, T0 + 2 * MINUTE))?.match).toBe('previous');
    }));

    it('refuses to rotate with a wrong family id or a hash that is not current', withStore(makeStore, async (store) => {
      const user = await seedUser(store);
      const family = buildFamily(user.id);
      const other = buildFamily(user.id);
      await store.refresh.create(family);
      await store.refresh.create(other);
      expect(await store.refresh.rotate(randomUUID(), family.currentHash, randomHash(), T0)).toBeNull();
      expect(await store.refresh.rotate(other.id, family.currentHash, randomHash(), T0)).toBeNull();
      expect(await store.refresh.rotate(family.id, randomHash(), randomHash(), T0)).toBeNull();
      expect(await store.refresh.getById(family.id, T0)).toEqual(family);
      expect(await store.refresh.getById(other.id, T0)).toEqual(other);
    }));

    it('gives exactly one of 20 concurrent rotations with the same expected hash the family', withStore(makeStore, async (store) => {
      const user = await seedUser(store);
      const family = buildFamily(user.id);
      await store.refresh.create(family);
      const candidates = Array.from({ length: 20 }, () => randomHash());
      const results = await Promise.all(
        candidates.map((candidate) => store.refresh.rotate(family.id, family.currentHash, candidate, T0 + MINUTE)),
      );
      const winners = results.filter((result) => result !== null);
      expect(winners).toHaveLength(1);
      const winner = winners[0];
      expect(candidates).toContain(winner?.currentHash);
      expect((await store.refresh.getById(family.id, T0 + MINUTE))?.currentHash).toBe(winner?.currentHash);
    }));

    it('neither finds nor rotates a family at or after its expiry', withStore(makeStore, async (store) => {
      const user = await seedUser(store);
      const family = buildFamily(user.id, { expiresAt: T0 + DAY });
      await store.refresh.create(family);
      expect(await store.refresh.getById(family.id, T0 + DAY - 1)).toEqual(family);
      expect(await store.refresh.getById(family.id, T0 + DAY)).toBeNull();
      expect(await store.refresh.findByTokenHash(family.currentHash, T0 + DAY)).toBeNull();
      expect(await store.refresh.listByUser(user.id, T0 + DAY)).toEqual([]);
      expect(await store.refresh.rotate(family.id, family.currentHash, randomHash(), T0 + DAY)).toBeNull();
      expect(await store.refresh.getById(family.id, T0 + DAY - 1)).toEqual(family);
    }));

    it('does not find an expired family by its previous hash', withStore(makeStore, async (store) => {
      const user = await seedUser(store);
      const family = buildFamily(user.id, { previousHash: randomHash(), rotatedAt: T0, expiresAt: T0 + HOUR });
      await store.refresh.create(family);
      expect(await store.refresh.findByTokenHash(family.previousHash ?? '', T0)).toEqual({ family, match: 'previous' });
      expect(await store.refresh.findByTokenHash(family.previousHash ?? '', T0 + HOUR)).toBeNull();
    }));

    it('lists a user\'s live families newest first, without expired or other users\' families', withStore(makeStore, async (store) => {
      const user = await seedUser(store);
      const other = await seedUser(store);
      const older = buildFamily(user.id, { createdAt: T0 - 2 * HOUR });
      const newer = buildFamily(user.id, { createdAt: T0 - HOUR });
      const expired = buildFamily(user.id, { createdAt: T0, expiresAt: T0 + MINUTE });
      for (const family of [older, newer, expired, buildFamily(other.id)]) await store.refresh.create(family);
      expect(await store.refresh.listByUser(user.id, T0 + MINUTE)).toEqual([newer, older]);
      expect(await store.refresh.listByUser(user.id, T0)).toHaveLength(3);
    }));

    it('deletes a family only for its own user', withStore(makeStore, async (store) => {
      const owner = await seedUser(store);
      const attacker = await seedUser(store);
      const family = buildFamily(owner.id);
      await store.refresh.create(family);
      expect(await store.refresh.delete(attacker.id, family.id)).toBe(false);
      expect(await store.refresh.getById(family.id, T0)).toEqual(family);
      expect(await store.refresh.delete(owner.id, family.id)).toBe(true);
      expect(await store.refresh.getById(family.id, T0)).toBeNull();
      expect(await store.refresh.findByTokenHash(family.currentHash, T0)).toBeNull();
      expect(await store.refresh.delete(owner.id, family.id)).toBe(false);
    }));

    it('deletes every family of a user and counts them', withStore(makeStore, async (store) => {
      const user = await seedUser(store);
      const other = await seedUser(store);
      const kept = buildFamily(other.id);
      for (const family of [buildFamily(user.id), buildFamily(user.id), kept]) await store.refresh.create(family);
      expect(await store.refresh.deleteAllForUser(user.id)).toBe(2);
      expect(await store.refresh.listByUser(user.id, T0)).toEqual([]);
      expect(await store.refresh.getById(kept.id, T0)).toEqual(kept);
      expect(await store.refresh.deleteAllForUser(user.id)).toBe(0);
    }));
  });
}
