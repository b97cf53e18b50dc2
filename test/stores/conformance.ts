import { describe } from 'vitest';
import type { Store } from '../../src/stores/types.js';
import { describeCountersSecretsFeed } from './conformance/counters-secrets-feed.js';
import { describeRefresh } from './conformance/refresh.js';
import { describeRevocationsAndKeys } from './conformance/revocations-and-keys.js';
import { describeSessions } from './conformance/sessions.js';
import { describeSweep } from './conformance/sweep.js';
import { describeUsers } from './conformance/users.js';

/**
 * The one store conformance suite, run unchanged against every backend. Each test builds its
 * own store with `makeStore()` and closes it afterwards; nothing is shared between tests. Times
 * are explicit `now`s relative to a fixed T0, so no test sleeps.
 *
 * @example
 * runStoreConformance('memory', async () => createMemoryStore());
 */
export function runStoreConformance(name: string, makeStore: () => Promise<Store>): void {
  describe(`store conformance: ${name}`, () => {
    describeUsers(makeStore);
    describeSessions(makeStore);
    describeRefresh(makeStore);
    describeRevocationsAndKeys(makeStore);
    describeCountersSecretsFeed(makeStore);
    describeSweep(makeStore);
  });
}
