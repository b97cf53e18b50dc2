import type Database from 'better-sqlite3';
import type { CounterStore } from '../types.js';
import type { Run } from './run.js';

/** The SQLite counter store: fixed windows that start at their first hit. */
export function createSqliteCounterStore(db: Database.Database, run: Run): CounterStore {
  // One atomic UPSERT: a missing or ended window restarts at 1, a live one counts up.
  // In DO UPDATE, bare column names are the row's values before this statement.
  const increment = db.prepare<{ key: string; now: number; resetAt: number }, { count: number; reset_at: number }>(
    `INSERT INTO counters (key, count, reset_at) VALUES (@key, 1, @resetAt)
     ON CONFLICT (key) DO UPDATE SET
       count = CASE WHEN reset_at <= @now THEN 1 ELSE count + 1 END,
       reset_at = CASE WHEN reset_at <= @now THEN excluded.reset_at ELSE reset_at END
     RETURNING count, reset_at`,
  );
  const select = db.prepare<[string, number], { count: number; reset_at: number }>(
    'SELECT count, reset_at FROM counters WHERE key = ? AND reset_at > ?',
  );
  // Only the window the hit was counted in: after a restart the new window is left alone.
  const release = db.prepare<[string, number]>('UPDATE counters SET count = count - 1 WHERE key = ? AND reset_at = ? AND count > 0');
  const remove = db.prepare<[string]>('DELETE FROM counters WHERE key = ?');

  return {
    increment: (key, windowMs, now) =>
      run('counters.increment', () => {
        const row = increment.get({ key, now, resetAt: now + windowMs });
        if (row === undefined) throw new Error('UPSERT returned no row');
        return { count: row.count, resetAt: row.reset_at };
      }),

    get: (key, now) =>
      run('counters.get', () => {
        const row = select.get(key, now);
        return row === undefined ? { count: 0, resetAt: now } : { count: row.count, resetAt: row.reset_at };
      }),

    release: (key, resetAt) =>
      run('counters.release', () => {
        release.run(key, resetAt);
      }),

    reset: (key) =>
      run('counters.reset', () => {
        remove.run(key);
      }),
  };
}
