import type { KeyStore } from '../types.js';
import { KEY_COLUMNS, toKey } from './rows.js';
import { affected, all, statement, type Run } from './run.js';

/** The PostgreSQL signing-key store. */
export function createPostgresKeyStore(schema: string, run: Run): KeyStore {
  const selectAll = statement(`SELECT ${KEY_COLUMNS} FROM ${schema}.signing_keys ORDER BY created_at, kid`);
  const insert = statement(`INSERT INTO ${schema}.signing_keys (${KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`);
  const retire = statement(`UPDATE ${schema}.signing_keys SET state = 'retiring', retire_at = $2 WHERE kid = $1`);
  const remove = statement(`DELETE FROM ${schema}.signing_keys WHERE kid = $1`);

  return {
    list: () => run('keys.list', selectAll, [], all(toKey)),

    create: (key) =>
      run(
        'keys.create',
        insert,
        [key.kid, key.alg, key.privateJwk, key.publicJwk, key.state, key.createdAt, key.retireAt],
        (result) => affected(result) === 1,
      ),

    retire: (kid, retireAt) => run('keys.retire', retire, [kid, retireAt], () => undefined),

    delete: (kid) => run('keys.delete', remove, [kid], () => undefined),
  };
}
