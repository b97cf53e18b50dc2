import type Database from 'better-sqlite3';
import type { RefreshMatch, RefreshStore } from '../types.js';
import { FAMILY_COLUMNS, toFamily, type FamilyRow } from './rows.js';
import type { Run } from './run.js';

/** The SQLite refresh store; statements are prepared here, once. */
export function createSqliteRefreshStore(db: Database.Database, run: Run): RefreshStore {
  const insert = db.prepare<[string, string, string, string | null, number | null, number, number, number, string | null, string | null]>(
    `INSERT INTO refresh_families (${FAMILY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // A current-hash match wins over a previous-hash one; each side is served by its own index.
  const selectByHash = db.prepare<{ hash: string; now: number }, FamilyRow & { match: RefreshMatch }>(
    `SELECT ${FAMILY_COLUMNS}, CASE WHEN current_hash = @hash THEN 'current' ELSE 'previous' END AS match
     FROM refresh_families
     WHERE (current_hash = @hash OR previous_hash = @hash) AND expires_at > @now
     ORDER BY current_hash = @hash DESC
     LIMIT 1`,
  );
  // Compare-and-swap in one statement: of concurrent callers, only the first finds current_hash
  // still equal to the expected hash (RFC 9700 §4.14.2 refresh token rotation).
  const rotate = db.prepare<[string, number, number, string, string, number], FamilyRow>(
    `UPDATE refresh_families
     SET previous_hash = current_hash, current_hash = ?, rotated_at = ?, last_seen_at = ?
     WHERE id = ? AND current_hash = ? AND expires_at > ?
     RETURNING ${FAMILY_COLUMNS}`,
  );
  const selectById = db.prepare<[string, number], FamilyRow>(
    `SELECT ${FAMILY_COLUMNS} FROM refresh_families WHERE id = ? AND expires_at > ?`,
  );
  const selectByUser = db.prepare<[string, number], FamilyRow>(
    `SELECT ${FAMILY_COLUMNS} FROM refresh_families WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC, id DESC`,
  );
  const deleteOwn = db.prepare<[string, string]>('DELETE FROM refresh_families WHERE id = ? AND user_id = ?');
  const deleteAllForUser = db.prepare<[string]>('DELETE FROM refresh_families WHERE user_id = ?');

  return {
    create: (family) =>
      run('refresh.create', () => {
        insert.run(
          family.id, family.userId, family.currentHash, family.previousHash, family.rotatedAt, family.createdAt,
          family.lastSeenAt, family.expiresAt, family.userAgent, family.ip,
        );
      }),

    findByTokenHash: (tokenHash, now) =>
      run('refresh.findByTokenHash', () => {
        const row = selectByHash.get({ hash: tokenHash, now });
        return row === undefined ? null : { family: toFamily(row), match: row.match };
      }),

    rotate: (familyId, expectedHash, newHash, now) =>
      run('refresh.rotate', () => {
        const row = rotate.get(newHash, now, now, familyId, expectedHash, now);
        return row === undefined ? null : toFamily(row);
      }),

    getById: (id, now) =>
      run('refresh.getById', () => {
        const row = selectById.get(id, now);
        return row === undefined ? null : toFamily(row);
      }),

    listByUser: (userId, now) => run('refresh.listByUser', () => selectByUser.all(userId, now).map(toFamily)),

    delete: (userId, id) => run('refresh.delete', () => deleteOwn.run(id, userId).changes > 0),

    deleteAllForUser: (userId) => run('refresh.deleteAllForUser', () => deleteAllForUser.run(userId).changes),
  };
}
