import { createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../core/clock.js';
import type { Algorithm, Mode, TesseraOptions } from '../core/config.js';
import { createTessera, type Tessera } from '../core/tessera.js';
import { openStore } from '../stores/open-store.js';
import type { Store } from '../stores/types.js';
import { buildApp } from './app.js';
import type { DestinationStream } from 'pino';
import { instrumentStore } from './instrumented-store.js';
import { createServerMetrics, type MetricsAccess } from './metrics.js';
import { startAdminBootstrap, type AdminBootstrap } from './admin-bootstrap.js';
import { startSweeper } from '../core/sweeper.js';
import { systemClock } from '../core/clock.js';

/** Everything the reference server can be started with (the CLI flags of API.md, typed). */
export interface ServerOptions {
  mode: Mode;
  /** A store URL (`sqlite:./tessera.db`) or an already-built store. */
  store: string | Store;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Allowed browser origins; default `http://localhost:PORT,http://127.0.0.1:PORT`. */
  origins?: string[];
  accessTtlSeconds?: number;
  algorithm?: Algorithm;
  jwtSecret?: string;
  signup?: 'open' | 'closed';
  adminEmail?: string;
  adminPassword?: string;
  demo?: boolean;
  clock?: Clock;
  logLevel?: string;
  /** Where log lines go instead of stdout (tests capture them). */
  logStream?: DestinationStream;
  /** Who may read `GET /metrics`: `loopback` (default), `open` or `off`. */
  metrics?: MetricsAccess;
  /** Further library options (session TTLs, limits, password cost…), merged last. */
  tessera?: Partial<Omit<TesseraOptions, 'store' | 'clock' | 'mode'>>;
}

/** A running reference server. */
export interface RunningServer {
  app: FastifyInstance;
  tessera: Tessera;
  store: Store;
  url: string;
  port: number;
  /** Stops accepting, drains in-flight requests, closes the store (if the server opened it). */
  close(): Promise<void>;
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts the reference server: opens the store, validates the configuration, bootstraps the admin
 * account if asked, and listens. A networked store (Redis, PostgreSQL) that is down does not stop
 * it: the server listens, answers 503 (`/readyz` too) and becomes ready by itself when the store
 * appears; the admin bootstrap is then retried in the background (logged as a warning).
 * @throws ConfigError on an invalid option (named); StoreError if a local store (SQLite) cannot be opened.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const port = options.port === 0 ? await freePort(options.host) : options.port;
  const ownsStore = typeof options.store === 'string';
  // Lazy: a server may start before its database, and must then answer 503 rather than exit.
  const store = typeof options.store === 'string' ? await openStore(options.store, { lazy: true }) : options.store;
  let admin: AdminBootstrap | undefined;
  const metrics = createServerMetrics({ mode: options.mode, store: store.kind });
  const observedStore = instrumentStore(store, metrics.storeObserver);
  try {
    const origins = options.origins ?? [`http://localhost:${port}`, `http://127.0.0.1:${port}`];
    const extra = options.tessera ?? {};
    const tesseraOptions: TesseraOptions = {
      ...extra,
      mode: options.mode,
      // The core sees the store through the metrics wrapper (latency, errors, sessions).
      store: observedStore,
      origins,
      signup: options.signup ?? extra.signup ?? 'open',
      demo: options.demo ?? extra.demo ?? false,
      jwt: {
        ...extra.jwt,
        ...(options.accessTtlSeconds !== undefined ? { accessTtlSeconds: options.accessTtlSeconds } : {}),
        ...(options.algorithm !== undefined ? { algorithm: options.algorithm } : {}),
        ...(options.jwtSecret !== undefined ? { secrets: [options.jwtSecret] } : {}),
      },
    };
    if (options.clock) tesseraOptions.clock = options.clock;
    const tessera = createTessera(tesseraOptions);
    if (options.adminEmail !== undefined || options.adminPassword !== undefined) {
      if (!options.adminEmail || !options.adminPassword) {
        throw new Error('--admin-email and --admin-password go together');
      }
    }
    const app = await buildApp({
      tessera,
      logLevel: options.logLevel ?? 'info',
      metrics,
      metricsAccess: options.metrics ?? 'loopback',
      ...(options.logStream === undefined ? {} : { logStream: options.logStream }),
    });
    if (options.adminEmail && options.adminPassword) {
      admin = await startAdminBootstrap(tessera, options.adminEmail, options.adminPassword, app.log).catch(async (err: unknown) => {
        await app.close();
        throw err;
      });
    }
    // Warm up keys and the revocation feed now; a store that is down is retried on first use.
    await tessera.ready().catch((err: unknown) => app.log.warn({ err }, 'store not ready at start; /readyz will say so'));
    await app.listen({ port, host: options.host });
    const sweeper = startSweeper(observedStore, {
      clock: options.clock ?? systemClock,
      onError: (err) => app.log.warn({ err }, 'expired-row sweep failed; will retry'),
    });
    const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
    let closing: Promise<void> | undefined;
    return {
      app,
      tessera,
      store,
      port,
      url: `http://${hostForUrl}:${port}`,
      close() {
        closing ??= (async () => {
          await app.close();
          await admin?.stop();
          await sweeper.stop();
          await tessera.close();
          if (ownsStore) await store.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await admin?.stop();
    if (ownsStore) await store.close().catch(() => {});
    throw err;
  }
}
