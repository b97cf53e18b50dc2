import type { Clock } from './clock.js';
import type { Store } from '../stores/types.js';

/** A running background sweep; `stop()` waits for a sweep in progress. */
export interface Sweeper {
  stop(): Promise<void>;
}

/** Options of `startSweeper`. */
export interface SweeperOptions {
  clock: Clock;
  /** Time between sweeps, ms (default 60 000). */
  intervalMs?: number;
  /** Most rows deleted per sweep (default 1000): the sweep never holds the store for long. */
  batchLimit?: number;
  onError?: (err: unknown) => void;
}

/**
 * Deletes expired rows (sessions, refresh families, revocations, counters) in bounded batches on a
 * timer that does not keep the process alive. Stores with native expiry (Redis) only trim indexes.
 * @example const sweeper = startSweeper(store, { clock: systemClock }); await sweeper.stop();
 */
export function startSweeper(store: Store, options: SweeperOptions): Sweeper {
  const intervalMs = options.intervalMs ?? 60_000;
  const limit = options.batchLimit ?? 1000;
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = store
      .sweep(options.clock.now(), limit)
      .then(
        () => undefined,
        (err: unknown) => options.onError?.(err),
      )
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
