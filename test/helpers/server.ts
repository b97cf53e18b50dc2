import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManualClock, type ManualClock } from '../../src/core/clock.js';
import type { Mode } from '../../src/core/config.js';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/start.js';
import type { Store } from '../../src/stores/types.js';

/** The store the HTTP suites run on: `sqlite` by default; the `http-redis` / `http-postgres` projects set it. */
export const TEST_STORE_KIND = process.env.TESSERA_TEST_STORE ?? 'sqlite';

/** A fresh, isolated store on the project's shared Redis or PostgreSQL server. */
async function sharedServerStore(kind: string): Promise<Store> {
  const unique = randomUUID().replace(/-/g, '').slice(0, 20);
  if (kind === 'redis') {
    const { createRedisStore } = await import('../../src/stores/redis/index.js');
    return createRedisStore({ url: inject('redisUrl'), keyPrefix: `t${unique}:` });
  }
  const { createPostgresStore } = await import('../../src/stores/postgres/index.js');
  return createPostgresStore({ url: inject('postgresUrl'), schema: `t_${unique}` });
}

/** A reference server for a test, on a free loopback port, with its own store and clock. */
export interface TestServer extends RunningServer {
  clock: ManualClock;
  /** Origin the server allows for browser requests (`http://localhost:PORT`). */
  origin: string;
}

/** Options of `startTestServer`. */
export interface TestServerOptions extends Partial<Omit<ServerOptions, 'clock' | 'store'>> {
  mode?: Mode;
  /** `sqlite` (default: a fresh file in a temp dir), `memory`, or a store URL. */
  store?: 'sqlite' | 'memory' | string;
  clock?: ManualClock;
}

/**
 * Starts the real reference server in-process on 127.0.0.1 with an injected manual clock and
 * a fresh SQLite file (removed on close). Password hashing uses OWASP's argon2id parameters.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const clock = options.clock ?? createManualClock(Date.parse('2026-01-01T00:00:00Z'));
  let dir: string | undefined;
  let store: string | Store = options.store ?? TEST_STORE_KIND;
  let ownStore: Store | undefined;
  if (store === 'redis' || store === 'postgres') {
    store = ownStore = await sharedServerStore(store);
  } else if (store === 'sqlite') {
    dir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
    store = `sqlite:${join(dir, 'tessera.db')}`;
  } else if (store === 'memory') {
    store = 'memory:';
  }
  const server = await startServer({
    ...options,
    mode: options.mode ?? 'session',
    store,
    host: '127.0.0.1',
    port: 0,
    clock,
    logLevel: options.logLevel ?? 'silent',
  });
  return {
    ...server,
    clock,
    origin: `http://localhost:${server.port}`,
    async close() {
      await server.close();
      await ownStore?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
