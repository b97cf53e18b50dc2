import { resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { createMemoryStore } from './memory/index.js';
import type { Store } from './types.js';

const UNKNOWN_SCHEME = 'unknown store URL scheme; use memory:, sqlite:PATH, redis://… or postgres://…';

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /**
   * Resolve even while a networked store's server is down, and connect (and migrate) on first use,
   * retrying after each failure, so a server can start before its database and become ready by
   * itself. Redis stores always connect lazily; this changes PostgreSQL, whose migrations otherwise
   * run before `openStore` resolves. Default false (fail fast, as a one-shot command wants).
   */
  lazy?: boolean;
}

/**
 * Opens the store a URL names: `memory:`; `sqlite:PATH` (relative to the working directory, or
 * `sqlite::memory:`); `redis://` / `rediss://` (ioredis); `postgres://` / `postgresql://`
 * (node-postgres pool; migrations run before this resolves, unless `lazy`). Messages never repeat
 * the URL, which may hold credentials.
 *
 * @throws ConfigError (option `store`) for an unknown, unsupported or incomplete URL.
 * @throws StoreError when the SQLite file cannot be opened or migrated, or (unless `lazy`) when
 *   PostgreSQL cannot be reached or migrated.
 * @example
 * const store = await openStore('sqlite:./tessera.db');
 * const shared = await openStore('postgres://tessera@db/tessera', { lazy: true }); // a server starting before its database
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const scheme = schemeOf(url);
  switch (scheme) {
    case 'memory':
      return createMemoryStore();
    case 'sqlite': {
      const path = sqlitePath(url);
      // Loaded lazily so a memory-only deployment never loads the native driver.
      const { createSqliteStore } = await import('./sqlite/index.js');
      return createSqliteStore({ path: path === ':memory:' ? path : resolve(process.cwd(), path) });
    }
    case 'redis':
    case 'rediss': {
      // Drivers load only for the store in use.
      const { createRedisStore } = await import('./redis/index.js');
      return createRedisStore({ url: url.trim() });
    }
    case 'postgres':
    case 'postgresql': {
      const { createPostgresStore } = await import('./postgres/index.js');
      return createPostgresStore({ url: url.trim(), deferMigrations: options.lazy === true });
    }
    default:
      throw new ConfigError('store', UNKNOWN_SCHEME);
  }
}

/**
 * A form of the store URL that is safe to log: the password (or a lone user-info part, which
 * some clients read as a password) becomes `***`, and the query string and fragment are dropped.
 *
 * @example
 * describeStoreUrl('redis://:hunter2@127.0.0.1:6379/0'); // 'redis://:***@127.0.0.1:6379/0'
 * describeStoreUrl('sqlite:./tessera.db');               // 'sqlite:./tessera.db'
 */
export function describeStoreUrl(url: string): string {
  const scheme = schemeOf(url);
  if (scheme === undefined) return 'invalid:';
  if (scheme === 'memory') return 'memory:';
  // A file path carries no credentials.
  if (scheme === 'sqlite') return `sqlite:${url.trim().slice('sqlite:'.length)}`;
  const rest = url.trim().slice(scheme.length + 1);
  if (!rest.startsWith('//')) return `${scheme}:…`;
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return `${scheme}://…`;
  }
  return `${scheme}://${safeUserInfo(parsed)}${parsed.host}${parsed.pathname}`;
}

/** The lower-cased scheme of a URL, or undefined if it has none. */
function schemeOf(url: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):/i.exec(url.trim())?.[1]?.toLowerCase();
}

/** The path of a `sqlite:` URL; `sqlite://PATH` is read like `sqlite:PATH`. */
function sqlitePath(url: string): string {
  let path = url.trim().slice('sqlite:'.length);
  if (path.startsWith('//')) path = path.slice(2);
  if (path === '') throw new ConfigError('store', 'sqlite: needs a file path, e.g. sqlite:./tessera.db or sqlite::memory:');
  return path;
}

function safeUserInfo(url: URL): string {
  if (url.username !== '' && url.password !== '') return `${url.username}:***@`;
  if (url.username !== '' || url.password !== '') return url.username === '' ? ':***@' : '***@';
  return '';
}
