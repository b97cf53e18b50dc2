import type { RevocationStore } from '../types.js';
import { encodeFeedMessage } from '../feed-message.js';
import { REVOCATION_COLUMNS, toRevocation } from './rows.js';
import { all, statement, type Run } from './run.js';
import { createBatcher } from '../batch.js';
import { revocationCheckFrom, type RevocationCheckRow as CheckRow } from '../common.js';

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
  // jwt-denylist's per-request check, for every check of one event-loop turn at once
  // (`createBatcher`), as the session lookups are: the entries among the turn's keys that are live at
  // the earliest `now` of the batch come back; each call then applies its own `now`.
  const selectLive = statement(`SELECT key, kind, not_before, expires_at FROM ${schema}.revocations WHERE key = ANY($1::text[]) AND expires_at > $2`, {
    rowMode: 'array',
  });
  type Call = { userKey: string; familyKey: string; now: number };
  const lookup = createBatcher<Call, [CheckRow | undefined, CheckRow | undefined]>(async (calls) => {
    const keys = [...new Set(calls.flatMap((c) => [c.userKey, c.familyKey]))];
    const earliest = Math.min(...calls.map((c) => c.now));
    const rows = await run('revocations.check', selectLive, [keys, earliest], (result) => {
      const byKey = new Map<string, CheckRow>();
      for (const row of result.rows as unknown as CheckRow[]) byKey.set(row[0], row);
      return byKey;
    });
    return calls.map((c): [CheckRow | undefined, CheckRow | undefined] => [rows.get(c.userKey), rows.get(c.familyKey)]);
  });
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

    // Each call decodes its own rows at its own `now`: an entry the store did not write fails that check only.
    check: (userId, familyId, now) =>
      lookup({ userKey: `u:${userId}`, familyKey: `f:${familyId}`, now }).then(([user, family]) => revocationCheckFrom('postgres', user, family, now)),

    listActive: (now) => run('revocations.listActive', selectActive, [now], all(toRevocation)),
  };
}
