import { StoreError } from '../../core/errors.js';
import type { Feed, FeedMessage } from '../types.js';
import { closeClient, withDeadline, type RedisClient, type RedisContext } from './context.js';
import { copyFeedMessage, decodeFeedMessage, encodeFeedMessage } from '../feed-message.js';

/** The Redis revocation feed; `close` ends its subscription (and its connection, if it opened it). */
export interface RedisFeed extends Feed {
  close(): Promise<void>;
}

/** Settings of the feed. */
export interface RedisFeedOptions {
  /** A connection to subscribe on; by default the feed opens its own (`client.duplicate()`) on first subscribe. */
  subscriber: RedisClient | undefined;
  /** How long `subscribe` waits for the subscription to be live is twice this. */
  timeoutMs: number;
}

interface Subscriber {
  handler: (message: FeedMessage) => void;
  onStatus: ((status: 'up' | 'down') => void) | undefined;
}

/**
 * Creates the feed: PUBLISH on the store's client, SUBSCRIBE on a connection of its own (a
 * connection in subscriber mode can run nothing else) to the channel `P revocations`. Messages are
 * JSON of the revocation; malformed ones are dropped. Status: `up` once the SUBSCRIBE is confirmed
 * (at start and after every reconnect: ioredis reconnects and resubscribes by itself, and the feed
 * confirms with a SUBSCRIBE of its own before it says `up`), `down` as soon as the connection closes.
 * Pub/sub delivers at most once: what is published while a subscriber is down is lost to it, which
 * is why jwt-push reloads from the store on every `up`.
 */
export function createRedisFeed(context: RedisContext, options: RedisFeedOptions): RedisFeed {
  const channel = context.keys.feedChannel;
  const subscribers = new Set<Subscriber>();
  const waiters = new Set<() => void>();
  let connection: RedisClient | undefined;
  let ownsConnection = false;
  let live = false;
  let closed = false;
  // Bumped on every disconnect, so a SUBSCRIBE confirmed for an old connection is ignored.
  let generation = 0;

  function setLive(next: boolean): void {
    if (live === next) return;
    live = next;
    if (next) for (const wake of [...waiters]) wake();
    for (const subscriber of [...subscribers]) notify(subscriber, next ? 'up' : 'down');
  }

  const onMessage = (from: string, payload: string): void => {
    if (from !== channel) return;
    const message = decodeFeedMessage(payload);
    if (message === null) return;
    for (const subscriber of [...subscribers]) {
      // Each handler gets its own copy so one cannot change what the next one sees.
      if (subscribers.has(subscriber)) deliver(() => subscriber.handler(copyFeedMessage(message)));
    }
  };

  const onReady = (): void => {
    const current = connection;
    if (current === undefined || closed) return;
    const attempt = ++generation;
    current.subscribe(channel).then(
      () => {
        if (attempt === generation && !closed) setLive(true);
      },
      () => {
        // Connected but not subscribed: start over with a fresh connection rather than stay deaf.
        if (attempt === generation && !closed && current.status === 'ready') current.disconnect(true);
      },
    );
  };

  const onDown = (): void => {
    generation += 1;
    setLive(false);
  };

  const onError = (): void => {
    if (connection?.status !== 'ready') setLive(false);
  };

  function start(): void {
    ownsConnection = options.subscriber === undefined;
    const current = options.subscriber ?? context.client.duplicate();
    connection = current;
    // Errors surface as status changes; without a listener ioredis would print every one.
    if (ownsConnection) current.on('error', () => undefined);
    current.on('message', onMessage);
    current.on('ready', onReady);
    current.on('close', onDown);
    current.on('end', onDown);
    current.on('error', onError);
    if (current.status === 'ready') onReady();
    else if (current.status === 'wait') current.connect().catch(() => undefined);
  }

  /** Resolves true once the subscription is live, false after `ms`. */
  function waitLive(ms: number): Promise<boolean> {
    if (live) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (result: boolean): void => {
        clearTimeout(timer);
        waiters.delete(wake);
        resolve(result);
      };
      const wake = (): void => finish(true);
      const timer = setTimeout(() => finish(false), ms);
      waiters.add(wake);
    });
  }

  return {
    publish: (message) =>
      context.run('feed.publish', async () => {
        await context.client.publish(channel, encodeFeedMessage(message));
      }),

    async subscribe(handler, onStatus) {
      if (closed) throw new StoreError('redis store: the store is closed');
      const subscriber: Subscriber = { handler, onStatus };
      subscribers.add(subscriber);
      if (connection === undefined) start();
      if (live) {
        notify(subscriber, 'up');
      } else if (!(await waitLive(2 * options.timeoutMs))) {
        subscribers.delete(subscriber);
        throw new StoreError('redis store: feed.subscribe failed (not connected)');
      }
      // When the wait succeeded, setLive(true) has already told this subscriber `up`.
      return async () => {
        subscribers.delete(subscriber);
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      generation += 1;
      setLive(false);
      subscribers.clear();
      const current = connection;
      connection = undefined;
      if (current === undefined) return;
      current.off('message', onMessage);
      current.off('ready', onReady);
      current.off('close', onDown);
      current.off('end', onDown);
      current.off('error', onError);
      if (ownsConnection) await closeClient(current, options.timeoutMs);
      else await withDeadline(current.unsubscribe(channel), options.timeoutMs).catch(() => undefined);
    },
  };
}

function notify(subscriber: Subscriber, status: 'up' | 'down'): void {
  const { onStatus } = subscriber;
  if (onStatus !== undefined) deliver(() => onStatus(status));
}

/** Runs a subscriber callback, swallowing what it throws or rejects: one subscriber's bug is not the feed's. */
function deliver(callback: () => unknown): void {
  try {
    const result = callback();
    if (result instanceof Promise) result.catch(() => undefined);
  } catch {
    // Ignored on purpose, see above.
  }
}
