import { StoreError } from '../../core/errors.js';
import { clearMemoryState, createMemoryState, type MemoryState } from './state.js';
import { sweepMemory } from './sweep.js';

/** After this many writes the memory store sweeps expired records, so it never grows without bound. */
export const OPPORTUNISTIC_SWEEP_EVERY_WRITES = 1000;
/** How many expired records one opportunistic sweep may delete. */
export const OPPORTUNISTIC_SWEEP_LIMIT = 1000;

/** What every memory sub-store shares: the state, the closed flag and the write counter. */
export interface MemoryContext {
  readonly state: MemoryState;
  /** Throws StoreError once the store is closed. */
  assertOpen(): void;
  /** Records a time the caller passed in; the opportunistic sweep uses the latest one. */
  observe(now: number): void;
  /** Counts a write; every {@link OPPORTUNISTIC_SWEEP_EVERY_WRITES} writes, sweeps a bounded batch. */
  wrote(): void;
  /** Marks the store closed and drops everything. */
  close(): void;
}

/** Creates the shared context of one memory store. */
export function createMemoryContext(): MemoryContext {
  const state = createMemoryState();
  let closed = false;
  let lastNow: number | undefined;
  let writes = 0;

  return {
    state,
    assertOpen() {
      if (closed) throw new StoreError('memory store: the store is closed');
    },
    observe(now) {
      lastNow = now;
    },
    wrote() {
      writes += 1;
      if (writes < OPPORTUNISTIC_SWEEP_EVERY_WRITES) return;
      writes = 0;
      if (lastNow !== undefined) sweepMemory(state, lastNow, OPPORTUNISTIC_SWEEP_LIMIT);
    },
    close() {
      closed = true;
      clearMemoryState(state);
    },
  };
}
