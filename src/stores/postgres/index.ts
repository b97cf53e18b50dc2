/** The PostgreSQL store (`tessera/stores/postgres`). */
export { createPostgresStore } from './create-postgres-store.js';
export type { PostgresStoreOptions } from './options.js';
