import type Database from 'better-sqlite3';

/** Rows deleted per statement, so one sweep never holds the write lock for long. */
const BATCH_SIZE = 500;

/**
 * How long a `feed_log` row is kept. A poller reads it within its poll interval; a process that
 * misses it (down, or subscribed later) reloads the revocations from the store instead.
 */
const FEED_LOG_RETENTION_MS = 10 * 60 * 1000;

/** Deletes at most `limit` expired rows at `now`; returns how many. */
export type Sweep = (now: number, limit: number) => number;

/**
 * Prepares the sweep: expired sessions, refresh families, revocations, counter windows and
 * `feed_log` rows older than {@link FEED_LOG_RETENTION_MS} are deleted in batches of at most
 * {@link BATCH_SIZE} rows. Signing keys are left alone; deleting a retired key is the key
 * manager's decision.
 */
export function createSqliteSweep(db: Database.Database): Sweep {
  const batches = [
    'DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions WHERE min(idle_expires_at, absolute_expires_at) <= ? LIMIT ?)',
    'DELETE FROM refresh_families WHERE rowid IN (SELECT rowid FROM refresh_families WHERE expires_at <= ? LIMIT ?)',
    'DELETE FROM revocations WHERE rowid IN (SELECT rowid FROM revocations WHERE expires_at <= ? LIMIT ?)',
    'DELETE FROM counters WHERE rowid IN (SELECT rowid FROM counters WHERE reset_at <= ? LIMIT ?)',
    `DELETE FROM feed_log WHERE id IN (SELECT id FROM feed_log WHERE created_at <= ? - ${FEED_LOG_RETENTION_MS} LIMIT ?)`,
  ].map((sql) => db.prepare<[number, number]>(sql));

  return (now, requested) => {
    // LIMIT takes an integer; a NaN or negative limit deletes nothing rather than looping.
    const limit = Number.isNaN(requested) ? 0 : Math.floor(requested);
    let deleted = 0;
    for (const batch of batches) {
      for (;;) {
        const size = Math.min(BATCH_SIZE, limit - deleted);
        if (size <= 0) return deleted;
        const { changes } = batch.run(now, size);
        deleted += changes;
        if (changes < size) break;
      }
    }
    return deleted;
  };
}
