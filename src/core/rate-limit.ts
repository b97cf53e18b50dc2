import { TesseraError } from './errors.js';
import type { CounterStore } from '../stores/types.js';

/** A fixed-window limit on a counter kept in the store, so every instance sees the same count. */
export interface Limit {
  key: string;
  max: number;
  windowMs: number;
}

/** A hit counted by `takeHit`: which limit, and the end of the window it was counted in. */
export interface Hit {
  limit: Limit;
  resetAt: number;
}

function rateLimited(retryAt: number, now: number): TesseraError {
  return new TesseraError('rate_limited', 'too many attempts; try again later', {
    retryAfterSeconds: Math.max(1, Math.ceil((retryAt - now) / 1000)),
  });
}

/**
 * Throws `rate_limited` (with the seconds until the window ends) if any of the limits is exhausted.
 * A read only: it refuses early, but parallel callers can all pass it; `takeHit` is the guard.
 */
export async function assertUnderLimits(counters: CounterStore, limits: readonly Limit[], now: number): Promise<void> {
  const states = await Promise.all(limits.map((l) => counters.get(l.key, now)));
  let retryAt = 0;
  states.forEach((state, i) => {
    if (state.count >= limits[i]!.max) retryAt = Math.max(retryAt, state.resetAt);
  });
  if (retryAt > 0) throw rateLimited(retryAt, now);
}

/**
 * Counts one hit against `limit` *before* the work it guards and throws `rate_limited` if that hit
 * is over the limit. One atomic increment in the store: of a burst of parallel attempts, at most
 * `max` get through, on every instance together (a check first and a count after the work would let
 * the whole burst through while the work runs). The hit stays counted, also when it is refused.
 */
export async function takeHit(counters: CounterStore, limit: Limit, now: number): Promise<Hit> {
  const { count, resetAt } = await counters.increment(limit.key, limit.windowMs, now);
  if (count > limit.max) throw rateLimited(resetAt, now);
  return { limit, resetAt };
}

/** Takes back a hit counted by `takeHit` whose attempt turned out not to count (a right password). */
export function releaseHit(counters: CounterStore, hit: Hit): Promise<void> {
  return counters.release(hit.limit.key, hit.resetAt);
}
