import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { active, activeUser, buildSession, DAY, HOUR, MINUTE, randomHash, T0 } from '../builders.js';
import { seedUser, withStore, type MakeStore } from './harness.js';

/** Sessions: joined lookup, both expiries at the passed `now`, sliding, per-user listing and deletes. */
export function describeSessions(makeStore: MakeStore): void {
  describe('sessions', () => {
    it('returns a session with its user in one call', withStore(makeStore, async (store) => {
      const user = await seedUser(store, { roles: ['user'] });
      const session = buildSession(user.id, { userAgent: null, ip: null });
      await store.sessions.create(session);
      expect(await store.sessions.getWithUser(session.tokenHash, T0)).toStrictEqual({ session: active(session), user: activeUser(user) });
      expect(await store.sessions.getWithUser(randomHash(), T0)).toBeNull();
    }));

    it('never reads the password hash, the token hash or the client details on the per-request lookup', withStore(makeStore, async (store) => {
      const user = await seedUser(store);
      const session = buildSession(user.id, { userAgent: 'Mozilla/5.0 (a browser)', ip: '203.0.113.9' });
      await store.sessions.create(session);
      const found = await store.sessions.getWithUser(session.tokenHash, T0);
      expect(found).toStrictEqual({ session: active(session), user: activeUser(user) });
      const text = JSON.stringify(found);
      for (const secret of [user.passwordHash, session.tokenHash, session.userAgent!, session.ip!]) expect(text).not.toContain(secret);
    }));

    it('joins the current user, not a snapshot from login', withStore(makeStore, async (store) => {
      const user = await seedUser(store, { roles: ['admin'] });
      const session = buildSession(user.id);
      await store.sessions.create(session);
      await store.users.update(user.id, { roles: ['user'], disabled: true });
      const found = await store.sessions.getWithUser(session.tokenHash, T0 + MINUTE);
      expect(found?.user).toStrictEqual(activeUser({ ...user, roles: ['user'], disabled: true }));
    }));

    it('expires by idle time exactly at idleExpiresAt', withStore(makeStore, async (store) => {
      const user = await seedUser(store);
      const session = buildSession(user.id, { idleExpiresAt: T0 + HOUR, absoluteExpiresAt: T0 + DAY });
      await store.sessions.create(session);
      expect(await store.sessions.getWithUser(session.tokenHash, T0 + HOUR - 1)).not.toBeNull();
      expect(await store.sessions.getWithUser(session.tokenHash, T0 + HOUR)).toBeNull();
      expect(await store.sessions.getWithUser(session.tokenHash, T0 + 2 * HOUR)).toBeNull();
    }));

    it('expires by absolute time exactly at absoluteExpiresAt, even if idle time is left', withStore(makeStore, async (store) => {
      const user = await seedUser(store);
      const session = buildSession(user.id, { idleExpiresAt: T0 + DAY, absoluteExpiresAt: T0 + HOUR });
      await store.sessions.create(session);
      expect(await store.sessions.getWithUser(session.tokenHash, T0 + HOUR - 1)).not.toBeNull();
      expect(await store.sessions.getWithUser(session.tokenHash, T0 + HOUR)).toBeNull();
    }));

    it('slides the idle expiry on touch and records activity', withStore(makeStore, async (store) => {
      const user = await seedUser(store);
      const session = buildSession(user.id, { idleExpiresAt: T0 + HOUR });
      await store.sessions.create(session);
      await store.sessions.touch(session.tokenHash, T0 + 30 * MINUTE, T0 + 90 * MINUTE);
      const found = await store.sessions.getWithUser(session.tokenHash, T0 + 80 * MINUTE);
      expect(found?.session).toStrictEqual(active({ ...session, lastSeenAt: T0 + 30 * MINUTE, idleExpiresAt: T0 + 90 * MINUTE }));
      expect(await store.sessions.getWithUser(session.tokenHash, T0 + 90 * MINUTE)).toBeNull();
      await expect(store.sessions.touch(randomHash(), T0, T0 + HOUR)).resolves.toBeUndefined();
    }));

    it('does not revive an expired session on touch', withStore(makeStore, async (store) => {
      const user = await seedUser(store);
      const session = buildSession(user.id, { idleExpiresAt: T0 + HOUR });
      await store.sessions.create(session);
      await store.sessions.touch(session.tokenHash, T0 + HOUR, T0 + 3 * HOUR);
      expect(await store.sessions.getWithUser(session.tokenHash, T0 + HOUR + 1)).toBeNull();
    }));

    it('lists a user\'s live sessions newest first, without expired or other users\' sessions', withStore(makeStore, async (store) => {
      const user = await seedUser(store);
      const other = await seedUser(store);
      const older = buildSession(user.id, { createdAt: T0 - 2 * HOUR });
      const newer = buildSession(user.id, { createdAt: T0 - HOUR });
      const idleExpired = buildSession(user.id, { createdAt: T0, idleExpiresAt: T0 + MINUTE });
      const absoluteExpired = buildSession(user.id, { createdAt: T0, absoluteExpiresAt: T0 + MINUTE });
      const others = buildSession(other.id);
      for (const session of [older, newer, idleExpired, absoluteExpired, others]) await store.sessions.create(session);
      expect(await store.sessions.listByUser(user.id, T0 + MINUTE)).toEqual([newer, older]);
      expect((await store.sessions.listByUser(user.id, T0)).map((s) => s.id)).toHaveLength(4);
      expect(await store.sessions.listByUser(randomUUID(), T0)).toEqual([]);
    }));

    it('deletes a session by public id only for its own user', withStore(makeStore, async (store) => {
      const owner = await seedUser(store);
      const attacker = await seedUser(store);
      const session = buildSession(owner.id);
      await store.sessions.create(session);
      expect(await store.sessions.delete(attacker.id, session.id)).toBe(false);
      expect(await store.sessions.getWithUser(session.tokenHash, T0)).not.toBeNull();
      expect(await store.sessions.delete(owner.id, session.id)).toBe(true);
      expect(await store.sessions.getWithUser(session.tokenHash, T0)).toBeNull();
      expect(await store.sessions.delete(owner.id, session.id)).toBe(false);
    }));

    it('deletes a session by token hash', withStore(makeStore, async (store) => {
      const user = await seedUser(store);
      const session = buildSession(user.id);
      const kept = buildSession(user.id);
      await store.sessions.create(session);
      await store.sessions.create(kept);
      expect(await store.sessions.deleteByTokenHash(session.tokenHash)).toBe(true);
      expect(await store.sessions.getWithUser(session.tokenHash, T0)).toBeNull();
      expect(await store.sessions.deleteByTokenHash(session.tokenHash)).toBe(false);
      expect(await store.sessions.listByUser(user.id, T0)).toEqual([kept]);
    }));

    it('deletes every session of a user and counts them, leaving other users alone', withStore(makeStore, async (store) => {
      const user = await seedUser(store);
      const other = await seedUser(store);
      const sessions = [buildSession(user.id), buildSession(user.id), buildSession(user.id)];
      const others = buildSession(other.id);
      for (const session of [...sessions, others]) await store.sessions.create(session);
      expect(await store.sessions.deleteAllForUser(user.id)).toBe(3);
      for (const session of sessions) expect(await store.sessions.getWithUser(session.tokenHash, T0)).toBeNull();
      expect(await store.sessions.listByUser(user.id, T0)).toEqual([]);
      expect(await store.sessions.getWithUser(others.tokenHash, T0)).not.toBeNull();
      expect(await store.sessions.deleteAllForUser(user.id)).toBe(0);
    }));

    it('does not let callers change stored sessions through objects passed in or returned', withStore(makeStore, async (store) => {
      const user = await seedUser(store);
      const session = buildSession(user.id);
      const original = { ...session };
      await store.sessions.create(session);
      session.idleExpiresAt = T0 + 100 * DAY;
      const found = await store.sessions.getWithUser(session.tokenHash, T0);
      if (found !== null) found.session.absoluteExpiresAt = T0 + 100 * DAY;
      const listed = await store.sessions.listByUser(user.id, T0);
      if (listed[0] !== undefined) listed[0].userId = randomUUID();
      expect((await store.sessions.getWithUser(session.tokenHash, T0))?.session).toStrictEqual(active(original));
    }));
  });
}
