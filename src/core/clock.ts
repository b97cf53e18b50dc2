/** A source of the current time in milliseconds since the epoch. Injected everywhere so tests control time. */
export interface Clock {
  now(): number;
}

/** The real wall clock. */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/** A clock that only moves when told to; for tests and simulations. */
export interface ManualClock extends Clock {
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void;
  /** Sets the clock to an absolute time in ms. */
  set(ms: number): void;
}

/**
 * Creates a manual clock.
 * @example const clock = createManualClock(Date.parse('2026-01-01T00:00:00Z')); clock.advance(60_000);
 */
export function createManualClock(startMs: number = Date.now()): ManualClock {
  let current = startMs;
  return {
    now: () => current,
    advance(ms: number) {
      current += ms;
    },
    set(ms: number) {
      current = ms;
    },
  };
}
