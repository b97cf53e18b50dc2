import type { RevocationStore } from '../types.js';
import { encodeFeedMessage } from '../feed-message.js';
import { REVOCATION_COLUMNS, toRevocation } from './rows.js';
import { all, statement, type Run } from './run.js';

/** The PostgreSQL revocation store; keys are `u:<userId>` and `f:<familyId>`, as in every store. */
export function createPostgresRevocationStore(schema: string, run: Run, feed: { channel: string }): RevocationStore {
  // A later notBefore and a later expiry win; an earlier one never weakens the entry. One atomic UPSERT,
  // so concurrent puts from several instances cannot lose the maximum.
  const putUser = statement(
    `INSERT INTO ${schema}.revocations (${REVOCATION_COLUMNS}) VALUES ($1, 'user', $2, NULL, $3, $4, $5)
     ON CONFLICT (key) DO UPDATE SET
       not_before = GREATEST(revocations.not_before, excluded.not_before),
       expires_at = GREATEST(revocations.expires_at, excluded.expires_at)`,
  );
  const putFamily = statement(
    `INSERT INTO ${schema}.revocations (${REVOCATION_COLUMNS}) VALUES ($1, 'family', $2, $3, NULL, $4, $5)
     ON CONFLICT (key) DO UPDATE SET expires_at = GREATEST(revocations.expires_at, excluded.expires_at)`,
  );
  // With `publish`: the UPSERT and its NOTIFY in one statement, hence one transaction: the message
  // goes out at commit, when the entry is visible, and not at all if the write fails. One round trip.
  const andNotify = (upsert: string) => statement(`WITH put AS (${upsert} RETURNING 1) SELECT pg_notify($6, $7) FROM put`);
  const putUserAndNotify = andNotify(putUser.text);
  const putFamilyAndNotify = andNotify(putFamily.text);
  const check = statement(
    `SELECT
       (SELECT not_before FROM ${schema}.revocations WHERE key = $1 AND kind = 'user' AND expires_at > $3) AS user_not_before,
       EXISTS (SELECT 1 FROM ${schema}.revocations WHERE key = $2 AND kind = 'family' AND expires_at > $3) AS family_revoked`,
  );
  const selectActive = statement(`SELECT ${REVOCATION_COLUMNS} FROM ${schema}.revocations WHERE expires_at > $1 ORDER BY created_at, key`);

  return {
    put: (revocation, options) => {
      const values =
        revocation.kind === 'user'
          ? [`u:${revocation.userId}`, revocation.userId, revocation.notBefore, revocation.expiresAt, revocation.createdAt]
          : [`f:${revocation.familyId}`, revocation.userId, revocation.familyId, revocation.expiresAt, revocation.createdAt];
      if (options?.publish === true) {
        const upsert = revocation.kind === 'user' ? putUserAndNotify : putFamilyAndNotify;
        return run('revocations.put', upsert, [...values, feed.channel, encodeFeedMessage(revocation)], () => undefined);
      }
      return run('revocations.put', revocation.kind === 'user' ? putUser : putFamily, values, () => undefined);
    },

    check: (userId, familyId, now) =>
      run(
        'revocations.check',
        check,
        [`u:${userId}`, `f:${familyId}`, now],
        ({ rows: [row] }: { rows: Array<{ user_not_before: number | null; family_revoked: boolean }> }) => ({
          userNotBefore: row?.user_not_before ?? null,
          familyRevoked: row?.family_revoked === true,
        }),
      ),

    listActive: (now) => run('revocations.listActive', selectActive, [now], all(toRevocation)),
  };
}
