import { Redis, type Cluster } from 'ioredis';
import { ConfigError } from '../../core/errors.js';
import type { Store } from '../types.js';
import { closeClient, createRedisContext, type RedisClient } from './context.js';
import { createRedisCounterStore } from './counters.js';
import { createRedisFeed } from './feed.js';
import { createKeyLayout } from './key-layout.js';
import { createRedisKeyStore } from './keys.js';
import { createRedisRefreshStore } from './refresh.js';
import { createRedisRevocationStore } from './revocations.js';
import { createRedisSecretStore } from './secrets.js';
import { createRedisSessionStore } from './sessions.js';
import { sweepRedis } from './sweep.js';
import { createRedisUserStore } from './users.js';

/** Settings shared by both ways of creating the store. */
interface CommonOptions {
  /** Prepended to every key and to the feed channel; default `tessera:`. */
  keyPrefix?: string;
  /**
   * Longest wait for one command, and for a connection that is not ready, in ms (default 1000).
   * Every store call settles within twice this (five times for sweeps and listings).
   */
  commandTimeoutMs?: number;
}

/**
 * Where the Redis store keeps its data: a URL (`redis://…` or `rediss://…`), for which it opens and
 * owns its connections, or an ioredis client you built (Sentinel, Cluster, custom TLS…) and keep
 * owning; the feed then subscribes on `subscriber`, or on a `duplicate()` of the client that the
 * store owns. For a client you build, give it the settings the store gives its own (see
 * {@link createRedisStore}): the store still bounds every call by its deadline, but only
 * `commandTimeout` and `enableOfflineQueue: false` keep a command that missed it from running later.
 */
export type RedisStoreOptions =
  | (CommonOptions & { url: string })
  | (CommonOptions & { client: Redis | Cluster; subscriber?: Redis | Cluster });

const DEFAULT_KEY_PREFIX = 'tessera:';
const DEFAULT_COMMAND_TIMEOUT_MS = 1000;
const DEFAULT_SWEEP_LIMIT = 1000;
/** Longest pause between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 1000;

/**
 * Creates the Redis store (many instances, one shared Redis: single server, Sentinel or Cluster).
 * Records expire at the `now` callers pass (stored expiries are always compared) and also carry
 * native TTLs so Redis collects them by itself; `sweep` trims the expiry indexes. Per-user keys
 * carry a `{u:<userId>}` hash tag; every script touches one slot; nothing uses KEYS. Every method
 * rejects with `StoreError` (code `unavailable`) when Redis is down or slow, within about twice
 * `commandTimeoutMs`; the connection comes back by itself. `close()` closes only the connections
 * the store opened. The feed is Redis pub/sub on a connection of its own.
 *
 * A connection the store opens uses auto-pipelining (commands issued in the same tick share one
 * write), `commandTimeout`, no offline queue (a call while disconnected fails at once instead of
 * queueing, so nothing runs late after its caller was told it failed) and reconnects every second
 * at most. It connects at once; a call made before the first connection is ready waits for it,
 * bounded by `commandTimeoutMs`.
 *
 * @throws ConfigError for a URL that is not `redis://`/`rediss://`, a non-string prefix or a
 *   non-positive timeout. Messages never repeat the URL, which may hold a password.
 * @example
 * const store = createRedisStore({ url: 'redis://127.0.0.1:6379/0' });
 * const store = createRedisStore({ client: new Cluster([{ host: 'redis-1', port: 6379 }], { enableAutoPipelining: true }) });
 */
export function createRedisStore(options: RedisStoreOptions): Store {
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (typeof keyPrefix !== 'string') throw new ConfigError('redis.keyPrefix', 'must be a string');
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  if (!Number.isFinite(commandTimeoutMs) || commandTimeoutMs <= 0) {
    throw new ConfigError('redis.commandTimeoutMs', 'must be a positive number of milliseconds');
  }
  const ownsClient = 'url' in options;
  const client: RedisClient = 'url' in options ? openClient(options.url, commandTimeoutMs) : options.client;
  const context = createRedisContext({ client, keys: createKeyLayout(keyPrefix), ownsClient, commandTimeoutMs });
  const feed = createRedisFeed(context, {
    subscriber: 'client' in options ? options.subscriber : undefined,
    timeoutMs: commandTimeoutMs,
  });
  if (ownsClient) client.connect().catch(() => undefined);
  let closed = false;

  return {
    kind: 'redis',
    users: createRedisUserStore(context),
    sessions: createRedisSessionStore(context),
    refresh: createRedisRefreshStore(context),
    revocations: createRedisRevocationStore(context, feed),
    keys: createRedisKeyStore(context),
    counters: createRedisCounterStore(context),
    secrets: createRedisSecretStore(context),
    feed,

    ping: () =>
      context.run('ping', async () => {
        await client.ping();
      }),

    sweep: (now, limit = DEFAULT_SWEEP_LIMIT) => context.run('sweep', () => sweepRedis(context, now, limit), { bulk: true }),

    async close() {
      if (closed) return;
      closed = true;
      context.close();
      await feed.close();
      if (ownsClient) await closeClient(client, commandTimeoutMs);
    },
  };
}

/** Opens the store's own connection to a `redis://` or `rediss://` URL (not yet connected). */
function openClient(url: string, commandTimeoutMs: number): Redis {
  if (typeof url !== 'string' || !/^rediss?:\/\//i.test(url.trim())) {
    throw new ConfigError('redis.url', 'must be a redis:// or rediss:// URL');
  }
  const client = new Redis(url.trim(), {
    lazyConnect: true,
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    // With no offline queue this only bounds commands caught in flight by a disconnect.
    maxRetriesPerRequest: 1,
    // A command whose caller already got an error must not run later, after a reconnect.
    autoResendUnfulfilledCommands: false,
    connectTimeout: Math.max(1000, 2 * commandTimeoutMs),
    // A connection that stops answering (half-open socket) is dropped and re-established.
    socketTimeout: Math.max(5000, 5 * commandTimeoutMs),
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
  });
  // Failures reach callers as StoreErrors; without a listener ioredis would also print each one.
  client.on('error', () => undefined);
  return client;
}
