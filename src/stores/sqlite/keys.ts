import type Database from 'better-sqlite3';
import type { KeyStore } from '../types.js';
import { KEY_COLUMNS, toKey, type KeyRow } from './rows.js';
import type { Run } from './run.js';

/** The SQLite signing-key store. */
export function createSqliteKeyStore(db: Database.Database, run: Run): KeyStore {
  const selectAll = db.prepare<[], KeyRow>(`SELECT ${KEY_COLUMNS} FROM signing_keys ORDER BY created_at, kid`);
  const insert = db.prepare<[string, string, string, string, string, number, number | null]>(
    `INSERT INTO signing_keys (${KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  const retire = db.prepare<[number, string]>("UPDATE signing_keys SET state = 'retiring', retire_at = ? WHERE kid = ?");
  const remove = db.prepare<[string]>('DELETE FROM signing_keys WHERE kid = ?');

  return {
    list: () => run('keys.list', () => selectAll.all().map(toKey)),

    create: (key) =>
      run('keys.create', () =>
        insert.run(key.kid, key.alg, key.privateJwk, key.publicJwk, key.state, key.createdAt, key.retireAt).changes === 1,
      ),

    retire: (kid, retireAt) =>
      run('keys.retire', () => {
        retire.run(retireAt, kid);
      }),

    delete: (kid) =>
      run('keys.delete', () => {
        remove.run(kid);
      }),
  };
}
