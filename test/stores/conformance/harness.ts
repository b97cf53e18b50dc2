import { expect } from 'vitest';
import type { Store, StoredUser } from '../../../src/stores/types.js';
import { buildUser } from '../builders.js';

/** Builds a store; every test gets its own. */
export type MakeStore = () => Promise<Store>;

/** Runs `body` against a fresh store and closes it afterwards, whatever happens. */
export function withStore(makeStore: MakeStore, body: (store: Store) => Promise<void>): () => Promise<void> {
  return async () => {
    const store = await makeStore();
    try {
      await body(store);
    } finally {
      await store.close();
    }
  };
}

/** Creates a user in the store (asserting it was accepted) and returns it. */
export async function seedUser(store: Store, overrides: Partial<StoredUser> = {}): Promise<StoredUser> {
  const user = buildUser(overrides);
  expect(await store.users.create(user)).toBe(true);
  return user;
}
