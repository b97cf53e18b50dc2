import { StoreError } from '../../core/errors.js';

/** Runs one synchronous driver call as a store operation: a rejection with StoreError on any failure. */
export type Run = <T>(operation: string, body: () => T) => Promise<T>;

/**
 * Creates the wrapper every SQLite store method goes through. It refuses to run once the store
 * is closed and turns whatever the driver throws into a StoreError whose message names only the
 * operation and SQLite's result code, never a value (no token hash, no email).
 */
export function createRun(isClosed: () => boolean): Run {
  return <T>(operation: string, body: () => T): Promise<T> => {
    try {
      if (isClosed()) throw new StoreError('sqlite store: the store is closed');
      return Promise.resolve(body());
    } catch (error) {
      return Promise.reject(toStoreError(operation, error));
    }
  };
}

/** Wraps a driver error; the original is kept as `cause` for debugging, never in the message. */
export function toStoreError(operation: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const code = sqliteCode(error);
  return new StoreError(`sqlite store: ${operation} failed${code === undefined ? '' : ` (${code})`}`, error);
}

/** SQLite's result code name (`SQLITE_BUSY`, …) when the error carries one. */
function sqliteCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error;
  return typeof code === 'string' && /^SQLITE_[A-Z_]+$/.test(code) ? code : undefined;
}
