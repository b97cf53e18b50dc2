import pg from 'pg';
import { StoreError } from '../../core/errors.js';
import type { Feed, FeedMessage } from '../types.js';
import { copyFeedMessage, decodeFeedMessage, encodeFeedMessage } from '../feed-message.js';
import { statement, type Run } from './run.js';

/** The LISTEN/NOTIFY feed of the PostgreSQL store. */
export interface PostgresFeed extends Feed {
  /** Stops reconnecting, ends the listener connection, and reports `down` to every subscriber. */
  close(): Promise<void>;
}

export interface PostgresFeedOptions {
  /** The channel, unquoted; a valid identifier of at most 63 bytes. */
  channel: string;
  /** How to open the dedicated listener connection (never a pooled one: LISTEN is per session). */
  listenerConfig: pg.ClientConfig;
  /** Runs `pg_notify` through the store's pool. */
  run: Run;
}

interface Subscriber {
  handler: (message: FeedMessage) => void;
  onStatus: ((status: 'up' | 'down') => void) | undefined;
  /** The last status this subscriber was told, so it hears each change once. */
  reported: 'up' | 'down' | undefined;
}

/** First reconnect delay; doubled after each failed attempt up to {@link RECONNECT_MAX_MS}. */
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 2000;
/**
 * How often the listener connection is probed. A killed server closes the socket at once, but a
 * network partition sends nothing: without a probe the feed would look up while missing messages.
 * The probe repeats the LISTEN (a no-op on a live session, a repair on any other), which also keeps
 * the connection's `pg_stat_activity.query` saying what it is.
 */
const HEARTBEAT_MS = 1000;
const HEARTBEAT_TIMEOUT_MS = 1000;
/** How long closing waits for the server to acknowledge the end of the listener connection. */
const END_TIMEOUT_MS = 1000;

/**
 * Creates the feed. `publish` is `SELECT pg_notify(channel, json)` on the pool, so it commits (and is
 * delivered) at once, in the order of the awaited calls. Subscribing opens one dedicated listener
 * connection for all subscribers of this store and waits for its first LISTEN: the subscriber hears
 * `up` once it is live, or `down` if that attempt failed. When the connection errors, ends or stops
 * answering the heartbeat, every subscriber hears `down`, and the feed reconnects with backoff
 * (100 ms doubling to 2 s) and LISTENs again, then reports `up`; messages published meanwhile are
 * lost, which is why the core reloads from the store after every `up`. Notifications that do not
 * parse as a revocation are dropped. The last unsubscribe ends the listener connection.
 */
