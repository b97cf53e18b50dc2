/**
 * The SQLite store's feed across processes: two `createSqliteStore` calls on one file are two
 * connections, as two processes would have. Real files in a temp dir; the poller is awaited with
 * bounded `vi.waitFor`, never a sleep.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, StoreError } from '../../src/core/errors.js';
import { encodeFeedMessage } from '../../src/stores/feed-message.js';
import { createSqliteStore, type SqliteStoreOptions } from '../../src/stores/sqlite/index.js';
import { MIGRATIONS } from '../../src/stores/sqlite/migrations.js';
import type { FeedMessage, Store } from '../../src/stores/types.js';
import { buildFamilyRevocation, buildUserRevocation, MINUTE, T0 } from './builders.js';

/** Bound of every wait for the poller (default interval 50 ms): room for a busy CI machine. */
const WAIT = { timeout: 5000, interval: 5 };

const directories: string[] = [];
const opened: Store[] = [];
const handles: Database.Database[] = [];

function tempDatabasePath(): string {
  const directory = mkdtempSync(join(tmpdir(), 'tessera-feed-'));
  directories.push(directory);
  return join(directory, 'tessera.db');
}

function open(options: SqliteStoreOptions): Store {
  const store = createSqliteStore(options);
  opened.push(store);
  return store;
}

/** A raw connection to the file, as another program would have. */
function raw(path: string): Database.Database {
  const database = new Database(path);
  database.pragma('busy_timeout = 5000');
  handles.push(database);
  return database;
}

/** Two store instances on one fresh file. */
function pair(): { a: Store; b: Store; path: string } {
  const path = tempDatabasePath();
  return { a: open({ path }), b: open({ path }), path };
}

/** Subscribes and records what the subscriber hears. */
async function listen(store: Store): Promise<{ messages: FeedMessage[]; statuses: string[]; unsubscribe: () => Promise<void> }> {
  const messages: FeedMessage[] = [];
  const statuses: string[] = [];
  const unsubscribe = await store.feed.subscribe((message) => messages.push(message), (status) => statuses.push(status));
  return { messages, statuses, unsubscribe };
}

function userRevocation(createdAt = T0): FeedMessage {
  return { ...buildUserRevocation(randomUUID(), createdAt), createdAt };
}

