import type Database from 'better-sqlite3';
import type { RevocationStore } from '../types.js';
import { REVOCATION_COLUMNS, toRevocation, type RevocationRow } from './rows.js';
import type { Run } from './run.js';

/** The SQLite revocation store; keys are `u:<userId>` and `f:<familyId>`. */
export function createSqliteRevocationStore(db: Database.Database, run: Run): RevocationStore {
  // A later notBefore and a later expiry win; an earlier one never weakens the entry.
  const putUser = db.prepare<[string, string, number, number, number]>(
    `INSERT INTO revocations (${REVOCATION_COLUMNS}) VALUES (?, 'user', ?, NULL, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET
       not_before = max(not_before, excluded.not_before),
       expires_at = max(expires_at, excluded.expires_at)`,
  );
  const putFamily = db.prepare<[string, string, string, number, number]>(
    `INSERT INTO revocations (${REVOCATION_COLUMNS}) VALUES (?, 'family', ?, ?, NULL, ?, ?)
     ON CONFLICT (key) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`,
  );
  const check = db.prepare<{ userKey: string; familyKey: string; now: number }, { user_not_before: number | null; family_revoked: number }>(
    `SELECT
       (SELECT not_before FROM revocations WHERE key = @userKey AND kind = 'user' AND expires_at > @now) AS user_not_before,
       EXISTS (SELECT 1 FROM revocations WHERE key = @familyKey AND kind = 'family' AND expires_at > @now) AS family_revoked`,
  );
  const selectActive = db.prepare<[number], RevocationRow>(
    `SELECT ${REVOCATION_COLUMNS} FROM revocations WHERE expires_at > ? ORDER BY created_at, key`,
  );

  return {
    put: (revocation) =>
      run('revocations.put', () => {
        if (revocation.kind === 'user') {
          const { userId, notBefore, expiresAt, createdAt } = revocation;
          putUser.run(`u:${userId}`, userId, notBefore, expiresAt, createdAt);
        } else {
          const { familyId, userId, expiresAt, createdAt } = revocation;
          putFamily.run(`f:${familyId}`, userId, familyId, expiresAt, createdAt);
        }
      }),

    check: (userId, familyId, now) =>
      run('revocations.check', () => {
        const row = check.get({ userKey: `u:${userId}`, familyKey: `f:${familyId}`, now });
        return { userNotBefore: row?.user_not_before ?? null, familyRevoked: row?.family_revoked === 1 };
      }),

    listActive: (now) => run('revocations.listActive', () => selectActive.all(now).map(toRevocation)),
  };
}
