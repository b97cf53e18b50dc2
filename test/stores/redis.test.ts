import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, StoreError } from '../../src/core/errors.js';
import { createRedisStore } from '../../src/stores/redis/index.js';
import type { FeedMessage, Store, StoredSession, StoredUser } from '../../src/stores/types.js';
import { startRedis, type RedisService } from '../services/redis.js';
import {
  buildFamily, buildFamilyRevocation, buildKey, buildSession, buildUser, buildUserRevocation, HOUR, MINUTE, randomHash, seedOneTurnOfChecks, seedOneTurnOfLookups, T0,
} from './builders.js';
import { runStoreConformance } from './conformance.js';

let redis: RedisService;
let cluster: RedisService;
/** One Cluster client for the whole file: a store never closes a client it was given. */
let clusterClient: Cluster;

beforeAll(async () => {
  [redis, cluster] = await Promise.all([startRedis(), startRedis({ cluster: true })]);
  clusterClient = new Cluster([{ host: '127.0.0.1', port: cluster.port }], {
    enableAutoPipelining: true,
    redisOptions: { commandTimeout: 1000 },
  });
});

afterAll(async () => {
  await clusterClient?.quit().catch(() => undefined);
  await Promise.all([redis?.stop(), cluster?.stop()]);
});

/** A key prefix no other test uses, so tests share nothing but the server. */
function uniquePrefix(): string {
  return `t-${randomUUID()}:`;
}

// The same suite as every other store, against a real redis-server: a single server through a
// URL (the store owns its connections), and a one-node Cluster through an injected ioredis
// Cluster client, where Redis itself rejects any multi-key command or script across slots.
runStoreConformance('redis', async () => createRedisStore({ url: redis.url, keyPrefix: uniquePrefix() }));
runStoreConformance('redis cluster', async () => createRedisStore({ client: clusterClient, keyPrefix: uniquePrefix() }));

/** A plain connection for inspecting the server; the caller disconnects it. */
function inspector(service: RedisService): Redis {
  return new Redis(service.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
}

/** Runs `body` with a store under a fresh prefix and an inspector on the same server, and closes both. */
async function withInspectedStore(body: (parts: { store: Store; node: Redis; prefix: string }) => Promise<void>): Promise<void> {
  const prefix = uniquePrefix();
  const store = createRedisStore({ url: redis.url, keyPrefix: prefix });
  const node = inspector(redis);
  try {
    await body({ store, node, prefix });
  } finally {
    node.disconnect();
    await store.close();
  }
}

/** A store under a fresh prefix holding one user and one session of theirs, and an inspector; the caller closes both. */
async function storeWithSession(
  sessionOverrides: Partial<StoredSession> = {},
  userOverrides: Partial<StoredUser> = {},
): Promise<{ prefix: string; store: Store; node: Redis; user: StoredUser; session: StoredSession }> {
  const prefix = uniquePrefix();
  const store = createRedisStore({ url: redis.url, keyPrefix: prefix });
  const node = inspector(redis);
  const user = buildUser(userOverrides);
  await store.users.create(user);
  const session = buildSession(user.id, sessionOverrides);
  await store.sessions.create(session);
  return { prefix, store, node, user, session };
}

/** Every key under `prefix`, found with SCAN (never KEYS). */
async function scanKeys(connection: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await connection.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

/** Settles `call` and reports how it ended and how long it took. */
async function timed(call: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  const error = await call.then(() => undefined, (reason: unknown) => reason);
  return { error, ms: performance.now() - started };
}

/** One call of every kind, as in the SQLite store's outage test. */
function everyKindOfCall(store: Store): Array<Promise<unknown>> {
  return [
    store.ping(),
    store.users.getById('x'),
    store.users.create(buildUser()),
    store.sessions.getWithUser(randomHash(), T0),
    store.refresh.rotate('x', randomHash(), randomHash(), T0),
    store.revocations.check('x', 'y', T0),
    store.revocations.listActive(T0),
    store.keys.list(),
    store.counters.increment('x', 1000, T0),
    store.secrets.getOrCreate('x', 'y'),
    store.feed.publish(buildUserRevocation('x', T0)),
    store.sweep(T0),
  ];
}

/** Asserts that every kind of call rejects with StoreError (code `unavailable`) within 2.5 s. */
async function expectUnavailableWithin2500ms(store: Store): Promise<void> {
  const outcomes = await Promise.all(everyKindOfCall(store).map(timed));
  for (const { error, ms } of outcomes) {
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'unavailable' });
    expect(ms).toBeLessThan(2500);
  }
}

