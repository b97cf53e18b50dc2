import type Database from 'better-sqlite3';

/** One schema change, applied once, in its own transaction. */
export interface Migration {
  /** Strictly increasing; recorded in `schema_migrations`. */
  version: number;
  description: string;
  sql: string;
}

/** Every migration of the SQLite store, oldest first. Never edit one that has shipped; add a new one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'initial schema',
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        roles TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX users_created_at ON users (created_at, id);

      CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        idle_expires_at INTEGER NOT NULL,
        absolute_expires_at INTEGER NOT NULL,
        user_agent TEXT,
        ip TEXT
      );
      CREATE INDEX sessions_user_id ON sessions (user_id);
      -- The sweep's WHERE clause uses exactly this expression, so it can use the index.
      CREATE INDEX sessions_expires_at ON sessions (min(idle_expires_at, absolute_expires_at));

      CREATE TABLE refresh_families (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        current_hash TEXT NOT NULL UNIQUE,
        previous_hash TEXT,
        rotated_at INTEGER,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        user_agent TEXT,
        ip TEXT
      );
      CREATE INDEX refresh_families_user_id ON refresh_families (user_id);
      CREATE INDEX refresh_families_previous_hash ON refresh_families (previous_hash);
      CREATE INDEX refresh_families_expires_at ON refresh_families (expires_at);

      CREATE TABLE revocations (
        key TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('user', 'family')),
        user_id TEXT NOT NULL,
        family_id TEXT,
        not_before INTEGER,
        expires_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX revocations_expires_at ON revocations (expires_at);

      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        private_jwk TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('active', 'retiring')),
        created_at INTEGER NOT NULL,
        retire_at INTEGER
      );

      CREATE TABLE counters (
        key TEXT PRIMARY KEY,
        count INTEGER NOT NULL,
        reset_at INTEGER NOT NULL
      );
      CREATE INDEX counters_reset_at ON counters (reset_at);

      CREATE TABLE secrets (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: 'feed log: revocations published across processes sharing the file',
    sql: `
      -- AUTOINCREMENT so an id is never reused after the sweep empties the table: pollers keep a cursor.
      CREATE TABLE feed_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        origin TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX feed_log_created_at ON feed_log (created_at);
    `,
  },
];

/**
 * Brings the schema up to date: creates `schema_migrations` if needed, then applies every
 * migration not recorded there, each in an IMMEDIATE transaction that re-checks the record so
 * two processes opening the same file at once do not both apply it. Idempotent.
 * Returns the versions applied by this call. Throws the driver's error on failure.
 */
export function migrate(db: Database.Database): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const isApplied = db.prepare<[number], { version: number }>('SELECT version FROM schema_migrations WHERE version = ?');
  const record = db.prepare<[number, number]>('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    const apply = db.transaction((): boolean => {
      if (isApplied.get(migration.version) !== undefined) return false;
      db.exec(migration.sql);
      // Wall-clock time on purpose: this is bookkeeping about the file, not a record the clock governs.
      record.run(migration.version, Date.now());
      return true;
    });
    if (apply.immediate()) applied.push(migration.version);
  }
  return applied;
}
