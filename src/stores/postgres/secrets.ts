import type { SecretStore } from '../types.js';
import { statement, type Run } from './run.js';

/** The PostgreSQL secret store: the first value stored under a name wins, across instances. */
export function createPostgresSecretStore(schema: string, run: Run): SecretStore {
  const insert = statement(`INSERT INTO ${schema}.secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING`);
  const select = statement(`SELECT value FROM ${schema}.secrets WHERE name = $1`);

  return {
    // Two statements on purpose: a SELECT in the INSERT's own statement would use the INSERT's
    // snapshot and could miss a row another instance committed while we waited on the conflict.
    getOrCreate: async (name, candidate) => {
      await run('secrets.getOrCreate', insert, [name, candidate], () => undefined);
      return run('secrets.getOrCreate', select, [name], ({ rows: [row] }: { rows: Array<{ value: string }> }) => {
        if (row === undefined) throw new Error('secret missing after insert');
        return row.value;
      });
    },
  };
}
