/** The SQLite store (`tessera/stores/sqlite`). */
export { createSqliteStore, type SqliteStoreOptions } from './create-sqlite-store.js';
