import type { RefreshMatch, RefreshStore } from '../types.js';
import { FAMILY_COLUMNS, toFamily, type FamilyRow } from './rows.js';
import { affected, all, one, statement, type Run } from './run.js';

/** The PostgreSQL refresh store; statement texts are built here, once. */
export function createPostgresRefreshStore(schema: string, run: Run): RefreshStore {
  const insert = statement(`INSERT INTO ${schema}.refresh_families (${FAMILY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`);
  // A current-hash match wins over a previous-hash one; each side is served by its own index (BitmapOr).
  const selectByHash = statement(
    `SELECT ${FAMILY_COLUMNS}, CASE WHEN current_hash = $1 THEN 'current' ELSE 'previous' END AS match
     FROM ${schema}.refresh_families
     WHERE (current_hash = $1 OR previous_hash = $1) AND expires_at > $2
     ORDER BY current_hash = $1 DESC
     LIMIT 1`,
  );
  // Compare-and-swap in one statement (RFC 9700 §4.14.2 refresh token rotation): the row lock makes
  // concurrent callers wait, and under READ COMMITTED each one re-checks `current_hash` on the row
  // the winner wrote, so exactly one of them finds it still equal to the expected hash.
  const rotate = statement(
    `UPDATE ${schema}.refresh_families
     SET previous_hash = current_hash, current_hash = $3, rotated_at = $4, last_seen_at = $4
     WHERE id = $1 AND current_hash = $2 AND expires_at > $4
     RETURNING ${FAMILY_COLUMNS}`,
  );
  const selectById = statement(`SELECT ${FAMILY_COLUMNS} FROM ${schema}.refresh_families WHERE id = $1 AND expires_at > $2`);
  const selectByUser = statement(
    `SELECT ${FAMILY_COLUMNS} FROM ${schema}.refresh_families WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, id DESC`,
  );
  const deleteOwn = statement(`DELETE FROM ${schema}.refresh_families WHERE id = $1 AND user_id = $2`);
  const deleteAllForUser = statement(`DELETE FROM ${schema}.refresh_families WHERE user_id = $1`);

  return {
    create: (family) =>
      run(
        'refresh.create',
        insert,
        [
          family.id, family.userId, family.currentHash, family.previousHash, family.rotatedAt, family.createdAt,
          family.lastSeenAt, family.expiresAt, family.userAgent, family.ip,
        ],
        () => undefined,
      ),

    findByTokenHash: (tokenHash, now) =>
      run('refresh.findByTokenHash', selectByHash, [tokenHash, now], one((row: FamilyRow & { match: RefreshMatch }) => ({ family: toFamily(row), match: row.match }))),

    rotate: (familyId, expectedHash, newHash, now) => run('refresh.rotate', rotate, [familyId, expectedHash, newHash, now], one(toFamily)),

    getById: (id, now) => run('refresh.getById', selectById, [id, now], one(toFamily)),

    listByUser: (userId, now) => run('refresh.listByUser', selectByUser, [userId, now], all(toFamily)),

    delete: (userId, id) => run('refresh.delete', deleteOwn, [id, userId], (result) => affected(result) > 0),

    deleteAllForUser: (userId) => run('refresh.deleteAllForUser', deleteAllForUser, [userId], affected),
  };
}
