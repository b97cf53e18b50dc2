import { createHash } from 'node:crypto';
import type pg from 'pg';

/** One schema change, applied once. */
export interface Migration {
  /** Strictly increasing; recorded in `schema_migrations`. */
  version: number;
  description: string;
  /** The SQL, given the quoted schema name. */
  sql: (schema: string) => string;
}

/**
 * Every migration of the PostgreSQL store, oldest first. Never edit one that has shipped; add a new one.
 * Times are `bigint` epoch milliseconds, like the other stores. Keys, ids and hashes use the "C"
 * collation: byte order, the same in every database whatever its locale (so `ORDER BY created_at, id`
 * agrees with the memory and SQLite stores), and cheaper comparisons.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'initial schema',
    sql: (s) => `
      CREATE TABLE ${s}.users (
        id text COLLATE "C" PRIMARY KEY,
        email text COLLATE "C" NOT NULL UNIQUE,
        password_hash text NOT NULL,
        roles text[] NOT NULL,
        disabled boolean NOT NULL DEFAULT false,
        created_at bigint NOT NULL
      );
      CREATE INDEX users_created_at ON ${s}.users (created_at, id);

      CREATE TABLE ${s}.sessions (
        token_hash text COLLATE "C" PRIMARY KEY,
        id text COLLATE "C" NOT NULL UNIQUE,
        user_id text COLLATE "C" NOT NULL REFERENCES ${s}.users (id) ON DELETE CASCADE,
        created_at bigint NOT NULL,
        last_seen_at bigint NOT NULL,
        idle_expires_at bigint NOT NULL,
        absolute_expires_at bigint NOT NULL,
        user_agent text,
        ip text
      );
      CREATE INDEX sessions_user_id ON ${s}.sessions (user_id);
      -- The sweep's WHERE clause uses exactly this expression, so it can use the index.
      CREATE INDEX sessions_expires_at ON ${s}.sessions (LEAST(idle_expires_at, absolute_expires_at));

      CREATE TABLE ${s}.refresh_families (
        id text COLLATE "C" PRIMARY KEY,
        user_id text COLLATE "C" NOT NULL REFERENCES ${s}.users (id) ON DELETE CASCADE,
        current_hash text COLLATE "C" NOT NULL UNIQUE,
        previous_hash text COLLATE "C",
        rotated_at bigint,
        created_at bigint NOT NULL,
        last_seen_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        user_agent text,
        ip text
      );
      CREATE INDEX refresh_families_user_id ON ${s}.refresh_families (user_id);
      CREATE INDEX refresh_families_previous_hash ON ${s}.refresh_families (previous_hash) WHERE previous_hash IS NOT NULL;
      CREATE INDEX refresh_families_expires_at ON ${s}.refresh_families (expires_at);

      CREATE TABLE ${s}.revocations (
        key text COLLATE "C" PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('user', 'family')),
        user_id text COLLATE "C" NOT NULL,
        family_id text COLLATE "C",
        not_before bigint,
        expires_at bigint NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE INDEX revocations_expires_at ON ${s}.revocations (expires_at);

      CREATE TABLE ${s}.signing_keys (
        kid text COLLATE "C" PRIMARY KEY,
        alg text NOT NULL,
        private_jwk text NOT NULL,
        public_jwk text NOT NULL,
        state text NOT NULL CHECK (state IN ('active', 'retiring')),
        created_at bigint NOT NULL,
        retire_at bigint
      );

      CREATE TABLE ${s}.counters (
        key text COLLATE "C" PRIMARY KEY,
        count bigint NOT NULL,
        reset_at bigint NOT NULL
      );
      CREATE INDEX counters_reset_at ON ${s}.counters (reset_at);

      CREATE TABLE ${s}.secrets (
        name text COLLATE "C" PRIMARY KEY,
        value text NOT NULL
      );
    `,
  },
];

/** Migrations may wait for another instance's migration lock and build indexes: far longer than a hot-path query. */
const MIGRATION_TIMEOUT_MS = 30_000;

/**
 * Brings the schema up to date in one transaction: takes a transaction-scoped advisory lock derived
 * from the schema name (so instances starting at once apply each migration exactly once, the others
 * wait and then find it recorded), creates the schema and `schema_migrations` if missing, and applies
 * every migration not recorded there. Idempotent. Returns the versions applied by this call.
 * Throws the driver's error on failure; the transaction is rolled back.
 */
export async function migrate(pool: pg.Pool, schema: string, quotedSchema: string): Promise<number[]> {
  const client = await pool.connect();
  // `query_timeout` per query is read by node-postgres but missing from its QueryConfig type.
  const query = (text: string, values: unknown[] = []) => {
    const config: pg.QueryConfig & { query_timeout: number } = { text, values, query_timeout: MIGRATION_TIMEOUT_MS + 1000 };
    return client.query<{ version: number }>(config);
  };
  try {
    await query('BEGIN');
    await query(`SET LOCAL statement_timeout = ${MIGRATION_TIMEOUT_MS}`);
    await query('SELECT pg_advisory_xact_lock($1::bigint)', [migrationLockKey(schema)]);
    // Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when the schema exists.
    const exists = await query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (exists.rowCount === 0) await query(`CREATE SCHEMA ${quotedSchema}`);
    await query(
      `CREATE TABLE IF NOT EXISTS ${quotedSchema}.schema_migrations (
         version integer PRIMARY KEY,
         description text NOT NULL,
         applied_at bigint NOT NULL
       )`,
    );
    const recorded = await query(`SELECT version FROM ${quotedSchema}.schema_migrations`);
    const done = new Set(recorded.rows.map((row) => row.version));
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await query(migration.sql(quotedSchema));
      // Wall-clock time on purpose: bookkeeping about the database, not a record the clock governs.
      await query(`INSERT INTO ${quotedSchema}.schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)`, [
        migration.version, migration.description, Date.now(),
      ]);
      applied.push(migration.version);
    }
    await query('COMMIT');
    client.release();
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    // Passing the error makes the pool discard this connection instead of reusing it.
    client.release(error instanceof Error ? error : true);
    throw error;
  }
}

/** A 64-bit advisory lock key for the schema's migrations, as decimal text for a `bigint` parameter. */
function migrationLockKey(schema: string): string {
  const digest = createHash('sha256').update(`tessera:migrations:${schema}`).digest();
  return digest.readBigInt64BE(0).toString();
}
