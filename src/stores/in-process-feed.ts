import type { Feed, FeedMessage } from './types.js';

/**
 * A feed that delivers within this process only: enough for one node (the memory store). The SQLite
 * store builds its cross-process feed on the same {@link FeedSubscribers}.
 */
export interface InProcessFeed extends Feed {
  /** Reports `down` to every subscriber and drops them all. Called when the owning store closes. */
  close(): void;
}

/** One subscription, as handed out by {@link FeedSubscribers.add}. */
export interface FeedSubscriber {
  readonly handler: (message: FeedMessage) => void;
  readonly onStatus: ((status: 'up' | 'down') => void) | undefined;
  /** The last status this subscriber was told, so it hears each change once. */
  reported: 'up' | 'down' | undefined;
}

/**
 * The subscribers of one feed and the rules of delivering to them: messages and status changes go
 * to a snapshot (a handler may subscribe or unsubscribe while we deliver), each handler gets its
 * own copy of a message, and a handler that throws (or rejects) is ignored so the others still
 * receive it.
 */
export interface FeedSubscribers {
  readonly size: number;
  add(handler: (message: FeedMessage) => void, onStatus: ((status: 'up' | 'down') => void) | undefined): FeedSubscriber;
  delete(subscriber: FeedSubscriber): void;
  /** Delivers `message` synchronously to every live subscriber. */
  publish(message: FeedMessage): void;
  /** Tells one subscriber `status`, unless that is what it was last told. */
  report(subscriber: FeedSubscriber, status: 'up' | 'down'): void;
  /** Tells every subscriber `status` (each at most once per change). */
  broadcast(status: 'up' | 'down'): void;
  /** Reports `down` to every subscriber and drops them all. */
  close(): void;
}

/** Creates an empty {@link FeedSubscribers}. */
export function createFeedSubscribers(): FeedSubscribers {
  const subscribers = new Set<FeedSubscriber>();

  function report(subscriber: FeedSubscriber, status: 'up' | 'down'): void {
    if (subscriber.reported === status) return;
    subscriber.reported = status;
    const { onStatus } = subscriber;
    if (onStatus !== undefined) deliver(() => onStatus(status));
  }

  return {
    get size() {
      return subscribers.size;
    },

    add(handler, onStatus) {
      const subscriber: FeedSubscriber = { handler, onStatus, reported: undefined };
      subscribers.add(subscriber);
      return subscriber;
    },

    delete(subscriber) {
      subscribers.delete(subscriber);
    },

    publish(message) {
      for (const subscriber of [...subscribers]) {
        if (!subscribers.has(subscriber)) continue;
        // Each handler gets its own copy so one cannot change what the next one sees.
        deliver(() => subscriber.handler({ ...message }));
      }
    },

    report,

    broadcast(status) {
      for (const subscriber of [...subscribers]) if (subscribers.has(subscriber)) report(subscriber, status);
    },

    close() {
      const dropped = [...subscribers];
      subscribers.clear();
      for (const subscriber of dropped) report(subscriber, 'down');
    },
  };
}

/**
 * Creates an in-process publish/subscribe feed. Subscribing reports `up` at once (there is no
 * connection to lose); `publish` delivers synchronously to every live subscriber before it
 * resolves. A handler that throws (or rejects) is ignored so the others still receive the message.
 *
 * @example
 * const feed = createInProcessFeed();
 * const unsubscribe = await feed.subscribe((message) => remember(message));
 * await feed.publish({ kind: 'user', userId, notBefore: now, expiresAt: now + 600_000, createdAt: now });
 * await unsubscribe();
 */
export function createInProcessFeed(): InProcessFeed {
  const subscribers = createFeedSubscribers();

  return {
    async publish(message) {
      subscribers.publish(message);
    },

    async subscribe(handler, onStatus) {
      const subscriber = subscribers.add(handler, onStatus);
      subscribers.report(subscriber, 'up');
      return async () => {
        subscribers.delete(subscriber);
      };
    },

    close() {
      subscribers.close();
    },
  };
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