export function createPostgresFeed({ channel, listenerConfig, run }: PostgresFeedOptions): PostgresFeed {
  const notify = statement('SELECT pg_notify($1, $2)');
  const listen = `LISTEN ${pg.escapeIdentifier(channel)}`;
  const subscribers = new Set<Subscriber>();
  let closed = false;
  /** The current listener connection, connecting or up; undefined while waiting to reconnect or stopped. */
  let listener: pg.Client | undefined;
  let up = false;
  let connecting: Promise<void> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let failures = 0;

  function report(subscriber: Subscriber, status: 'up' | 'down'): void {
    if (subscriber.reported === status) return;
    subscriber.reported = status;
    const { onStatus } = subscriber;
    if (onStatus !== undefined) deliver(() => onStatus(status));
  }

  function broadcast(status: 'up' | 'down'): void {
    for (const subscriber of [...subscribers]) report(subscriber, status);
  }

  function receive(notification: pg.Notification): void {
    if (notification.channel !== channel) return;
    const message = decodeFeedMessage(notification.payload);
    if (message === null) return;
    // Iterate over a snapshot: a handler may subscribe or unsubscribe while we deliver.
    for (const subscriber of [...subscribers]) {
      // Each handler gets its own copy so one cannot change what the next one sees.
      if (subscribers.has(subscriber)) deliver(() => subscriber.handler(copyFeedMessage(message)));
    }
  }

  function connect(): Promise<void> {
    const client = new pg.Client(listenerConfig);
    listener = client;
    // Handled for the client's whole life: an unhandled 'error' event would crash the process.
    client.on('error', () => lose(client));
    client.on('end', () => lose(client));
    client.on('notification', (notification) => {
      if (listener === client) receive(notification);
    });
    const attempt = (async () => {
      try {
        await client.connect();
        await client.query(listen);
      } catch {
        lose(client);
        return;
      }
      // Stopped, closed or lost while connecting: that path already ended this client.
      if (listener !== client) return;
      failures = 0;
      up = true;
      startHeartbeat(client);
      broadcast('up');
    })();
    connecting = attempt;
    void attempt.then(() => {
      if (connecting === attempt) connecting = undefined;
    });
    return attempt;
  }

  /** The listener connection failed or ended: report it and reconnect. A no-op for a replaced client. */
  function lose(client: pg.Client): void {
    if (listener !== client) return;
    listener = undefined;
    up = false;
    stopHeartbeat();
    void endQuietly(client);
    broadcast('down');
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (closed || subscribers.size === 0 || retryTimer !== undefined) return;
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** failures);
    failures = Math.min(failures + 1, 16);
    // Jitter, so instances that lost the same server do not all reconnect in the same millisecond.
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      if (!closed && subscribers.size > 0 && listener === undefined) void connect();
    }, delay * (0.75 + Math.random() * 0.25));
  }

  function startHeartbeat(client: pg.Client): void {
    stopHeartbeat();
    let inFlight = false;
    // `query_timeout` per query is read by node-postgres but missing from its QueryConfig type.
    const probe: pg.QueryConfig & { query_timeout: number } = { text: listen, query_timeout: HEARTBEAT_TIMEOUT_MS };
    heartbeat = setInterval(() => {
      if (inFlight || listener !== client) return;
      inFlight = true;
      client.query(probe).then(
        () => {
          inFlight = false;
        },
        () => {
          inFlight = false;
          lose(client);
        },
      );
    }, HEARTBEAT_MS);
    // The listener socket keeps the process alive while it is open; the probe timer need not.
    heartbeat.unref();
  }

  function stopHeartbeat(): void {
    if (heartbeat !== undefined) clearInterval(heartbeat);
    heartbeat = undefined;
  }

  /** Ends the listener connection and stops reconnecting; subscribers are not told. */
  async function stopListener(): Promise<void> {
    if (retryTimer !== undefined) clearTimeout(retryTimer);
    retryTimer = undefined;
    stopHeartbeat();
    const client = listener;
    listener = undefined;
    up = false;
    failures = 0;
    if (client !== undefined) await endQuietly(client);
  }

  return {
    publish: (message) => run('feed.publish', notify, [channel, encodeFeedMessage(message)], () => undefined),

    async subscribe(handler, onStatus) {
      if (closed) throw new StoreError('postgres store: feed.subscribe failed (the store is closed)');
      const subscriber: Subscriber = { handler, onStatus, reported: undefined };
      subscribers.add(subscriber);
      if (listener === undefined && retryTimer === undefined) void connect();
      if (connecting !== undefined) await connecting;
      if (subscribers.has(subscriber)) report(subscriber, up ? 'up' : 'down');
      let subscribed = true;
      return async () => {
        if (!subscribed) return;
        subscribed = false;
        subscribers.delete(subscriber);
        if (subscribers.size === 0) await stopListener();
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      await stopListener();
      broadcast('down');
      subscribers.clear();
    },
  };
}

/** Ends a client, waiting at most {@link END_TIMEOUT_MS}: a frozen server never acknowledges the goodbye. */
async function endQuietly(client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, END_TIMEOUT_MS);
  });
  try {
    await Promise.race([client.end().catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a subscriber callback, swallowing what it throws or rejects: one subscriber's bug is not the publisher's. */
function deliver(callback: () => unknown): void {
  try {
    const result = callback();
    if (result instanceof Promise) result.catch(() => undefined);
  } catch {
    // Ignored on purpose, see above.
  }
}
