import { affected, statement, type Run } from './run.js';

/** Rows deleted per statement, so one sweep never holds many row locks or a long transaction. */
const BATCH_SIZE = 500;

/** Deletes at most `limit` expired rows at `now`; returns how many. */
export type Sweep = (now: number, limit: number) => Promise<number>;

/**
 * Builds the sweep: expired sessions, refresh families, revocations and counter windows are deleted
 * by primary key in batches of at most {@link BATCH_SIZE}, each batch found through the table's expiry
 * index. `SKIP LOCKED` lets several instances sweep at once without waiting on each other, and the row
 * lock makes PostgreSQL re-check the expiry of a row updated meanwhile (a session just touched is kept).
 * Signing keys are left alone; deleting a retired key is the key manager's decision.
 */
export function createPostgresSweep(schema: string, run: Run): Sweep {
  const batch = (table: string, key: string, expired: string) =>
    statement(
      `DELETE FROM ${schema}.${table} WHERE ${key} IN (
         SELECT ${key} FROM ${schema}.${table} WHERE ${expired} <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED
       )`,
    );
  const batches = [
    batch('sessions', 'token_hash', 'LEAST(idle_expires_at, absolute_expires_at)'),
    batch('refresh_families', 'id', 'expires_at'),
    batch('revocations', 'key', 'expires_at'),
    batch('counters', 'key', 'reset_at'),
  ];

  return async (now, requested) => {
    // LIMIT takes an integer; a NaN or negative limit deletes nothing rather than looping.
    const limit = Number.isNaN(requested) ? 0 : Math.floor(requested);
    let deleted = 0;
    for (const statementOfTable of batches) {
      for (;;) {
        const size = Math.min(BATCH_SIZE, limit - deleted);
        if (size <= 0) return deleted;
        const changes = await run('sweep', statementOfTable, [now, size], affected);
        deleted += changes;
        if (changes < size) break;
      }
    }
    return deleted;
  };
}
