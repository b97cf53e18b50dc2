import type Database from 'better-sqlite3';
import type { RevocationStore } from '../types.js';
import { REVOCATION_COLUMNS, toRevocation, type RevocationRow } from './rows.js';
import type { Run } from './run.js';
import { revocationCheckFrom, type RevocationCheckRow } from '../common.js';

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
  // The user's entry and the family's, if live at `now` (kind checked when decoded).
  const check = db
    .prepare<[string, string, number], RevocationCheckRow>('SELECT key, kind, not_before, expires_at FROM revocations WHERE key IN (?, ?) AND expires_at > ?')
    .raw();
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
        const userKey = `u:${userId}`;
        const familyKey = `f:${familyId}`;
        const rows = check.all(userKey, familyKey, now);
        return revocationCheckFrom('sqlite', rows.find((row) => row[0] === userKey), rows.find((row) => row[0] === familyKey), now);
      }),

    listActive: (now) => run('revocations.listActive', () => selectActive.all(now).map(toRevocation)),
  };
}