describe('redis store', () => {
  it('reports its kind', async () => {
    const store = createRedisStore({ url: redis.url, keyPrefix: uniquePrefix() });
    expect(store.kind).toBe('redis');
    await store.close();
  });

  it('keeps every per-user key on the user\'s hash tag, hence on one Cluster slot', async () => {
    const prefix = uniquePrefix();
    const store = createRedisStore({ client: clusterClient, keyPrefix: prefix });
    const node = inspector(cluster);
    try {
      // An email of its own, so that only per-user keys name the user id.
      const user = buildUser({ email: `${randomUUID()}@example.test` });
      await store.users.create(user);
      await store.sessions.create(buildSession(user.id));
      await store.refresh.create(buildFamily(user.id));
      await store.revocations.put(buildUserRevocation(user.id, T0));

      const perUser = (await scanKeys(node, prefix)).filter((key) => key.includes(user.id));
      const tag = `{u:${user.id}}`;
      expect(perUser.sort()).toEqual(
        ['families', 'revoked', 'sessions', 'user'].map((name) => `${prefix}${tag}:${name}`),
      );
      const slots = await Promise.all(perUser.map((key) => node.call('CLUSTER', 'KEYSLOT', key)));
      expect(new Set(slots).size).toBe(1);
    } finally {
      node.disconnect();
      await store.close();
    }
  });

  it('never sends KEYS, and answers getWithUser with one command (a script) on a single server', () =>
    withInspectedStore(async ({ store, node }) => {
      const user = buildUser();
      await store.users.create(user);
      const session = buildSession(user.id, { idleExpiresAt: T0 + MINUTE });
      await store.sessions.create(session);
      await store.refresh.create(buildFamily(user.id, { expiresAt: T0 + MINUTE }));
      await store.revocations.put(buildFamilyRevocation(user.id, randomUUID(), T0 + MINUTE));
      await store.keys.create(buildKey());
      await store.counters.increment('ip:192.0.2.1', MINUTE, T0);

      await node.config('RESETSTAT');
      expect(await store.sessions.getWithUser(session.tokenHash, T0)).not.toBeNull();
      // Commands a script runs count too: the two HMGETs (of the fields authentication needs, never
      // the whole records) ran inside the one EVALSHA.
      const afterLookup = await node.info('commandstats');
      expect(afterLookup).toMatch(/cmdstat_evalsha:calls=1,/);
      expect(afterLookup).toMatch(/cmdstat_hmget:calls=2,/);
      expect(afterLookup).not.toMatch(/cmdstat_(eval|get|hget|hgetall):/);

      // jwt-denylist's per-request check: one script (for the turn) reading two fields of the user's
      // entry and one of the family's, never a whole record.
      await node.config('RESETSTAT');
      expect(await store.revocations.check(user.id, randomUUID(), T0)).toEqual({ userNotBefore: null, familyRevoked: false });
      const afterCheck = await node.info('commandstats');
      expect(afterCheck).toMatch(/cmdstat_evalsha:calls=1,/);
      expect(afterCheck).toMatch(/cmdstat_hmget:calls=1,/);
      expect(afterCheck).toMatch(/cmdstat_hget:calls=1,/);
      expect(afterCheck).not.toMatch(/cmdstat_(eval|get|hgetall):/);

      // jwt-push's revocation: index entry, entry and message in one command.
      await node.config('RESETSTAT');
      await store.revocations.put(buildFamilyRevocation(user.id, randomUUID(), T0 + MINUTE), { publish: true });
      const afterPut = await node.info('commandstats');
      expect(afterPut).toMatch(/cmdstat_evalsha:calls=1,/);
      expect(afterPut).toMatch(/cmdstat_zadd:calls=1,/);
      expect(afterPut).toMatch(/cmdstat_publish:calls=1,/);

      await store.users.list({ limit: 10 });
      await store.users.getByEmail(user.email);
      await store.sessions.listByUser(user.id, T0);
      await store.refresh.listByUser(user.id, T0);
      await store.revocations.listActive(T0);
      await store.keys.list();
      await store.sweep(T0 + HOUR);
      await store.sessions.deleteAllForUser(user.id);
      await store.refresh.deleteAllForUser(user.id);
      const stats = await node.info('commandstats');
      expect(stats).toMatch(/cmdstat_zrangebyscore:/);
      expect(stats).not.toMatch(/cmdstat_keys:/);
      expect(stats).not.toMatch(/cmdstat_scan:/);
    }));

  it('deletes a family with its token pointers and index entries in one command (a script) on a single server; a pointer naming another family stays', () =>
    withInspectedStore(async ({ store, node, prefix }) => {
      const user = buildUser();
      await store.users.create(user);
      const kept = buildFamily(user.id);
      const family = buildFamily(user.id);
      for (const f of [kept, family]) await store.refresh.create(f);
      const current = randomHash();
      expect(await store.refresh.rotate(family.id, family.currentHash, current, T0)).not.toBeNull();
      const reused = randomHash();
      expect(await store.refresh.rotate(family.id, current, reused, T0)).not.toBeNull();
      // The family's previous hash's pointer now names another family (as after a rotation race): it stays.
      await node.set(`${prefix}refresh:${current}`, kept.id);

      await node.config('RESETSTAT');
      expect(await store.refresh.delete(user.id, family.id)).toBe(true);
      const stats = await node.info('commandstats');
      // One script, and the index removals ran inside it (the two-step path sends three scripts).
      expect(stats).toMatch(/cmdstat_evalsha:calls=1,/);
      expect(stats).toMatch(/cmdstat_srem:calls=1,/);
      expect(stats).toMatch(/cmdstat_zrem:calls=1,/);

      expect(await node.exists(`${prefix}family:${family.id}`, `${prefix}refresh:${reused}`)).toBe(0);
      expect(await node.get(`${prefix}refresh:${current}`)).toBe(kept.id);
      expect(await node.smembers(`${prefix}{u:${user.id}}:families`)).toEqual([kept.id]);
      expect(await node.zrange(`${prefix}families:expiry`, 0, -1)).toEqual([kept.id]);
      expect(await store.refresh.findByTokenHash(reused, T0)).toBeNull();
      expect(await store.refresh.getById(kept.id, T0)).toEqual(kept);
      // Another user's id deletes nothing and answers false.
      expect(await store.refresh.delete(buildUser().id, kept.id)).toBe(false);
      expect(await store.refresh.getById(kept.id, T0)).toEqual(kept);
    }));

  it('sets native TTLs as durations from the record\'s own time, so records dated far from the server clock live', async () => {
    // T0 is months away from the server's clock: an absolute PEXPIREAT would delete at once.
    const { prefix, store, node, user, session } = await storeWithSession({ idleExpiresAt: T0 + HOUR });
    try {
      const ttl = await node.pttl(`${prefix}session:${session.tokenHash}`);
      expect(ttl).toBeGreaterThan(HOUR);
      expect(ttl).toBeLessThanOrEqual(HOUR + 5 * MINUTE);
      expect(await node.pttl(`${prefix}{u:${user.id}}:user`)).toBe(-1);
      expect(await store.sessions.getWithUser(session.tokenHash, T0 + HOUR - 1)).not.toBeNull();
    } finally {
      node.disconnect();
      await store.close();
    }
  });

  it('answers many concurrent lookups correctly through auto-pipelining', async () => {
    const store = createRedisStore({ url: redis.url, keyPrefix: uniquePrefix() });
    try {
      const users = await Promise.all(Array.from({ length: 50 }, async () => {
        const user = buildUser();
        await store.users.create(user);
        return user;
      }));
      const sessions = await Promise.all(users.map(async (user) => {
        const session = buildSession(user.id);
        await store.sessions.create(session);
        return session;
      }));
      const found = await Promise.all(sessions.map((session) => store.sessions.getWithUser(session.tokenHash, T0)));
      expect(found.map((entry) => entry?.user.id)).toEqual(users.map((user) => user.id));
    } finally {
      await store.close();
    }
  });

  it('returns a session and its user exactly, whatever characters their fields hold (the lookup script answers JSON)', async () => {
    // Quotes, backslashes, slashes, control characters, non-ASCII and astral characters: everything
    // a JSON encoder escapes or must pass through, in the fields the lookup returns.
    const { store, node, user, session } = await storeWithSession(
      { id: 'id"with\\escapes' },
      { email: 'o\'"quote\\back/slash\u00e9\u{1F600}\t@example.com', roles: ['a"b', 'c\\d', 'e/f', '\u00fc\u2028', ''] },
    );
    try {
      const found = await store.sessions.getWithUser(session.tokenHash, T0);
      expect(found?.user).toEqual({ id: user.id, email: user.email, roles: user.roles, disabled: false, createdAt: user.createdAt });
      expect(found?.session).toEqual({
        id: session.id, userId: user.id, createdAt: session.createdAt, lastSeenAt: session.lastSeenAt,
        idleExpiresAt: session.idleExpiresAt, absoluteExpiresAt: session.absoluteExpiresAt,
      });
    } finally {
      node.disconnect();
      await store.close();
    }
  });

  it('answers the session lookups of one turn with one script on a single server, each call with its own answer and its own now', () =>
    withInspectedStore(async ({ store, node }) => {
      const { calls, check } = await seedOneTurnOfLookups(store);
      await node.config('RESETSTAT');
      const results = await Promise.all(calls.map(([hash, now]) => store.sessions.getWithUser(hash, now)));
      // 305 lookups in one turn: two scripts (at most 256 lookups each), not 305; the HMGETs inside.
      const stats = await node.info('commandstats');
      expect(stats).toMatch(/cmdstat_evalsha:calls=2,/);
      expect(stats).not.toMatch(/cmdstat_(eval|hgetall):/);
      check(results);
    }));

  it('answers the revocation checks of one turn with one script on a single server, each call with its own answer and its own now', () =>
    withInspectedStore(async ({ store, node }) => {
      const calls = await seedOneTurnOfChecks(store);
      await node.config('RESETSTAT');
      const results = await Promise.all(calls.map(([userId, familyId, now]) => store.revocations.check(userId, familyId, now)));
      // 305 checks in one turn: two scripts (at most 256 checks each), not 610 native reads.
      const stats = await node.info('commandstats');
      expect(stats).toMatch(/cmdstat_evalsha:calls=2,/);
      expect(stats).toMatch(/cmdstat_hmget:calls=305,/);
      expect(stats).toMatch(/cmdstat_hget:calls=305,/);
      expect(results).toEqual(calls.map(([, , , expected]) => expected));
    }));

  it('fails only the revocation check whose entry it did not write, closed, not the others of its turn', () =>
    withInspectedStore(async ({ store, node, prefix }) => {
      const user = randomUUID();
      const family = randomUUID();
      const halfUser = randomUUID();
      await node.hset(`${prefix}{u:${user}}:revoked`, 'notBefore', 'soon', 'expiresAt', String(T0 + MINUTE));
      await node.hset(`${prefix}revoked-family:${family}`, 'expiresAt', 'later');
      // A user entry without its not-before: no bound this store can apply, so not a pass.
      await node.hset(`${prefix}{u:${halfUser}}:revoked`, 'expiresAt', String(T0 + MINUTE));
      const [brokenUser, brokenFamily, halfBroken, fine] = await Promise.allSettled([
        store.revocations.check(user, randomUUID(), T0),
        store.revocations.check(randomUUID(), family, T0),
        store.revocations.check(halfUser, randomUUID(), T0),
        store.revocations.check(randomUUID(), randomUUID(), T0),
      ]);
      for (const broken of [brokenUser, brokenFamily, halfBroken]) {
        expect(broken).toMatchObject({ status: 'rejected', reason: { message: expect.stringContaining('corrupt record') } });
        expect(broken.status === 'rejected' && broken.reason instanceof StoreError).toBe(true);
      }
      expect(fine).toEqual({ status: 'fulfilled', value: { userNotBefore: null, familyRevoked: false } });
    }));

  it('fails only the lookup whose record it did not write, not the others of its turn', async () => {
    const { prefix, store, node, user, session } = await storeWithSession();
    try {
      const other = buildSession(user.id);
      await store.sessions.create(other);
      const unknown = randomHash();
      await node.hdel(`${prefix}session:${session.tokenHash}`, 'absoluteExpiresAt');
      const [broken, fine, none] = await Promise.allSettled([
        store.sessions.getWithUser(session.tokenHash, T0),
        store.sessions.getWithUser(other.tokenHash, T0),
        store.sessions.getWithUser(unknown, T0),
      ]);
      expect(broken).toMatchObject({ status: 'rejected', reason: { message: expect.stringContaining('corrupt record') } });
      expect(broken.status === 'rejected' && broken.reason instanceof StoreError).toBe(true);
      expect(fine).toMatchObject({ status: 'fulfilled', value: { session: { id: other.id }, user: { id: user.id } } });
      expect(none).toEqual({ status: 'fulfilled', value: null });
    } finally {
      node.disconnect();
      await store.close();
    }
  });

  it('fails a lookup closed with a StoreError on a session or user record it did not write', async () => {
    const { prefix, store, node, user, session } = await storeWithSession();
    try {
      const sessionKey = `${prefix}session:${session.tokenHash}`;
      const userKey = `${prefix}{u:${user.id}}:user`;
      expect(await node.exists(sessionKey, userKey)).toBe(2);

      // A user record without its `disabled` flag: never read as enabled.
      await node.hdel(userKey, 'disabled');
      await expect(store.sessions.getWithUser(session.tokenHash, T0)).rejects.toMatchObject({ message: expect.stringContaining('corrupt record') });
      await store.users.update(user.id, { disabled: false });
      expect(await store.sessions.getWithUser(session.tokenHash, T0)).not.toBeNull();

      // A session record without its userId, and one without an expiry.
      await node.hdel(sessionKey, 'userId');
      await expect(store.sessions.getWithUser(session.tokenHash, T0)).rejects.toBeInstanceOf(StoreError);
      await node.hset(sessionKey, 'userId', user.id);
      await node.hdel(sessionKey, 'absoluteExpiresAt');
      await expect(store.sessions.getWithUser(session.tokenHash, T0)).rejects.toMatchObject({ message: expect.stringContaining('corrupt record') });

      // A session whose user is gone is no session.
      await node.hset(sessionKey, 'absoluteExpiresAt', String(session.absoluteExpiresAt));
      await node.del(userKey);
      expect(await store.sessions.getWithUser(session.tokenHash, T0)).toBeNull();
    } finally {
      node.disconnect();
      await store.close();
    }
  });

  it('takes over an email claimed by an id with no user (left by a failed create), and only then', () =>
    withInspectedStore(async ({ store, node, prefix }) => {
      const orphaned = buildUser();
      await node.set(`${prefix}email:${orphaned.email}`, randomUUID());
      expect(await store.users.getByEmail(orphaned.email)).toBeNull();
      expect(await store.users.create(orphaned)).toBe(true);
      expect(await store.users.getByEmail(orphaned.email)).toEqual(orphaned);
      expect(await store.users.create(buildUser({ email: orphaned.email }))).toBe(false);
      expect(await store.users.list({ limit: 10 })).toEqual([orphaned]);
    }));

  it('keeps values out of error messages', async () => {
    const store = createRedisStore({ url: redis.url, keyPrefix: uniquePrefix() });
    try {
      const user = buildUser();
      await store.users.create(user);
      const session = buildSession(user.id);
      await store.sessions.create(session);
      const duplicate: unknown = await store.sessions.create({ ...buildSession(user.id), tokenHash: session.tokenHash }).catch((reason: unknown) => reason);
      expect(duplicate).toBeInstanceOf(StoreError);
      expect(duplicate).toMatchObject({ code: 'unavailable' });
      expect((duplicate as StoreError).message).not.toContain(session.tokenHash);
      const family = buildFamily(user.id);
      await store.refresh.create(family);
      const clash: unknown = await store.refresh.create({ ...buildFamily(user.id), currentHash: family.currentHash }).catch((reason: unknown) => reason);
      expect(clash).toBeInstanceOf(StoreError);
      expect((clash as StoreError).message).not.toContain(family.currentHash);
      expect((await store.refresh.findByTokenHash(family.currentHash, T0))?.family).toEqual(family);
    } finally {
      await store.close();
    }
  });

  it('delivers the feed across two store instances on one server, and not across prefixes', async () => {
    const prefix = uniquePrefix();
    const receiver = createRedisStore({ url: redis.url, keyPrefix: prefix });
    const publisher = createRedisStore({ url: redis.url, keyPrefix: prefix });
    const stranger = createRedisStore({ url: redis.url, keyPrefix: uniquePrefix() });
    try {
      const received: FeedMessage[] = [];
      const strangers: FeedMessage[] = [];
      await receiver.feed.subscribe((message) => received.push(message));
      await stranger.feed.subscribe((message) => strangers.push(message));
      const user = buildUserRevocation(randomUUID(), T0);
      const family = buildFamilyRevocation(randomUUID(), randomUUID());
      await publisher.feed.publish(user);
      await publisher.feed.publish(family);
      await vi.waitFor(() => expect(received).toEqual([user, family]));
      expect(strangers).toEqual([]);
    } finally {
      await Promise.all([receiver.close(), publisher.close(), stranger.close()]);
    }
  });

  it('drops malformed feed messages and delivers only the well-formed fields', async () => {
    const prefix = uniquePrefix();
    const store = createRedisStore({ url: redis.url, keyPrefix: prefix });
    const raw = inspector(redis);
    try {
      const received: FeedMessage[] = [];
      await store.feed.subscribe((message) => received.push(message));
      const valid = buildFamilyRevocation(randomUUID(), randomUUID());
      const malformed = [
        'not json',
        'null',
        '[]',
        '{}',
        JSON.stringify({ kind: 'user', userId: 'u', expiresAt: T0, createdAt: T0 }),
        JSON.stringify({ kind: 'user', userId: 'u', notBefore: String(T0), expiresAt: T0, createdAt: T0 }),
        JSON.stringify({ kind: 'family', userId: 'u', expiresAt: T0, createdAt: T0 }),
        JSON.stringify({ kind: 'everything', userId: 'u', familyId: 'f', expiresAt: T0, createdAt: T0 }),
        JSON.stringify({ kind: 'family', familyId: '', userId: 'u', expiresAt: T0, createdAt: T0 }),
      ];
      for (const payload of malformed) await raw.publish(`${prefix}revocations`, payload);
      await raw.publish(`${prefix}revocations`, JSON.stringify({ ...valid, extra: 'dropped' }));
      await vi.waitFor(() => expect(received).toHaveLength(1));
      expect(received).toEqual([valid]);
    } finally {
      raw.disconnect();
      await store.close();
    }
  });

  it('closes only the connections it opened', async () => {
    const node = inspector(redis);
    const own = new Redis(redis.url);
    try {
      const connected = async (): Promise<number> => Number(/connected_clients:(\d+)/.exec(await node.info('clients'))?.[1]);
      const before = await connected();

      const owning = createRedisStore({ url: redis.url, keyPrefix: uniquePrefix() });
      await owning.feed.subscribe(() => undefined);
      await owning.ping();
      expect(await connected()).toBe(before + 2);
      await owning.close();
      await vi.waitFor(async () => expect(await connected()).toBe(before));
      await expect(owning.ping()).rejects.toMatchObject({ code: 'unavailable' });
      await expect(owning.close()).resolves.toBeUndefined();

      const borrowing = createRedisStore({ client: own, keyPrefix: uniquePrefix() });
      await borrowing.feed.subscribe(() => undefined);
      await borrowing.users.create(buildUser());
      await borrowing.close();
      // Its feed's duplicate() was its own and is gone; the client it was given still works.
      expect(await own.ping()).toBe('PONG');
      await vi.waitFor(async () => expect(await connected()).toBe(before));
    } finally {
      node.disconnect();
      own.disconnect();
    }
  });

  it('waits for its first connection instead of failing a call made right after creation', async () => {
    const store = createRedisStore({ url: redis.url, keyPrefix: uniquePrefix() });
    try {
      await expect(store.users.getById(randomUUID())).resolves.toBeNull();
    } finally {
      await store.close();
    }
  });

  it('rejects misconfiguration at creation, without repeating the URL', () => {
    const secretUrl = 'http://:hunter2@127.0.0.1:6379';
    expect(() => createRedisStore({ url: secretUrl })).toThrow(ConfigError);
    try {
      createRedisStore({ url: secretUrl });
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
    expect(() => createRedisStore({ url: redis.url, commandTimeoutMs: 0 })).toThrow(ConfigError);
    expect(() => createRedisStore({ url: redis.url, commandTimeoutMs: Number.NaN })).toThrow(ConfigError);
  });
});

describe('redis store outages', () => {
  let outage: RedisService;

  beforeAll(async () => {
    outage = await startRedis();
  });

  afterAll(async () => {
    await outage?.stop();
  });

  it('fails fast when nothing listens, and does not hang', async () => {
    const store = createRedisStore({ url: 'redis://127.0.0.1:1', keyPrefix: uniquePrefix() });
    try {
      await expectUnavailableWithin2500ms(store);
      const subscribing = await timed(store.feed.subscribe(() => undefined));
      expect(subscribing.error).toBeInstanceOf(StoreError);
      expect(subscribing.ms).toBeLessThan(2500);
    } finally {
      await store.close();
    }
  });

  it('reports the feed down when the server dies and up after it returns; calls fail fast meanwhile and work again after', async () => {
    const prefix = uniquePrefix();
    const store = createRedisStore({ url: outage.url, keyPrefix: prefix });
    const publisher = createRedisStore({ url: outage.url, keyPrefix: prefix });
    try {
      const statuses: string[] = [];
      const received: FeedMessage[] = [];
      await store.feed.subscribe((message) => received.push(message), (status) => statuses.push(status));
      expect(statuses).toEqual(['up']);

      await outage.kill();
      await vi.waitFor(() => expect(statuses).toEqual(['up', 'down']), { timeout: 5000 });
      await expectUnavailableWithin2500ms(store);

      await outage.restart();
      await vi.waitFor(() => expect(statuses).toEqual(['up', 'down', 'up']), { timeout: 10_000, interval: 50 });
      // The same store objects, no new ones: the connections came back by themselves.
      await vi.waitFor(() => publisher.ping(), { timeout: 10_000, interval: 50 });
      const message = buildUserRevocation(randomUUID(), T0);
      await publisher.feed.publish(message);
      await vi.waitFor(() => expect(received).toEqual([message]));
      const user = buildUser();
      expect(await store.users.create(user)).toBe(true);
      expect(await store.users.getById(user.id)).toEqual(user);
    } finally {
      await Promise.all([store.close(), publisher.close()]);
    }
  });

  it('rejects within the deadline while the server hangs, and recovers when it resumes', async () => {
    const store = createRedisStore({ url: outage.url, keyPrefix: uniquePrefix() });
    try {
      await store.ping();
      await outage.pause();
      try {
        await expectUnavailableWithin2500ms(store);
      } finally {
        await outage.resume();
      }
      await vi.waitFor(() => store.ping(), { timeout: 10_000, interval: 50 });
      const user = buildUser();
      expect(await store.users.create(user)).toBe(true);
      expect(await store.users.getByEmail(user.email)).toEqual(user);
    } finally {
      await store.close();
    }
  });
});
