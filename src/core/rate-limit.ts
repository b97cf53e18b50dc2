import { TesseraError } from './errors.js';
import type { CounterStore } from '../stores/types.js';

/** A fixed-window limit on a counter kept in the store, so every instance sees the same count. */
export interface Limit {
  key: string;
  max: number;
  windowMs: number;
}

/**
 * Throws `rate_limited` (with the seconds until the window ends) if any of the limits is exhausted.
 * Checked before the work it guards, so a correct password does not bypass it.
 */
export async function assertUnderLimits(counters: CounterStore, limits: readonly Limit[], now: number): Promise<void> {
  const states = await Promise.all(limits.map((l) => counters.get(l.key, now)));
  let retryAt = 0;
  states.forEach((state, i) => {
    if (state.count >= limits[i]!.max) retryAt = Math.max(retryAt, state.resetAt);
  });
  if (retryAt > 0) {
    throw new TesseraError('rate_limited', 'too many attempts; try again later', {
      retryAfterSeconds: Math.max(1, Math.ceil((retryAt - now) / 1000)),
    });
  }
}

/** Counts one hit against each limit. */
export async function recordHits(counters: CounterStore, limits: readonly Limit[], now: number): Promise<void> {
  await Promise.all(limits.map((l) => counters.increment(l.key, l.windowMs, now)));
}
