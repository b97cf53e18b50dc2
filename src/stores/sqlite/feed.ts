import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { decodeFeedMessage, encodeFeedMessage } from '../feed-message.js';
import { createFeedSubscribers } from '../in-process-feed.js';
import type { Feed } from '../types.js';
import type { Run } from './run.js';

/** The revocation feed of the SQLite store. */
export interface SqliteFeed extends Feed {
  /** Stops polling, reports `down` to every subscriber and drops them all. Called when the store closes. */
  close(): void;
}

/** Rows one poll reads at most; the rest wait for the next tick. */
const POLL_BATCH = 1000;

interface FeedRow {
  id: number;
  message: string;
}

/**
 * Creates the feed of one SQLite store instance: a log table (`feed_log`) that every process
 * opening the same file writes to and polls.
 *
 * `publish` inserts the encoded revocation with this instance's random `origin` (its `created_at`
 * is the revocation's own `createdAt`, the clock that also drives the sweep), then delivers it
 * synchronously to this instance's subscribers, as the in-process feed does; it rejects with
 * StoreError if the row could not be written (this instance's subscribers have it all the same).
 *
 * While there is a subscriber, a timer (unref'd) polls every `pollMs` for rows of other origins
 * after the last one seen, in id order, and delivers them; rows that do not decode are skipped. A
 * new subscriber hears only what is published after it subscribed. A poll that fails (closed
 * handle, SQLITE_BUSY past the busy timeout, I/O error) reports `down` once; the next one that
 * succeeds resumes from the newest row and reports `up`, and the core reloads from the store, so
 * what was published in between is not lost to it. Polling stops with the last unsubscribe.
 */
export function createSqliteFeed(db: Database.Database, run: Run, pollMs: number): SqliteFeed {
  const origin = randomUUID();
  const insert = db.prepare<[string, string, number]>('INSERT INTO feed_log (origin, message, created_at) VALUES (?, ?, ?)');
  const newest = db.prepare<[], number | null>('SELECT MAX(id) FROM feed_log').pluck();
  const after = db.prepare<[number, string, number], FeedRow>('SELECT id, message FROM feed_log WHERE id > ? AND origin <> ? ORDER BY id LIMIT ?');
  const subscribers = createFeedSubscribers();
  let timer: NodeJS.Timeout | undefined;
  /** The id of the last row read; undefined to (re)start from the newest row. */
  let cursor: number | undefined;
  /** What the subscribers were last told as a whole. */
  let up = false;

  function setUp(next: boolean): void {
    if (up === next) return;
    up = next;
    subscribers.broadcast(next ? 'up' : 'down');
  }

  /** Reads and delivers one batch; true when the batch was full (more rows may be waiting). */
  function poll(): boolean {
    let rows: FeedRow[];
    try {
      cursor ??= newest.get() ?? 0;
      rows = after.all(cursor, origin, POLL_BATCH);
    } catch {
      // The log may be swept or replaced before we are back: resume from its newest row then,
      // the core reloads whatever it missed from the store when it hears `up`.
      cursor = undefined;
      setUp(false);
      return false;
    }
    setUp(true);
    for (const row of rows) {
      cursor = row.id;
      const message = decodeFeedMessage(row.message);
      if (message !== null) subscribers.publish(message);
    }
    return rows.length === POLL_BATCH;
  }

  function stop(): void {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  }

  return {
    publish: (message) =>
      run('feed.publish', () => {
        try {
          insert.run(origin, encodeFeedMessage(message), message.createdAt);
        } finally {
          subscribers.publish(message);
        }
      }),

    subscribe: (handler, onStatus) =>
      run('feed.subscribe', () => {
        if (timer === undefined) {
          cursor = undefined;
          up = false;
          timer = setInterval(poll, pollMs);
          // The feed must not keep a process alive that has nothing else to do.
          timer.unref();
        }
        // Catch up first (or find the newest row), so the new subscriber hears only what comes after.
        while (poll()) {
          // A full batch: there may be more.
        }
        const subscriber = subscribers.add(handler, onStatus);
        subscribers.report(subscriber, up ? 'up' : 'down');
        let subscribed = true;
        return async () => {
          if (!subscribed) return;
          subscribed = false;
          subscribers.delete(subscriber);
          if (subscribers.size === 0) stop();
        };
      }),

    close() {
      stop();
      subscribers.close();
    },
  };
}
