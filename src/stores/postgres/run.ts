import { createHash } from 'node:crypto';
import pg from 'pg';
import { StoreError } from '../../core/errors.js';

/** A statement of this store: prepared once per connection under `name`, then only bound and executed. */
export interface Statement {
  readonly name: string;
  readonly text: string;
  /** `array`: rows come back as arrays in column order (for hot paths that map positionally). */
  readonly rowMode?: 'array';
}

/**
 * Names a statement after a hash of its text, so stores with different schemas (different texts)
 * can share one pool without their prepared-statement names colliding, and the name stays well
 * under PostgreSQL's 63-byte identifier limit.
 */
export function statement(text: string, options: { rowMode?: 'array' } = {}): Statement {
  return { name: `tessera_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`, text, ...options };
}

/** Runs one statement and maps its result, as a store operation: rejects with StoreError on any failure. */
export type Run = <R extends pg.QueryResultRow, T>(
  operation: string,
  statement: Statement,
  values: unknown[],
  map: (result: pg.QueryResult<R>) => T,
) => Promise<T>;

/**
 * Type parsers of this store, per query, so an injected pool needs no global set-up:
 * `bigint` (epoch milliseconds, counts) becomes a number; everything else keeps the driver default.
 */
export const PG_TYPES = new pg.TypeOverrides();
PG_TYPES.setTypeParser(20, (text: string) => Number(text));

/**
 * Creates the wrapper every store method goes through. It refuses to run once the store is closed,
 * passes `queryTimeoutMs` as the client-side read timeout (a backstop to the server's
 * `statement_timeout`), and turns whatever the driver throws into a StoreError whose message names
 * only the operation and an error code, never a value (no token hash, no email).
 */
export function createRun(pool: pg.Pool, isClosed: () => boolean, queryTimeoutMs: number): Run {
  return async (operation, { name, text, rowMode }, values, map) => {
    if (isClosed()) throw new StoreError('postgres store: the store is closed');
    try {
      // `query_timeout` per query is read by node-postgres but missing from its QueryConfig type.
      const config: pg.QueryConfig & { query_timeout: number } = { name, text, values, types: PG_TYPES, query_timeout: queryTimeoutMs, ...(rowMode ? { rowMode } : {}) };
      return map(await pool.query(config));
    } catch (error) {
      throw toStoreError(operation, error);
    }
  };
}

/** Wraps a driver error; the original is kept as `cause` for debugging, never in the message. */
export function toStoreError(operation: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const code = errorCode(error);
  return new StoreError(`postgres store: ${operation} failed${code === undefined ? '' : ` (${code})`}`, error);
}

/**
 * A code that says what went wrong without saying anything about the data: PostgreSQL's SQLSTATE
 * (`23505`, `57014`, …), Node's socket error code (`ECONNREFUSED`, …), or `timeout` for the
 * driver's own timeouts (which carry no code).
 */
function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = 'code' in error ? error.code : undefined;
  if (typeof code === 'string' && (/^[0-9A-Z]{5}$/.test(code) || /^E[A-Z_]+$/.test(code))) return code;
  const message = 'message' in error ? error.message : undefined;
  return typeof message === 'string' && /timeout|timed out/i.test(message) ? 'timeout' : undefined;
}

/** Maps the first row, or null when there is none. */
export function one<R extends pg.QueryResultRow, T>(map: (row: R) => T): (result: pg.QueryResult<R>) => T | null {
  return ({ rows: [row] }) => (row === undefined ? null : map(row));
}

/** Maps every row. */
export function all<R extends pg.QueryResultRow, T>(map: (row: R) => T): (result: pg.QueryResult<R>) => T[] {
  return ({ rows }) => rows.map(map);
}

/** How many rows the statement inserted, updated or deleted. */
export function affected(result: pg.QueryResult): number {
  return result.rowCount ?? 0;
}
