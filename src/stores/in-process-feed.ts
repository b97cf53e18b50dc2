import type { Feed, FeedMessage } from './types.js';

/** A feed that delivers within this process only; enough for one node (memory and SQLite stores). */
export interface InProcessFeed extends Feed {
  /** Reports `down` to every subscriber and drops them all. Called when the owning store closes. */
  close(): void;
}

interface Subscriber {
  handler: (message: FeedMessage) => void;
  onStatus: ((status: 'up' | 'down') => void) | undefined;
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
  const subscribers = new Set<Subscriber>();

  return {
    async publish(message) {
      // Iterate over a snapshot: a handler may subscribe or unsubscribe while we deliver.
      for (const subscriber of [...subscribers]) {
        if (!subscribers.has(subscriber)) continue;
        // Each handler gets its own copy so one cannot change what the next one sees.
        deliver(() => subscriber.handler({ ...message }));
      }
    },

    async subscribe(handler, onStatus) {
      const subscriber: Subscriber = { handler, onStatus };
      subscribers.add(subscriber);
      if (onStatus !== undefined) deliver(() => onStatus('up'));
      return async () => {
        subscribers.delete(subscriber);
      };
    },

    close() {
      const dropped = [...subscribers];
      subscribers.clear();
      for (const subscriber of dropped) {
        const { onStatus } = subscriber;
        if (onStatus !== undefined) deliver(() => onStatus('down'));
      }
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
