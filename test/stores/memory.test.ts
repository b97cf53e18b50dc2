import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { StoreError } from '../../src/core/errors.js';
import { buildSession, buildUser, HOUR, MINUTE, T0 } from './builders.js';
import { runStoreConformance } from './conformance.js';

runStoreConformance('memory', async () => createMemoryStore());

describe('memory store', () => {
  it('reports its kind', async () => {
    const store = createMemoryStore();
    expect(store.kind).toBe('memory');
    await store.close();
  });

  it('sweeps expired records by itself after enough writes, at the latest time it was given', async () => {
    const store = createMemoryStore();
    const user = buildUser();
    await store.users.create(user);
    for (let i = 0; i < 10; i += 1) await store.sessions.create(buildSession(user.id, { idleExpiresAt: T0 + MINUTE }));
    // No write yet has happened after the sessions expired; tell the store the time, then write.
    await store.sessions.getWithUser('unknown', T0 + HOUR);
    for (let i = 0; i < 1000; i += 1) await store.counters.increment(`k${i % 10}`, 2 * HOUR, T0 + HOUR);
    expect(await store.sweep(T0 + HOUR)).toBe(0);
    expect(await store.sessions.listByUser(user.id, T0)).toEqual([]);
    await store.close();
  });

  it('rejects with StoreError once closed', async () => {
    const store = createMemoryStore();
    await store.close();
    await expect(store.ping()).rejects.toBeInstanceOf(StoreError);
    await expect(store.users.getById('x')).rejects.toMatchObject({ code: 'unavailable' });
  });
});
