import type { TestProject } from 'vitest/node';
import { ensureServicesInstalled } from './install.js';
import { startPostgres } from './postgres.js';
import { startRedis } from './redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the Redis server shared by a project's test files (each test uses its own key prefix). */
    redisUrl: string;
    /** URL of the PostgreSQL server shared by a project's test files (each test uses its own schema). */
    postgresUrl: string;
  }
}

/** Global set-up of the `http-redis` project: one real redis-server for the whole run. */
export async function setupRedis(project: TestProject): Promise<() => Promise<void>> {
  ensureServicesInstalled();
  const redis = await startRedis();
  project.provide('redisUrl', redis.url);
  return () => redis.stop();
}

/** Global set-up of the `http-postgres` project: one real PostgreSQL for the whole run. */
export async function setupPostgres(project: TestProject): Promise<() => Promise<void>> {
  ensureServicesInstalled();
  const postgres = await startPostgres();
  project.provide('postgresUrl', postgres.url);
  return () => postgres.stop();
}
