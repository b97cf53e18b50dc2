import type Database from 'better-sqlite3';
import type { SecretStore } from '../types.js';
import type { Run } from './run.js';

/** The SQLite secret store: the first value stored under a name wins, across processes. */
export function createSqliteSecretStore(db: Database.Database, run: Run): SecretStore {
  const insert = db.prepare<[string, string]>('INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)');
  const select = db.prepare<[string], { value: string }>('SELECT value FROM secrets WHERE name = ?');

  return {
    getOrCreate: (name, candidate) =>
      run('secrets.getOrCreate', () => {
        insert.run(name, candidate);
        const row = select.get(name);
        if (row === undefined) throw new Error('secret missing after insert');
        return row.value;
      }),
  };
}
