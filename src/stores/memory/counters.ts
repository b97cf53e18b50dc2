import type { CounterStore } from '../types.js';
import type { MemoryContext } from './context.js';

/** The memory counter store: fixed windows that start at their first hit. */
export function createMemoryCounterStore(context: MemoryContext): CounterStore {
  const { state } = context;

  return {
    async increment(key, windowMs, now) {
      context.assertOpen();
      context.observe(now);
      const window = state.counters.get(key);
      const next = window === undefined || window.resetAt <= now
        ? { count: 1, resetAt: now + windowMs }
        : { count: window.count + 1, resetAt: window.resetAt };
      state.counters.set(key, next);
      context.wrote();
      return { ...next };
    },

    async get(key, now) {
      context.assertOpen();
      context.observe(now);
      const window = state.counters.get(key);
      return window === undefined || window.resetAt <= now ? { count: 0, resetAt: now } : { ...window };
    },

    async release(key, resetAt) {
      context.assertOpen();
      const window = state.counters.get(key);
      if (window === undefined || window.resetAt !== resetAt || window.count <= 0) return;
      state.counters.set(key, { count: window.count - 1, resetAt });
      context.wrote();
    },

    async reset(key) {
      context.assertOpen();
      if (state.counters.delete(key)) context.wrote();
    },
  };
}