afterEach(async () => {
  vi.useRealTimers();
  for (const store of opened.splice(0)) await store.close();
  for (const handle of handles.splice(0)) if (handle.open) handle.close();
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('sqlite feed across connections', () => {
  it('delivers to the other instance by polling, and to its own subscribers once, at once', async () => {
    const { a, b } = pair();
    const onA = await listen(a);
    const onB = await listen(b);
    expect(onA.statuses).toEqual(['up']);
    expect(onB.statuses).toEqual(['up']);

    const first = userRevocation();
    await a.feed.publish(first);
    // Same process: synchronous, before publish resolves.
    expect(onA.messages).toEqual([first]);
    await vi.waitFor(() => expect(onB.messages).toEqual([first]), WAIT);

    // Once A has polled past B's later row it has passed its own first one too: still once.
    const second = buildFamilyRevocation(randomUUID(), randomUUID());
    await b.feed.publish(second);
    expect(onB.messages).toEqual([first, second]);
    await vi.waitFor(() => expect(onA.messages).toHaveLength(2), WAIT);
    expect(onA.messages).toEqual([first, second]);
    expect(onA.statuses).toEqual(['up']);
    expect(onB.statuses).toEqual(['up']);
  });

  it('does not replay what was published before the subscription', async () => {
    const { a, b } = pair();
    const early = userRevocation();
    await a.feed.publish(early);
    const first = await listen(b);
    const live = userRevocation();
    await a.feed.publish(live);
    await vi.waitFor(() => expect(first.messages).toEqual([live]), WAIT);

    // A second subscriber of an instance that is already polling: rows not yet polled when it joins
    // go to the first subscriber only.
    const between = userRevocation();
    await a.feed.publish(between);
    const second = await listen(b);
    const last = userRevocation();
    await a.feed.publish(last);
    await vi.waitFor(() => expect(second.messages).toEqual([last]), WAIT);
    expect(first.messages).toEqual([live, between, last]);
  });

  it('preserves the order, beyond one poll batch', async () => {
    const { a, b, path } = pair();
    const onB = await listen(b);
    const sent = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? userRevocation() : buildFamilyRevocation(randomUUID(), randomUUID())));
    for (const message of sent) await a.feed.publish(message);
    await vi.waitFor(() => expect(onB.messages).toHaveLength(sent.length), WAIT);
    expect(onB.messages).toEqual(sent);

    // 2500 rows committed at once by another writer: read 1000 a poll, in id order.
    const database = raw(path);
    const insert = database.prepare('INSERT INTO feed_log (origin, message, created_at) VALUES (?, ?, ?)');
    const burst = Array.from({ length: 2500 }, () => userRevocation());
    database.transaction(() => {
      for (const message of burst) insert.run('another-process', encodeFeedMessage(message), T0);
    })();
    await vi.waitFor(() => expect(onB.messages).toHaveLength(sent.length + burst.length), WAIT);
    expect(onB.messages.slice(sent.length)).toEqual(burst);
  });

  it('skips a malformed row and keeps delivering', async () => {
    const { a, b, path } = pair();
    const onB = await listen(b);
    const database = raw(path);
    const insert = database.prepare('INSERT INTO feed_log (origin, message, created_at) VALUES (?, ?, ?)');
    insert.run('intruder', 'not json at all', T0);
    insert.run('intruder', JSON.stringify({ kind: 'user', userId: 'u' }), T0);
    insert.run('intruder', JSON.stringify({ kind: 'everyone' }), T0);
    const good = userRevocation();
    await a.feed.publish(good);
    await vi.waitFor(() => expect(onB.messages).toEqual([good]), WAIT);
    expect(onB.statuses).toEqual(['up']);
  });

  it('keeps delivering to the others when a handler throws', async () => {
    const { a, b } = pair();
    await b.feed.subscribe(() => {
      throw new Error('handler bug');
    });
    await b.feed.subscribe(() => Promise.reject(new Error('async handler bug')));
    const onB = await listen(b);
    const messages = [userRevocation(), userRevocation()];
    for (const message of messages) await a.feed.publish(message);
    await vi.waitFor(() => expect(onB.messages).toEqual(messages), WAIT);
  });

  it('stops delivering on unsubscribe, and stops polling with the last one', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const path = tempDatabasePath();
    const a = open({ path });
    const b = open({ path, feedPollMs: 20 });
    expect(vi.getTimerCount()).toBe(0);
    const leaving = await listen(b);
    const staying = await listen(b);
    // One poller per store instance, whatever the number of subscribers.
    expect(vi.getTimerCount()).toBe(1);

    const first = userRevocation();
    await a.feed.publish(first);
    vi.advanceTimersByTime(20);
    expect(leaving.messages).toEqual([first]);
    expect(staying.messages).toEqual([first]);

    await leaving.unsubscribe();
    await leaving.unsubscribe();
    const second = userRevocation();
    await a.feed.publish(second);
    vi.advanceTimersByTime(20);
    expect(staying.messages).toEqual([first, second]);
    expect(leaving.messages).toEqual([first]);

    await staying.unsubscribe();
    expect(vi.getTimerCount()).toBe(0);
    await a.feed.publish(userRevocation());
    vi.advanceTimersByTime(1000);
    expect(staying.messages).toEqual([first, second]);

    // Subscribing again starts from the newest row: what was published meanwhile is not replayed.
    const again = await listen(b);
    expect(vi.getTimerCount()).toBe(1);
    const third = userRevocation();
    await a.feed.publish(third);
    vi.advanceTimersByTime(20);
    expect(again.messages).toEqual([third]);
    expect(again.statuses).toEqual(['up']);

    await b.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reports down when the store closes, and refuses to subscribe or publish afterwards', async () => {
    const { a, b } = pair();
    const onB = await listen(b);
    const onA = await listen(a);
    await b.close();
    expect(onB.statuses).toEqual(['up', 'down']);
    await expect(b.feed.subscribe(() => undefined)).rejects.toBeInstanceOf(StoreError);
    await expect(b.feed.publish(userRevocation())).rejects.toBeInstanceOf(StoreError);
    // The other instance does not care.
    const message = userRevocation();
    await a.feed.publish(message);
    expect(onA.messages).toEqual([message]);
    expect(onA.statuses).toEqual(['up']);
  });

  it('reports down when a poll fails and up when one succeeds again, then delivers again', async () => {
    const { a, b, path } = pair();
    const onB = await listen(b);
    const before = [userRevocation(), userRevocation(), userRevocation()];
    for (const message of before) await a.feed.publish(message);
    await vi.waitFor(() => expect(onB.messages).toEqual(before), WAIT);
    const database = raw(path);
    // The new table numbers its rows from 1 again: the poller must not wait for id 4.
    database.exec('DROP TABLE feed_log');
    await vi.waitFor(() => expect(onB.statuses).toEqual(['up', 'down']), WAIT);
    // Publishing fails too while the table is gone; A's own subscribers still hear it.
    const onA = await listen(a);
    const lost = userRevocation();
    await expect(a.feed.publish(lost)).rejects.toBeInstanceOf(StoreError);
    expect(onA.messages).toEqual([lost]);

    const feedLog = MIGRATIONS.find((migration) => migration.sql.includes('CREATE TABLE feed_log'));
    database.exec(feedLog!.sql);
    await vi.waitFor(() => expect(onB.statuses).toEqual(['up', 'down', 'up']), WAIT);
    const message = userRevocation();
    await a.feed.publish(message);
    await vi.waitFor(() => expect(onB.messages).toEqual([...before, message]), WAIT);
    expect(onB.statuses).toEqual(['up', 'down', 'up']);
  });

  it('reports down once when the database it was given is closed underneath it', async () => {
    const path = tempDatabasePath();
    const handle = raw(path);
    const b = open({ database: handle });
    const onB = await listen(b);
    handle.close();
    await vi.waitFor(() => expect(onB.statuses).toEqual(['up', 'down']), WAIT);
    await b.close();
    expect(onB.statuses).toEqual(['up', 'down']);
  });

  it('reports down to a subscriber that joins while polls fail', async () => {
    const { b, path } = pair();
    raw(path).exec('DROP TABLE feed_log');
    const onB = await listen(b);
    expect(onB.statuses).toEqual(['down']);
  });

  it('sweeps feed_log rows older than 10 minutes, within the limit', async () => {
    const { a, path } = pair();
    await a.feed.publish(userRevocation(T0));
    await a.feed.publish(userRevocation(T0 + 1));
    await a.feed.publish(userRevocation(T0 + 5 * MINUTE));
    const count = (): number => raw(path).prepare('SELECT COUNT(*) FROM feed_log').pluck().get() as number;
    expect(await a.sweep(T0 + 10 * MINUTE - 1)).toBe(0);
    expect(await a.sweep(T0 + 10 * MINUTE + 1, 1)).toBe(1);
    expect(count()).toBe(2);
    expect(await a.sweep(T0 + 10 * MINUTE + 1)).toBe(1);
    expect(await a.sweep(T0 + 10 * MINUTE + 1)).toBe(0);
    expect(count()).toBe(1);
    expect(await a.sweep(T0 + 15 * MINUTE)).toBe(1);
    expect(count()).toBe(0);
  });

  it('rejects an invalid feedPollMs with a ConfigError naming it', () => {
    const path = tempDatabasePath();
    for (const feedPollMs of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '50' as unknown as number]) {
      let error: unknown;
      try {
        open({ path, feedPollMs });
      } catch (caught) {
        error = caught;
      }
      expect(error, String(feedPollMs)).toBeInstanceOf(ConfigError);
      expect(error).toMatchObject({ option: 'feedPollMs' });
    }
    expect(() => open({ path, feedPollMs: 1 })).not.toThrow();
  });
});
