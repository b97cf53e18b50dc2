import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildUser, SECOND, T0 } from '../builders.js';
import { seedUser, withStore, type MakeStore } from './harness.js';

/** Users: create, unique email, lookups, patch, ordered paging, copies. */
export function describeUsers(makeStore: MakeStore): void {
  describe('users', () => {
    it('creates a user and finds it by id and by email', withStore(makeStore, async (store) => {
      const user = await seedUser(store, { roles: ['admin', 'user'], disabled: true });
      expect(await store.users.getById(user.id)).toEqual(user);
      expect(await store.users.getByEmail(user.email)).toEqual(user);
      expect(await store.users.getById(randomUUID())).toBeNull();
      expect(await store.users.getByEmail('nobody@example.test')).toBeNull();
    }));

    it('refuses a second user with the same email and writes nothing', withStore(makeStore, async (store) => {
      const first = await seedUser(store);
      const second = buildUser({ email: first.email, roles: ['admin'] });
      expect(await store.users.create(second)).toBe(false);
      expect(await store.users.getById(second.id)).toBeNull();
      expect(await store.users.getByEmail(first.email)).toEqual(first);
    }));

    it('lets exactly one of concurrent creates with the same email win', withStore(makeStore, async (store) => {
      const email = `${randomUUID()}@example.test`;
      const results = await Promise.all(Array.from({ length: 10 }, () => store.users.create(buildUser({ email }))));
      expect(results.filter(Boolean)).toHaveLength(1);
    }));

    it('applies a patch to only the fields it names', withStore(makeStore, async (store) => {
      const user = await seedUser(store, { roles: ['user'] });
      const withRoles = await store.users.update(user.id, { roles: ['admin'] });
      expect(withRoles).toEqual({ ...user, roles: ['admin'] });
      const disabled = await store.users.update(user.id, { disabled: true });
      expect(disabled).toEqual({ ...user, roles: ['admin'], disabled: true });
      const rehashed = await store.users.update(user.id, { passwordHash: '$argon2id$new', disabled: false });
      expect(rehashed).toEqual({ ...user, roles: ['admin'], disabled: false, passwordHash: '$argon2id$new' });
      expect(await store.users.update(user.id, { roles: [] })).toEqual({ ...rehashed, roles: [] });
      expect(await store.users.update(user.id, {})).toEqual({ ...rehashed, roles: [] });
      expect(await store.users.getById(user.id)).toEqual({ ...rehashed, roles: [] });
    }));

    it('returns null when updating a user that does not exist', withStore(makeStore, async (store) => {
      expect(await store.users.update(randomUUID(), { disabled: true })).toBeNull();
    }));

    it('lists users by createdAt then id, with limit and offset', withStore(makeStore, async (store) => {
      const late = await seedUser(store, { createdAt: T0 + 2 * SECOND });
      const early = await seedUser(store, { createdAt: T0 });
      const tiedA = await seedUser(store, { id: `a-${randomUUID()}`, createdAt: T0 + SECOND });
      const tiedB = await seedUser(store, { id: `b-${randomUUID()}`, createdAt: T0 + SECOND });
      const ids = [early.id, tiedA.id, tiedB.id, late.id];
      expect((await store.users.list({ limit: 10 })).map((user) => user.id)).toEqual(ids);
      expect((await store.users.list({ limit: 2 })).map((user) => user.id)).toEqual(ids.slice(0, 2));
      expect((await store.users.list({ limit: 2, offset: 1 })).map((user) => user.id)).toEqual(ids.slice(1, 3));
      expect((await store.users.list({ limit: 10, offset: 3 })).map((user) => user.id)).toEqual(ids.slice(3));
      expect(await store.users.list({ limit: 10, offset: 4 })).toEqual([]);
      expect(await store.users.list({ limit: 0 })).toEqual([]);
      expect((await store.users.list({ limit: 1 }))[0]).toEqual(early);
    }));

    it('does not let callers change stored users through objects passed in or returned', withStore(makeStore, async (store) => {
      const user = buildUser({ roles: ['user'] });
      await store.users.create(user);
      user.roles.push('admin');
      user.disabled = true;
      const read = await store.users.getById(user.id);
      expect(read).toMatchObject({ roles: ['user'], disabled: false });
      read?.roles.push('admin');
      const listed = await store.users.list({ limit: 1 });
      listed[0]?.roles.push('admin');
      expect((await store.users.getByEmail(user.email))?.roles).toEqual(['user']);
    }));
  });
}
