import type Database from 'better-sqlite3';
import type { SessionStore, SessionWithUser } from '../types.js';
import { createBatcher } from '../batch.js';
import { ACTIVE_SESSION_COLUMNS, SESSION_COLUMNS, toSession, toSessionWithUser, USER_DECODE, type ActiveSessionTuple, type SessionRow } from './rows.js';
import { toStoreError, type Run } from './run.js';

/** The SQLite session store; statements are prepared here, once. */
export function createSqliteSessionStore(db: Database.Database, run: Run): SessionStore {
  const insert = db.prepare<[string, string, string, number, number, number, number, string | null, string | null]>(
    `INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // One lookup: the session and its user, joined. Positional parameters and array rows (`raw`):
  // the hot path of the session posture, about 15% cheaper than named parameters and row objects;
  // only the columns authentication needs, about 20% cheaper again than whole rows.
  const selectWithUser = db
    .prepare<[string, number, number], ActiveSessionTuple<string, number>>(
      `SELECT ${ACTIVE_SESSION_COLUMNS}
       FROM sessions AS s JOIN users AS u ON u.id = s.user_id
       WHERE s.token_hash = ? AND s.idle_expires_at > ? AND s.absolute_expires_at > ?`,
    )
    .raw(true);
  // Only a live session is touched: sliding an expired one would bring it back.
  const touch = db.prepare<{ tokenHash: string; lastSeenAt: number; idleExpiresAt: number }>(
    `UPDATE sessions SET last_seen_at = @lastSeenAt, idle_expires_at = @idleExpiresAt
     WHERE token_hash = @tokenHash AND idle_expires_at > @lastSeenAt AND absolute_expires_at > @lastSeenAt`,
  );
  const selectByUser = db.prepare<{ userId: string; now: number }, SessionRow>(
    `SELECT ${SESSION_COLUMNS} FROM sessions
     WHERE user_id = @userId AND idle_expires_at > @now AND absolute_expires_at > @now
     ORDER BY created_at DESC, id DESC`,
  );
  const deleteOwn = db.prepare<[string, string]>('DELETE FROM sessions WHERE id = ? AND user_id = ?');
  const deleteByTokenHash = db.prepare<[string]>('DELETE FROM sessions WHERE token_hash = ?');
  const deleteAllForUser = db.prepare<[string]>('DELETE FROM sessions WHERE user_id = ?');

  // The lookups of one event-loop turn run in one read transaction (`createBatcher`): one WAL read
  // lock (two fcntl calls) for all of them instead of one each, and their answers leave together.
  // Each call keeps its own `now` and decodes its own row, so a row the store did not write fails
  // that lookup only; a deferred transaction takes no write lock.
  type Call = { tokenHash: string; now: number };
  const readAll = db.transaction((calls: readonly Call[]) => calls.map(({ tokenHash, now }) => selectWithUser.get(tokenHash, now, now)));
  const lookup = createBatcher((calls: Call[]) => run('sessions.getWithUser', () => readAll(calls)));
  const decode = (row: ActiveSessionTuple<string, number> | undefined): SessionWithUser | null => {
    try {
      return row === undefined ? null : toSessionWithUser(row, USER_DECODE);
    } catch (error) {
      throw toStoreError('sessions.getWithUser', error);
    }
  };

  return {
    create: (session) =>
      run('sessions.create', () => {
        insert.run(
          session.tokenHash, session.id, session.userId, session.createdAt, session.lastSeenAt,
          session.idleExpiresAt, session.absoluteExpiresAt, session.userAgent, session.ip,
        );
      }),

    getWithUser: (tokenHash, now) => lookup({ tokenHash, now }).then(decode),

    touch: (tokenHash, lastSeenAt, idleExpiresAt) =>
      run('sessions.touch', () => {
        touch.run({ tokenHash, lastSeenAt, idleExpiresAt });
      }),

    listByUser: (userId, now) => run('sessions.listByUser', () => selectByUser.all({ userId, now }).map(toSession)),

    delete: (userId, id) => run('sessions.delete', () => deleteOwn.run(id, userId).changes > 0),

    deleteByTokenHash: (tokenHash) => run('sessions.deleteByTokenHash', () => deleteByTokenHash.run(tokenHash).changes > 0),

    deleteAllForUser: (userId) => run('sessions.deleteAllForUser', () => deleteAllForUser.run(userId).changes),
  };
}
