import { createInProcessFeed } from '../in-process-feed.js';
import type { Store } from '../types.js';
import { createMemoryContext } from './context.js';
import { createMemoryCounterStore } from './counters.js';
import { createMemoryKeyStore } from './keys.js';
import { createMemoryRefreshStore } from './refresh.js';
import { createMemoryRevocationStore } from './revocations.js';
import { createMemorySecretStore } from './secrets.js';
import { createMemorySessionStore } from './sessions.js';
import { sweepMemory } from './sweep.js';
import { createMemoryUserStore } from './users.js';
import { publishingRevocations } from '../common.js';

/** Default number of records one `sweep` call may delete. */
const DEFAULT_SWEEP_LIMIT = 1000;

/**
 * Creates a store that keeps everything in this process's memory: for tests, demos and a single
 * node that may forget everything on restart. Records expire at the `now` callers pass; besides
 * explicit `sweep` calls, every 1000 writes a bounded sweep runs at the latest `now` seen, so the
 * maps do not grow forever. Returned records are copies. The feed is in-process.
 *
 * @example
 * const store = createMemoryStore();
 * await store.users.create({ id, email, passwordHash, roles: [], disabled: false, createdAt: clock.now() });
 */
export function createMemoryStore(): Store {
  const context = createMemoryContext();
  const feed = createInProcessFeed();

  return {
    kind: 'memory',
    users: createMemoryUserStore(context),
    sessions: createMemorySessionStore(context),
    refresh: createMemoryRefreshStore(context),
    revocations: publishingRevocations(createMemoryRevocationStore(context), feed),
    keys: createMemoryKeyStore(context),
    counters: createMemoryCounterStore(context),
    secrets: createMemorySecretStore(context),
    feed,

    async ping() {
      context.assertOpen();
    },

    async sweep(now, limit = DEFAULT_SWEEP_LIMIT) {
      context.assertOpen();
      context.observe(now);
      return sweepMemory(context.state, now, limit);
    },

    async close() {
      context.close();
      feed.close();
    },
  };
}
