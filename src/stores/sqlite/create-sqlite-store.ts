import Database from 'better-sqlite3';
import { ConfigError } from '../../core/errors.js';
import type { Store } from '../types.js';
import { createSqliteCounterStore } from './counters.js';
import { createSqliteFeed } from './feed.js';
import { createSqliteKeyStore } from './keys.js';
import { migrate } from './migrations.js';
import { createSqliteRefreshStore } from './refresh.js';
import { createSqliteRevocationStore } from './revocations.js';
import { createRun, toStoreError } from './run.js';
import { createSqliteSecretStore } from './secrets.js';
import { createSqliteSessionStore } from './sessions.js';
import { createSqliteSweep } from './sweep.js';
import { createSqliteUserStore } from './users.js';
import { publishingRevocations } from '../common.js';

/**
 * Where the SQLite store keeps its data: a file path (or `:memory:`), or a database you opened;
 * and how often its feed polls for revocations published by other processes on the same file
 * (`feedPollMs`, default 50).
 */
export type SqliteStoreOptions = ({ path: string } | { database: Database.Database }) & { feedPollMs?: number };

/** Default number of rows one `sweep` call may delete. */
const DEFAULT_SWEEP_LIMIT = 1000;
/** Default interval of the feed's poll for other processes' revocations. */
const DEFAULT_FEED_POLL_MS = 50;
/** The longest delay a Node.js timer takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Creates the SQLite store (one machine; the default). Sets WAL mode, `busy_timeout` 5000 ms and
 * `foreign_keys`, applies pending migrations, and prepares every statement once. Every method
 * rejects with `StoreError` (code `unavailable`) when the driver fails; messages carry no values.
 * `close()` closes the database only if this function opened it. The feed reaches every process
 * that has the same file open: revocations are written to a `feed_log` table that each instance
 * with a subscriber polls every `feedPollMs`, and are delivered at once within this process.
 *
 * @throws ConfigError (option `feedPollMs`) when it is not a positive integer.
 * @throws StoreError when the database cannot be opened or migrated.
 * @example
 * const store = createSqliteStore({ path: './tessera.db' });
 */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const { feedPollMs = DEFAULT_FEED_POLL_MS } = options;
  if (!Number.isInteger(feedPollMs) || feedPollMs < 1 || feedPollMs > MAX_TIMER_MS) {
    throw new ConfigError('feedPollMs', `must be a positive integer (ms), at most ${MAX_TIMER_MS}`);
  }
  const ownsDatabase = 'path' in options;
  let db: Database.Database | undefined;
  try {
    db = 'path' in options ? new Database(options.path) : options.database;
    return buildStore(db, ownsDatabase, feedPollMs);
  } catch (error) {
    if (ownsDatabase && db?.open === true) db.close();
    throw toStoreError('open', error);
  }
}

function buildStore(db: Database.Database, ownsDatabase: boolean, feedPollMs: number): Store {
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db);

  let closed = false;
  const run = createRun(() => closed);
  const ping = db.prepare('SELECT 1');
  const sweep = createSqliteSweep(db);
  const feed = createSqliteFeed(db, run, feedPollMs);

  return {
    kind: 'sqlite',
    users: createSqliteUserStore(db, run),
    sessions: createSqliteSessionStore(db, run),
    refresh: createSqliteRefreshStore(db, run),
    revocations: publishingRevocations(createSqliteRevocationStore(db, run), feed),
    keys: createSqliteKeyStore(db, run),
    counters: createSqliteCounterStore(db, run),
    secrets: createSqliteSecretStore(db, run),
    feed,

    ping: () =>
      run('ping', () => {
        ping.get();
      }),

    sweep: (now, limit = DEFAULT_SWEEP_LIMIT) => run('sweep', () => sweep(now, limit)),

    async close() {
      if (closed) return;
      closed = true;
      feed.close();
      if (ownsDatabase && db.open) db.close();
    },
  };
}
