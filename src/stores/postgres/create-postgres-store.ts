import { onceUntilSuccess } from '../../core/once.js';
import { StoreError } from '../../core/errors.js';
import type { Store } from '../types.js';
import { createPostgresCounterStore } from './counters.js';
import { createPostgresFeed } from './feed.js';
import { createPostgresKeyStore } from './keys.js';
import { migrate } from './migrations.js';
import { resolvePostgresOptions, type PostgresStoreOptions } from './options.js';
import { createPostgresRefreshStore } from './refresh.js';
import { createPostgresRevocationStore } from './revocations.js';
import { createRun, statement, toStoreError, type Run } from './run.js';
import { createPostgresSecretStore } from './secrets.js';
import { createPostgresSessionStore } from './sessions.js';
import { createPostgresSweep } from './sweep.js';
import { createPostgresUserStore } from './users.js';

/** Default number of rows one `sweep` call may delete. */
const DEFAULT_SWEEP_LIMIT = 1000;
/** How long `close()` waits for the pool's connections to end; a frozen server never acknowledges. */
const CLOSE_TIMEOUT_MS = 3000;

/**
 * Creates the PostgreSQL store (many instances on one database). Applies pending migrations in one
 * transaction under an advisory lock, so instances may start at once. Every query is a named
 * prepared statement on a pool whose connections time out after 1 s and whose queries are cancelled by
 * the server after `statementTimeoutMs` (and given up by the client 500 ms later), so a call made while
 * the server is down or stuck rejects within about two seconds; it rejects with `StoreError` (code
 * `unavailable`) whose message names the operation and an error code, never a value. Broken
 * connections are dropped and replaced, so the store recovers by itself when the server is back.
 * The feed is LISTEN/NOTIFY on a dedicated connection, channel `<schema>_revocations`.
 * `close()` ends the listener, and the pool only if this function built it.
 *
 * By default the migrations run before this resolves, so an unreachable database fails here. With
 * `deferMigrations: true` (what a server that must start before its database uses) it resolves at once
 * without connecting: every call, `ping()` included, first waits for the migrations, which are retried
 * on the next call after a failure; while they cannot run, calls reject with `StoreError` within the
 * same bound as any other call.
 *
 * @throws ConfigError for invalid options (before any connection is made).
 * @throws StoreError when the database cannot be reached or migrated (unless `deferMigrations`).
 * @example
 * const store = await createPostgresStore({ url: 'postgres://tessera@127.0.0.1:5432/tessera' });
 * const lazy = await createPostgresStore({ url, deferMigrations: true }); // never rejects for the server
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const resolved = resolvePostgresOptions(options);
  const { pool, ownsPool, schema, quotedSchema } = resolved;
  // An idle connection whose server went away emits 'error' on the pool; the pool has already
  // dropped it, and the next call opens a new one. Unhandled, the event would crash the process.
  const ignorePoolError = (): void => undefined;
  pool.on('error', ignorePoolError);
  let closed = false;
  const migrations = createMigrationGate(() =>
    migrate(pool, schema, quotedSchema).then(
      () => undefined,
      (error: unknown) => {
        throw toStoreError('migrate', error);
      },
    ),
  );
  if (options.deferMigrations !== true) {
    try {
      await migrations.run();
    } catch (error) {
      closed = true;
      if (ownsPool) await settleWithin(pool.end(), CLOSE_TIMEOUT_MS);
      else pool.removeListener('error', ignorePoolError);
      throw error;
    }
  }

  const runQuery = createRun(pool, () => closed, resolved.queryTimeoutMs);
  // Once the schema is known to be current this is a plain call; until then every call waits
  // (bounded) for the migrations first, so no statement meets a table that does not exist yet.
  const deadlineMs = (resolved.listenerConfig.connectionTimeoutMillis || DEFAULT_CONNECT_WAIT_MS) + resolved.queryTimeoutMs;
  const run: Run = (operation, query, values, map) =>
    migrations.done || closed
      ? runQuery(operation, query, values, map)
      : migrations.wait(deadlineMs).then(() => runQuery(operation, query, values, map));
  const ping = statement('SELECT 1');
  const sweep = createPostgresSweep(quotedSchema, run);
  const feed = createPostgresFeed({ channel: resolved.channel, listenerConfig: resolved.listenerConfig, run });

  return {
    kind: 'postgres',
    users: createPostgresUserStore(quotedSchema, run),
    sessions: createPostgresSessionStore(quotedSchema, run),
    refresh: createPostgresRefreshStore(quotedSchema, run),
    revocations: createPostgresRevocationStore(quotedSchema, run, { channel: resolved.channel }),
    keys: createPostgresKeyStore(quotedSchema, run),
    counters: createPostgresCounterStore(quotedSchema, run),
    secrets: createPostgresSecretStore(quotedSchema, run),
    feed,

    ping: () => run('ping', ping, [], () => undefined),

    sweep: (now, limit = DEFAULT_SWEEP_LIMIT) => sweep(now, limit),

    async close() {
      if (closed) return;
      closed = true;
      await feed.close();
      // A pool we were given stays open for its owner; a late idle error on our own stays handled.
      if (ownsPool) await settleWithin(pool.end(), CLOSE_TIMEOUT_MS);
      else pool.removeListener('error', ignorePoolError);
    },
  };
}

/** How long a connection may take to open when the settings do not say (they always do for a pool built here). */
const DEFAULT_CONNECT_WAIT_MS = 1000;

/** The migrations, run once successfully and shared by every caller; a failure is retried on the next call. */
interface MigrationGate {
  /** True once the migrations have succeeded. */
  readonly done: boolean;
  /** Runs (or joins) the migrations, unbounded: for start-up, where waiting on another instance's lock is normal. */
  run(): Promise<void>;
  /**
   * Runs (or joins) the migrations, but gives up waiting after `ms` with a StoreError: a caller on the
   * hot path is answered in bounded time while a slow migration carries on in the background.
   */
  wait(ms: number): Promise<void>;
}

function createMigrationGate(migrate: () => Promise<void>): MigrationGate {
  let done = false;
  const once = onceUntilSuccess(async () => {
    await migrate();
    done = true;
  });
  return {
    get done() {
      return done;
    },
    run: once,
    async wait(ms) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new StoreError('postgres store: migrate failed (timeout)')), ms);
      });
      try {
        // A rejection of the migration after the timeout won is still handled: race subscribes to both.
        await Promise.race([once(), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Waits for `promise` to settle, or `ms`, whichever comes first; never rejects. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise.then(() => undefined, () => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
