import type { Store } from '../types.js';
import { createPostgresCounterStore } from './counters.js';
import { createPostgresFeed } from './feed.js';
import { createPostgresKeyStore } from './keys.js';
import { migrate } from './migrations.js';
import { resolvePostgresOptions, type PostgresStoreOptions } from './options.js';
import { createPostgresRefreshStore } from './refresh.js';
import { createPostgresRevocationStore } from './revocations.js';
import { createRun, statement, toStoreError } from './run.js';
import { createPostgresSecretStore } from './secrets.js';
import { createPostgresSessionStore } from './sessions.js';
import { createPostgresSweep } from './sweep.js';
import { createPostgresUserStore } from './users.js';

/** Default number of rows one `sweep` call may delete. */
const DEFAULT_SWEEP_LIMIT = 1000;
/** How long `close()` waits for the pool's connections to end; a frozen server never acknowledges. */
const CLOSE_TIMEOUT_MS = 3000;

/**
 * Creates the PostgreSQL store (many instances on one database). Applies pending migrations at start,
 * in one transaction under an advisory lock, so instances may start at once. Every query is a named
 * prepared statement on a pool whose connections time out after 1 s and whose queries are cancelled by
 * the server after `statementTimeoutMs` (and given up by the client 500 ms later), so a call made while
 * the server is down or stuck rejects within about two seconds; it rejects with `StoreError` (code
 * `unavailable`) whose message names the operation and an error code, never a value. Broken
 * connections are dropped and replaced, so the store recovers by itself when the server is back.
 * The feed is LISTEN/NOTIFY on a dedicated connection, channel `<schema>_revocations`.
 * `close()` ends the listener, and the pool only if this function built it.
 *
 * @throws ConfigError for invalid options (before any connection is made).
 * @throws StoreError when the database cannot be reached or migrated.
 * @example
 * const store = await createPostgresStore({ url: 'postgres://tessera@127.0.0.1:5432/tessera' });
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const resolved = resolvePostgresOptions(options);
  const { pool, ownsPool, schema, quotedSchema } = resolved;
  // An idle connection whose server went away emits 'error' on the pool; the pool has already
  // dropped it, and the next call opens a new one. Unhandled, the event would crash the process.
  const ignorePoolError = (): void => undefined;
  pool.on('error', ignorePoolError);
  try {
    await migrate(pool, schema, quotedSchema);
  } catch (error) {
    if (ownsPool) await settleWithin(pool.end(), CLOSE_TIMEOUT_MS);
    else pool.removeListener('error', ignorePoolError);
    throw toStoreError('migrate', error);
  }

  let closed = false;
  const run = createRun(pool, () => closed, resolved.queryTimeoutMs);
  const ping = statement('SELECT 1');
  const sweep = createPostgresSweep(quotedSchema, run);
  const feed = createPostgresFeed({ channel: resolved.channel, listenerConfig: resolved.listenerConfig, run });

  return {
    kind: 'postgres',
    users: createPostgresUserStore(quotedSchema, run),
    sessions: createPostgresSessionStore(quotedSchema, run),
    refresh: createPostgresRefreshStore(quotedSchema, run),
    revocations: createPostgresRevocationStore(quotedSchema, run),
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
