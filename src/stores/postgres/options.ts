import pg from 'pg';
import { ConfigError } from '../../core/errors.js';

/**
 * Where the PostgreSQL store keeps its data: a connection URL (the store builds and owns a pool with
 * short timeouts), or a pool you built (the store never ends it; give it `connectionTimeoutMillis`
 * and `statement_timeout` so calls fail fast when the server does not answer).
 */
export type PostgresStoreOptions = PostgresConnectionOptions & {
  /**
   * Resolve without connecting and migrate on first use, retrying after a failure, instead of migrating
   * before `createPostgresStore` resolves. For a server that must start (and answer 503) while its
   * database is not there yet. Default false.
   */
  deferMigrations?: boolean;
};

/** Where the store connects: a URL, or a pool you built. */
export type PostgresConnectionOptions =
  | {
      /** `postgres://user:password@host:port/database`. */
      url: string;
      /** Schema of the store's tables, created if missing. Default `tessera`. */
      schema?: string;
      /** Server-side `statement_timeout` of every query, in ms; the client gives up 500 ms later. Default 1000. */
      statementTimeoutMs?: number;
      /** Maximum connections of the pool. Default 10. */
      poolSize?: number;
    }
  | {
      pool: pg.Pool;
      /** Schema of the store's tables, created if missing. Default `tessera`. */
      schema?: string;
    };

/** Everything the store needs, derived once from validated options. */
export interface ResolvedPostgresOptions {
  pool: pg.Pool;
  /** True when the store built the pool, and so ends it on close. */
  ownsPool: boolean;
  schema: string;
  /** The schema as a quoted identifier, ready to prefix table names. */
  quotedSchema: string;
  /** The LISTEN/NOTIFY channel of the revocation feed. */
  channel: string;
  /** Client-side read timeout of every store query, in ms. */
  queryTimeoutMs: number;
  listenerConfig: pg.ClientConfig;
}

export const DEFAULT_SCHEMA = 'tessera';
const DEFAULT_STATEMENT_TIMEOUT_MS = 1000;
const DEFAULT_POOL_SIZE = 10;
/** How long to wait for a connection, new or from the pool's queue, before failing. */
const CONNECT_TIMEOUT_MS = 1000;
/** The client-side timeout fires this long after the server's, as a backstop for a server that no longer answers. */
const QUERY_TIMEOUT_MARGIN_MS = 500;
const IDLE_TIMEOUT_MS = 30_000;
const CHANNEL_SUFFIX = '_revocations';
/** PostgreSQL truncates identifiers beyond 63 bytes; the channel must fit whole. */
const MAX_SCHEMA_LENGTH = 63 - CHANNEL_SUFFIX.length;

/**
 * Validates the options and builds the pool (when given a URL). Nothing is mutated; no connection is made.
 *
 * @throws ConfigError naming the option (`url`, `pool`, `schema`, `statementTimeoutMs`, `poolSize`).
 */
export function resolvePostgresOptions(options: PostgresStoreOptions): ResolvedPostgresOptions {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  // Lower-case on purpose: the same name quoted or not, in SQL and in the channel.
  if (typeof schema !== 'string' || !/^[a-z_][a-z0-9_]*$/.test(schema) || schema.length > MAX_SCHEMA_LENGTH) {
    throw new ConfigError('schema', `must be lower-case letters, digits and underscores, starting with a letter or underscore, at most ${MAX_SCHEMA_LENGTH} characters`);
  }
  if (schema.startsWith('pg_')) throw new ConfigError('schema', 'names starting with pg_ are reserved by PostgreSQL');
  const common = { schema, quotedSchema: pg.escapeIdentifier(schema), channel: `${schema}${CHANNEL_SUFFIX}` };

  if ('pool' in options) {
    // Duck-typed rather than instanceof: the application may load its own copy of pg.
    const { pool } = options;
    if (typeof pool !== 'object' || pool === null || typeof pool.query !== 'function' || typeof pool.connect !== 'function' || typeof pool.on !== 'function') {
      throw new ConfigError('pool', 'must be a pg.Pool');
    }
    const poolOptions: pg.PoolConfig = pool.options ?? {};
    const queryTimeoutMs = poolOptions.query_timeout ?? DEFAULT_STATEMENT_TIMEOUT_MS + QUERY_TIMEOUT_MARGIN_MS;
    return {
      ...common,
      pool,
      ownsPool: false,
      queryTimeoutMs,
      // The pool's own connection settings, with bounded timeouts if it has none.
      listenerConfig: {
        ...poolOptions,
        connectionTimeoutMillis: poolOptions.connectionTimeoutMillis || CONNECT_TIMEOUT_MS,
        query_timeout: queryTimeoutMs,
        keepAlive: true,
      },
    };
  }

  const { url } = options;
  if (typeof url !== 'string' || url.trim() === '') throw new ConfigError('url', 'must be a postgres:// URL');
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  if (!Number.isInteger(statementTimeoutMs) || statementTimeoutMs < 1) throw new ConfigError('statementTimeoutMs', 'must be a positive integer (ms)');
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new ConfigError('poolSize', 'must be a positive integer');
  const queryTimeoutMs = statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS;
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: statementTimeoutMs,
    query_timeout: queryTimeoutMs,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    keepAlive: true,
    fallback_application_name: 'tessera',
  });
  return {
    ...common,
    pool,
    ownsPool: true,
    queryTimeoutMs,
    listenerConfig: {
      connectionString: url,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: queryTimeoutMs,
      keepAlive: true,
      fallback_application_name: 'tessera-feed',
    },
  };
}
