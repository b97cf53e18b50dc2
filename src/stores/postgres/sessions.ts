import type { SessionStore, SessionWithUser } from '../types.js';
import { isSessionLive } from '../common.js';
import { createBatcher } from '../batch.js';
import { ACTIVE_SESSION_COLUMNS, SESSION_COLUMNS, toSession, toSessionWithUser, USER_DECODE, type ActiveSessionTuple } from './rows.js';
import { affected, all, statement, toStoreError, type Run } from './run.js';

/** A `getWithUser` row as an array: the active columns, then the token hash the batch is keyed by. */
type JoinedTuple = [...ActiveSessionTuple<string[], boolean>, string];
/** Where the token hash sits in a JoinedTuple: right after the active columns. */
const TOKEN_HASH_AT = ACTIVE_SESSION_COLUMNS.split(',').length;

/** The PostgreSQL session store; statement texts are built here, once. */
export function createPostgresSessionStore(schema: string, run: Run): SessionStore {
  const insert = statement(`INSERT INTO ${schema}.sessions (${SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`);
  // The hot path: the session (primary key) and its user (primary key), joined, for every lookup
  // of one event-loop turn at once (`createBatcher`). Rows live at the earliest `now` of the batch
  // come back; each call then applies its own `now`.
  // Only the columns authentication needs (no password hash, no client details), as arrays.
  const selectWithUser = statement(
    `SELECT ${ACTIVE_SESSION_COLUMNS}, s.token_hash
     FROM ${schema}.sessions AS s JOIN ${schema}.users AS u ON u.id = s.user_id
     WHERE s.token_hash = ANY($1::text[]) AND s.idle_expires_at > $2 AND s.absolute_expires_at > $2`,
    { rowMode: 'array' },
  );
  // Only a live session is touched: sliding an expired one would bring it back.
  const touch = statement(
    `UPDATE ${schema}.sessions SET last_seen_at = $2, idle_expires_at = $3
     WHERE token_hash = $1 AND idle_expires_at > $2 AND absolute_expires_at > $2`,
  );
  const selectByUser = statement(
    `SELECT ${SESSION_COLUMNS} FROM ${schema}.sessions
     WHERE user_id = $1 AND idle_expires_at > $2 AND absolute_expires_at > $2
     ORDER BY created_at DESC, id DESC`,
  );
  const deleteOwn = statement(`DELETE FROM ${schema}.sessions WHERE id = $1 AND user_id = $2`);
  const deleteByTokenHash = statement(`DELETE FROM ${schema}.sessions WHERE token_hash = $1`);
  const deleteAllForUser = statement(`DELETE FROM ${schema}.sessions WHERE user_id = $1`);

  const lookup = createBatcher<{ tokenHash: string; now: number }, JoinedTuple | undefined>(async (calls) => {
    const hashes = [...new Set(calls.map((c) => c.tokenHash))];
    const earliest = Math.min(...calls.map((c) => c.now));
    const rows = await run('sessions.getWithUser', selectWithUser, [hashes, earliest], (result) => {
      const byHash = new Map<string, JoinedTuple>();
      for (const row of result.rows as unknown as JoinedTuple[]) byHash.set(row[TOKEN_HASH_AT] as string, row);
      return byHash;
    });
    return calls.map(({ tokenHash }) => rows.get(tokenHash));
  });
  // Each call decodes its own row (its own objects, even when two calls asked for the same session),
  // so a row the store did not write fails that lookup only, and applies its own `now`.
  const decode = (row: JoinedTuple | undefined, now: number): SessionWithUser | null => {
    try {
      const found = row === undefined ? null : toSessionWithUser(row, USER_DECODE);
      return found !== null && isSessionLive(found.session, now) ? found : null;
    } catch (error) {
      throw toStoreError('sessions.getWithUser', error);
    }
  };

  return {
    create: (session) =>
      run(
        'sessions.create',
        insert,
        [
          session.tokenHash, session.id, session.userId, session.createdAt, session.lastSeenAt,
          session.idleExpiresAt, session.absoluteExpiresAt, session.userAgent, session.ip,
        ],
        () => undefined,
      ),

    getWithUser: (tokenHash, now) => lookup({ tokenHash, now }).then((row) => decode(row, now)),

    touch: (tokenHash, lastSeenAt, idleExpiresAt) => run('sessions.touch', touch, [tokenHash, lastSeenAt, idleExpiresAt], () => undefined),

    listByUser: (userId, now) => run('sessions.listByUser', selectByUser, [userId, now], all(toSession)),

    delete: (userId, id) => run('sessions.delete', deleteOwn, [id, userId], (result) => affected(result) > 0),

    deleteByTokenHash: (tokenHash) => run('sessions.deleteByTokenHash', deleteByTokenHash, [tokenHash], (result) => affected(result) > 0),

    deleteAllForUser: (userId) => run('sessions.deleteAllForUser', deleteAllForUser, [userId], affected),
  };
}
