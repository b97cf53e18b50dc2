import type { CounterStore } from '../types.js';
import { statement, type Run } from './run.js';

interface WindowRow {
  count: number;
  reset_at: number;
}

/** The PostgreSQL counter store: fixed windows that start at their first hit. */
export function createPostgresCounterStore(schema: string, run: Run): CounterStore {
  // One atomic UPSERT: a missing or ended window restarts at 1, a live one counts up. Concurrent
  // increments of one key serialise on its row, so each is counted exactly once.
  const increment = statement(
    `INSERT INTO ${schema}.counters AS c (key, count, reset_at) VALUES ($1, 1, $3)
     ON CONFLICT (key) DO UPDATE SET
       count = CASE WHEN c.reset_at <= $2 THEN 1 ELSE c.count + 1 END,
       reset_at = CASE WHEN c.reset_at <= $2 THEN excluded.reset_at ELSE c.reset_at END
     RETURNING count, reset_at`,
  );
  const select = statement(`SELECT count, reset_at FROM ${schema}.counters WHERE key = $1 AND reset_at > $2`);
  // Only the window the hit was counted in: after a restart the new window is left alone.
  const release = statement(`UPDATE ${schema}.counters SET count = count - 1 WHERE key = $1 AND reset_at = $2 AND count > 0`);
  const remove = statement(`DELETE FROM ${schema}.counters WHERE key = $1`);

  return {
    increment: (key, windowMs, now) =>
      run('counters.increment', increment, [key, now, now + windowMs], ({ rows: [row] }: { rows: WindowRow[] }) => {
        if (row === undefined) throw new Error('UPSERT returned no row');
        return { count: row.count, resetAt: row.reset_at };
      }),

    get: (key, now) =>
      run('counters.get', select, [key, now], ({ rows: [row] }: { rows: WindowRow[] }) =>
        row === undefined ? { count: 0, resetAt: now } : { count: row.count, resetAt: row.reset_at },
      ),

    release: (key, resetAt) => run('counters.release', release, [key, resetAt], () => undefined),

    reset: (key) => run('counters.reset', remove, [key], () => undefined),
  };
}
