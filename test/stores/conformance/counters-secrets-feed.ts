import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type { FeedMessage } from '../../../src/stores/types.js';
import { buildFamilyRevocation, buildUserRevocation, MINUTE, SECOND, T0 } from '../builders.js';
import { withStore, type MakeStore } from './harness.js';

/** Rate-limit counters, first-writer-wins secrets, and the revocation feed. */
export function describeCountersSecretsFeed(makeStore: MakeStore): void {
  describe('counters', () => {
    it('counts up within a window and keeps its end', withStore(makeStore, async (store) => {
      const key = `ip:${randomUUID()}`;
      expect(await store.counters.increment(key, MINUTE, T0)).toEqual({ count: 1, resetAt: T0 + MINUTE });
      expect(await store.counters.increment(key, MINUTE, T0 + 10 * SECOND)).toEqual({ count: 2, resetAt: T0 + MINUTE });
      expect(await store.counters.increment(key, MINUTE, T0 + MINUTE - 1)).toEqual({ count: 3, resetAt: T0 + MINUTE });
      expect(await store.counters.get(key, T0 + 30 * SECOND)).toEqual({ count: 3, resetAt: T0 + MINUTE });
    }));

    it('starts a new window at 1 once the old one has ended', withStore(makeStore, async (store) => {
      const key = `ip:${randomUUID()}`;
      await store.counters.increment(key, MINUTE, T0);
      await store.counters.increment(key, MINUTE, T0 + SECOND);
      expect((await store.counters.get(key, T0 + MINUTE)).count).toBe(0);
      expect(await store.counters.increment(key, MINUTE, T0 + MINUTE)).toEqual({ count: 1, resetAt: T0 + 2 * MINUTE });
      expect(await store.counters.increment(key, MINUTE, T0 + 5 * MINUTE)).toEqual({ count: 1, resetAt: T0 + 6 * MINUTE });
    }));

    it('reports count 0 for an unknown key, keeps keys apart, and resets', withStore(makeStore, async (store) => {
      const key = `account:${randomUUID()}`;
      const other = `account:${randomUUID()}`;
      expect((await store.counters.get(key, T0)).count).toBe(0);
      await store.counters.increment(key, MINUTE, T0);
      await store.counters.increment(key, MINUTE, T0);
      await store.counters.increment(other, MINUTE, T0);
      await store.counters.reset(key);
      expect((await store.counters.get(key, T0)).count).toBe(0);
      expect((await store.counters.get(other, T0)).count).toBe(1);
      expect(await store.counters.increment(key, MINUTE, T0 + SECOND)).toEqual({ count: 1, resetAt: T0 + SECOND + MINUTE });
      await expect(store.counters.reset(`none:${randomUUID()}`)).resolves.toBeUndefined();
    }));

    it('counts concurrent increments exactly once each', withStore(makeStore, async (store) => {
      const key = `ip:${randomUUID()}`;
      const results = await Promise.all(Array.from({ length: 20 }, () => store.counters.increment(key, MINUTE, T0)));
      expect(results.map((result) => result.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(await store.counters.get(key, T0)).toEqual({ count: 20, resetAt: T0 + MINUTE });
    }));

    it('releases one hit of the window it was counted in, never below 0', withStore(makeStore, async (store) => {
      const key = `ip:${randomUUID()}`;
      await store.counters.increment(key, MINUTE, T0);
      const { resetAt } = await store.counters.increment(key, MINUTE, T0 + SECOND);
      await store.counters.release(key, resetAt);
      expect(await store.counters.get(key, T0 + 2 * SECOND)).toEqual({ count: 1, resetAt: T0 + MINUTE });
      await store.counters.release(key, resetAt);
      await store.counters.release(key, resetAt);
      expect(await store.counters.get(key, T0 + 2 * SECOND)).toEqual({ count: 0, resetAt: T0 + MINUTE });
      // Counting still works after a release, and an unknown key is no error.
      expect(await store.counters.increment(key, MINUTE, T0 + 3 * SECOND)).toEqual({ count: 1, resetAt: T0 + MINUTE });
      await expect(store.counters.release(`none:${randomUUID()}`, resetAt)).resolves.toBeUndefined();
    }));

    it('does not release a hit from a later window than the one it was counted in', withStore(makeStore, async (store) => {
      const key = `ip:${randomUUID()}`;
      const first = await store.counters.increment(key, MINUTE, T0);
      // The first window ends and a new one starts with two hits.
      await store.counters.increment(key, MINUTE, T0 + MINUTE);
      await store.counters.increment(key, MINUTE, T0 + MINUTE + SECOND);
      await store.counters.release(key, first.resetAt);
      expect(await store.counters.get(key, T0 + MINUTE + 2 * SECOND)).toEqual({ count: 2, resetAt: T0 + 2 * MINUTE });
    }));

    it('counts concurrent increments and releases exactly once each', withStore(makeStore, async (store) => {
      const key = `ip:${randomUUID()}`;
      const hits = await Promise.all(Array.from({ length: 20 }, () => store.counters.increment(key, MINUTE, T0)));
      await Promise.all(hits.slice(0, 15).map((hit) => store.counters.release(key, hit.resetAt)));
      expect(await store.counters.get(key, T0)).toEqual({ count: 5, resetAt: T0 + MINUTE });
    }));
  });

  describe('secrets', () => {
    it('stores the first candidate and returns it to every later caller', withStore(makeStore, async (store) => {
      const name = `csrf-${randomUUID()}`;
      expect(await store.secrets.getOrCreate(name, 'first')).toBe('first');
      expect(await store.secrets.getOrCreate(name, 'second')).toBe('first');
      expect(await store.secrets.getOrCreate(`other-${randomUUID()}`, 'third')).toBe('third');
    }));

    it('gives concurrent callers with different candidates one and the same value', withStore(makeStore, async (store) => {
      const name = `cookie-${randomUUID()}`;
      const candidates = Array.from({ length: 10 }, () => randomBytes(32).toString('base64url'));
      const values = await Promise.all(candidates.map((candidate) => store.secrets.getOrCreate(name, candidate)));
      expect(new Set(values).size).toBe(1);
      expect(candidates).toContain(values[0]);
      expect(await store.secrets.getOrCreate(name, 'late')).toBe(values[0]);
    }));
  });

  describe('feed', () => {
    it('reports up and delivers published messages of both kinds', withStore(makeStore, async (store) => {
      const received: FeedMessage[] = [];
      const statuses: string[] = [];
      const unsubscribe = await store.feed.subscribe((message) => received.push(message), (status) => statuses.push(status));
      await vi.waitFor(() => expect(statuses).toContain('up'));
      const user = buildUserRevocation(randomUUID(), T0);
      const family = buildFamilyRevocation(randomUUID(), randomUUID());
      await store.feed.publish(user);
      await store.feed.publish(family);
      await vi.waitFor(() => expect(received).toHaveLength(2));
      expect(received).toEqual([user, family]);
      await unsubscribe();
    }));

    it('put with publish writes, then publishes: a read started when the message arrives finds the entry; a plain put sends nothing', withStore(makeStore, async (store) => {
      const received: FeedMessage[] = [];
      const statuses: string[] = [];
      const readsOnArrival: Array<Promise<{ userNotBefore: number | null; familyRevoked: boolean }>> = [];
      const unsubscribe = await store.feed.subscribe(
        (message) => {
          received.push(message);
          if (message.kind === 'user') readsOnArrival.push(store.revocations.check(message.userId, randomUUID(), T0));
          else readsOnArrival.push(store.revocations.check(message.userId, message.familyId, T0));
        },
        (status) => statuses.push(status),
      );
      await vi.waitFor(() => expect(statuses).toContain('up'));
      const quiet = buildFamilyRevocation(randomUUID(), randomUUID());
      await store.revocations.put(quiet);
      const user = buildUserRevocation(randomUUID(), T0 + 5);
      const family = buildFamilyRevocation(randomUUID(), randomUUID());
      await store.revocations.put(user, { publish: true });
      await store.revocations.put(family, { publish: true });
      await vi.waitFor(() => expect(received).toHaveLength(2));
      expect(received).toEqual([user, family]);
      expect(await Promise.all(readsOnArrival)).toEqual([
        { userNotBefore: T0 + 5, familyRevoked: false },
        { userNotBefore: null, familyRevoked: true },
      ]);
      const active = await store.revocations.listActive(T0);
      expect(active).toEqual(expect.arrayContaining([quiet, user, family]));
      await unsubscribe();
    }));

    it('stops delivering to a subscriber after it unsubscribes', withStore(makeStore, async (store) => {
      const gone: FeedMessage[] = [];
      const staying: FeedMessage[] = [];
      const unsubscribe = await store.feed.subscribe((message) => gone.push(message));
      const unsubscribeStaying = await store.feed.subscribe((message) => staying.push(message));
      const first = buildUserRevocation(randomUUID(), T0);
      await store.feed.publish(first);
      await vi.waitFor(() => expect(gone).toHaveLength(1));
      await unsubscribe();
      const second = buildUserRevocation(randomUUID(), T0);
      await store.feed.publish(second);
      await vi.waitFor(() => expect(staying).toHaveLength(2));
      expect(gone).toEqual([first]);
      await unsubscribeStaying();
    }));

    it('keeps delivering to other subscribers when one handler throws', withStore(makeStore, async (store) => {
      const received: FeedMessage[] = [];
      const unsubscribeThrowing = await store.feed.subscribe(() => {
        throw new Error('handler bug');
      });
      const unsubscribe = await store.feed.subscribe((message) => received.push(message));
      const message = buildFamilyRevocation(randomUUID(), randomUUID());
      await expect(store.feed.publish(message)).resolves.toBeUndefined();
      await vi.waitFor(() => expect(received).toEqual([message]));
      await unsubscribeThrowing();
      await unsubscribe();
    }));
  });
}
