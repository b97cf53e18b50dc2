import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, StoreError } from '../../src/core/errors.js';
import { createPostgresStore, type PostgresStoreOptions } from '../../src/stores/postgres/index.js';
import { MIGRATIONS } from '../../src/stores/postgres/migrations.js';
import type { FeedMessage, Store } from '../../src/stores/types.js';
import { startPostgres, type PostgresService } from '../services/postgres.js';
import { buildFamily, buildFamilyRevocation, buildSession, buildUser, buildUserRevocation, DAY, MINUTE, randomHash, seedOneTurnOfChecks, seedOneTurnOfLookups, T0 } from './builders.js';
import { runStoreConformance } from './conformance.js';

/** A schema of its own for every store, so no two tests share state. */
function uniqueSchema(): string {
  return `t_${randomUUID().replaceAll('-', '')}`;
}

/** Runs `body` with a plain client on the service's database. */
async function withAdmin<T>(url: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Settles `promise` and reports how long it took and what it rejected with. */
async function timed(promise: Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  const error = await promise.then(() => undefined, (reason: unknown) => reason);
  return { ms: performance.now() - started, error };
}

/** One call of every kind, as the core makes them. */
function everyKindOfCall(store: Store): Array<Promise<unknown>> {
  return [
    store.ping(),
    store.users.getById('x'),
    store.sessions.getWithUser(randomHash(), T0),
    store.refresh.rotate('x', randomHash(), randomHash(), T0),
    store.revocations.check('x', 'y', T0),
    store.keys.list(),
    store.counters.increment('x', 1000, T0),
    store.secrets.getOrCreate('x', 'y'),
    store.feed.publish(buildUserRevocation('x', T0)),
    store.sweep(T0),
  ];
}

/** Asserts that every kind of call rejects with StoreError (code `unavailable`) within `withinMs`. */
async function expectUnavailable(store: Store, withinMs = 2500): Promise<void> {
  const results = await Promise.all(everyKindOfCall(store).map(timed));
  for (const { ms, error } of results) {
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'unavailable' });
    expect(ms).toBeLessThan(withinMs);
  }
}

/** Subscribes and records messages and statuses. */
async function record(store: Store): Promise<{ messages: FeedMessage[]; statuses: string[]; unsubscribe: () => Promise<void> }> {
  const messages: FeedMessage[] = [];
  const statuses: string[] = [];
  const unsubscribe = await store.feed.subscribe((message) => messages.push(message), (status) => statuses.push(status));
  return { messages, statuses, unsubscribe };
}

let service: PostgresService;

/**
 * Runs `body` with a pool of its own (at most `max` connections; its idle-client errors swallowed, as
 * a test that stops the server may cause) and a fresh schema name, and ends the pool afterwards.
 */
async function withOwnPool(max: number, body: (pool: pg.Pool, schema: string) => Promise<void>): Promise<void> {
  const pool = new pg.Pool({ connectionString: service.url, max, connectionTimeoutMillis: 1000 });
  pool.on('error', () => undefined);
  try {
    await body(pool, uniqueSchema());
  } finally {
    await pool.end();
  }
}

beforeAll(async () => {
  service = await startPostgres();
}, 60_000);

afterAll(async () => {
  await service?.stop();
});

runStoreConformance('postgres', () => createPostgresStore({ url: service.url, schema: uniqueSchema() }));

describe('postgres store', () => {
  it('reports its kind and keeps its tables in its own schema', async () => {
    const schema = uniqueSchema();
    const store = await createPostgresStore({ url: service.url, schema });
    expect(store.kind).toBe('postgres');
    const tables = await withAdmin(service.url, async (client) =>
      (await client.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [schema])).rows,
    );
    expect(tables.map((row) => row.table_name)).toEqual([
      'counters', 'refresh_families', 'revocations', 'schema_migrations', 'secrets', 'sessions', 'signing_keys', 'users',
    ]);
    await store.close();
  });

  it('keeps data across re-opening the same schema, and applies each migration once', async () => {
    const schema = uniqueSchema();
    const user = buildUser();
    const first = await createPostgresStore({ url: service.url, schema });
    await first.users.create(user);
    await first.close();
    const second = await createPostgresStore({ url: service.url, schema });
    expect(await second.users.getById(user.id)).toEqual(user);
    await second.close();
    const versions = await withAdmin(service.url, async (client) =>
      (await client.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`)).rows,
    );
    expect(versions.map((row) => row.version)).toEqual(MIGRATIONS.map((migration) => migration.version));
  });

  it('migrates safely when three stores start at once on one fresh schema', async () => {
    const schema = uniqueSchema();
    const stores = await Promise.all([1, 2, 3].map(() => createPostgresStore({ url: service.url, schema })));
    try {
      const versions = await withAdmin(service.url, async (client) =>
        (await client.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`)).rows,
      );
      expect(versions.map((row) => row.version)).toEqual(MIGRATIONS.map((migration) => migration.version));
      const user = buildUser();
      expect(await stores[0]?.users.create(user)).toBe(true);
      for (const store of stores) expect(await store.users.getByEmail(user.email)).toEqual(user);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('gives exactly one of 20 concurrent rotations spread over two instances the family', async () => {
    const schema = uniqueSchema();
    const [a, b] = await Promise.all([1, 2].map(() => createPostgresStore({ url: service.url, schema })));
    if (a === undefined || b === undefined) throw new Error('unreachable');
    try {
      const user = buildUser();
      await a.users.create(user);
      const family = buildFamily(user.id);
      await a.refresh.create(family);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).refresh.rotate(family.id, family.currentHash, randomHash(), T0 + MINUTE)),
      );
      expect(results.filter((result) => result !== null)).toHaveLength(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('uses a pool it is given and leaves it open on close', () =>
    withOwnPool(3, async (pool, schema) => {
      const store = await createPostgresStore({ pool, schema });
      const user = buildUser();
      expect(await store.users.create(user)).toBe(true);
      expect(await store.users.getById(user.id)).toEqual(user);
      const { messages, unsubscribe } = await record(store);
      const revocation = buildFamilyRevocation(user.id, randomUUID());
      await store.feed.publish(revocation);
      await vi.waitFor(() => expect(messages).toEqual([revocation]));
      await unsubscribe();
      await store.close();
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    }));

  it('answers concurrent session lookups with one statement per turn, each call with its own answer and its own now', () =>
    withOwnPool(4, async (pool, schema) => {
      const store = await createPostgresStore({ pool, schema });
      const { live, calls, check } = await seedOneTurnOfLookups(store);

      const lookups: string[] = [];
      const query = pool.query.bind(pool);
      pool.query = ((config: unknown, ...rest: unknown[]) => {
        if (typeof config === 'object' && config !== null && String((config as { text?: unknown }).text).includes('JOIN')) lookups.push('lookup');
        return (query as (...args: unknown[]) => unknown)(config, ...rest);
      }) as typeof pool.query;

      const results = await Promise.all(calls.map(([hash, now]) => store.sessions.getWithUser(hash, now)));
      // 305 calls in one turn: two statements (at most 256 keys each), not 305.
      expect(lookups).toHaveLength(2);
      check(results);

      // A failing batch fails each of its calls with StoreError.
      await store.close();
      const failed = await Promise.allSettled([store.sessions.getWithUser(live[0]!.tokenHash, T0), store.sessions.getWithUser(live[1]!.tokenHash, T0)]);
      expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      expect(failed.every((r) => r.status === 'rejected' && r.reason instanceof StoreError)).toBe(true);
    }));

  it('answers the revocation checks of one turn with one statement, each call with its own answer and its own now', () =>
    withOwnPool(4, async (pool, schema) => {
      const store = await createPostgresStore({ pool, schema });
      const calls = await seedOneTurnOfChecks(store);
      const checks: unknown[] = [];
      const query = pool.query.bind(pool);
      pool.query = ((config: unknown, ...rest: unknown[]) => {
        if (typeof config === 'object' && config !== null && String((config as { text?: unknown }).text).includes('revocations WHERE key = ANY')) checks.push(config);
        return (query as (...args: unknown[]) => unknown)(config, ...rest);
      }) as typeof pool.query;

      const results = await Promise.all(calls.map(([userId, familyId, now]) => store.revocations.check(userId, familyId, now)));
      // 305 checks in one turn: two statements (at most 256 checks each), not 305.
      expect(checks).toHaveLength(2);
      expect(results).toEqual(calls.map(([, , , expected]) => expected));

      // A failing batch fails each of its calls with StoreError.
      await store.close();
      const failed = await Promise.allSettled([store.revocations.check('a', 'b', T0), store.revocations.check('c', 'd', T0)]);
      expect(failed.every((r) => r.status === 'rejected' && r.reason instanceof StoreError)).toBe(true);
    }));

  it('fails only the revocation check whose entry it did not write, closed, not the others of its turn', () =>
    withOwnPool(2, async (pool, schema) => {
      const store = await createPostgresStore({ pool, schema });
      const [broken, fine] = [randomUUID(), randomUUID()];
      await store.revocations.put(buildUserRevocation(broken, T0 + 5, T0 + MINUTE));
      // A user entry without its not-before: no longer a bound this store can apply, so not a pass.
      await pool.query(`UPDATE ${schema}.revocations SET not_before = NULL WHERE key = $1`, [`u:${broken}`]);
      const [failed, answered] = await Promise.allSettled([store.revocations.check(broken, randomUUID(), T0), store.revocations.check(fine, randomUUID(), T0)]);
      expect(failed).toMatchObject({ status: 'rejected', reason: { message: expect.stringContaining('corrupt record') } });
      expect(failed.status === 'rejected' && failed.reason instanceof StoreError).toBe(true);
      expect(answered).toEqual({ status: 'fulfilled', value: { userNotBefore: null, familyRevoked: false } });
      await store.close();
    }));

  it('fails only the lookup whose row it did not write, not the others of its turn', () =>
    withOwnPool(2, async (pool, schema) => {
      const store = await createPostgresStore({ pool, schema });
      const [broken, fine] = [buildUser(), buildUser()];
      const [brokenSession, fineSession] = [buildSession(broken.id), buildSession(fine.id)];
      for (const user of [broken, fine]) await store.users.create(user);
      for (const session of [brokenSession, fineSession]) await store.sessions.create(session);
      await pool.query(`UPDATE ${schema}.users SET roles = ARRAY[NULL]::text[] WHERE id = $1`, [broken.id]);
      const [failed, found, none] = await Promise.allSettled([
        store.sessions.getWithUser(brokenSession.tokenHash, T0),
        store.sessions.getWithUser(fineSession.tokenHash, T0),
        store.sessions.getWithUser(randomHash(), T0),
      ]);
      expect(failed.status === 'rejected' && failed.reason instanceof StoreError).toBe(true);
      expect(found).toMatchObject({ status: 'fulfilled', value: { session: { id: fineSession.id }, user: { id: fine.id, roles: fine.roles } } });
      expect(none).toStrictEqual({ status: 'fulfilled', value: null });
      await store.close();
    }));

  it.each<[string, PostgresStoreOptions]>([
    ['schema', { url: 'postgres://127.0.0.1/x', schema: 'Upper' }],
    ['schema', { url: 'postgres://127.0.0.1/x', schema: 'bad-name' }],
    ['schema', { url: 'postgres://127.0.0.1/x', schema: '' }],
    ['schema', { url: 'postgres://127.0.0.1/x', schema: 'x'.repeat(52) }],
    ['schema', { url: 'postgres://127.0.0.1/x', schema: 'pg_temp' }],
    ['schema', { url: 'postgres://127.0.0.1/x', schema: 'a"; DROP TABLE users; --' }],
    ['url', { url: '' }],
    ['statementTimeoutMs', { url: 'postgres://127.0.0.1/x', statementTimeoutMs: 0 }],
    ['statementTimeoutMs', { url: 'postgres://127.0.0.1/x', statementTimeoutMs: 1.5 }],
    ['poolSize', { url: 'postgres://127.0.0.1/x', poolSize: 0 }],
    ['pool', { pool: {} as pg.Pool }],
  ])('rejects an invalid %s with ConfigError before connecting', async (option, options) => {
    const error: unknown = await createPostgresStore(options).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ option });
  });

  it('rejects with StoreError at start when the server cannot be reached', async () => {
    const { ms, error } = await timed(createPostgresStore({ url: 'postgres://tessera@127.0.0.1:1/tessera', schema: uniqueSchema() }));
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'unavailable' });
    expect(ms).toBeLessThan(2500);
  });

  it('rejects with StoreError once closed, and closes idempotently', async () => {
    const store = await createPostgresStore({ url: service.url, schema: uniqueSchema() });
    await store.close();
    await expectUnavailable(store);
    await expect(store.feed.subscribe(() => undefined)).rejects.toBeInstanceOf(StoreError);
    await expect(store.close()).resolves.toBeUndefined();
  });

  it('keeps values out of error messages, and the driver error as cause', async () => {
    const store = await createPostgresStore({ url: service.url, schema: uniqueSchema() });
    try {
      const user = buildUser();
      await store.users.create(user);
      const session = buildSession(user.id);
      await store.sessions.create(session);
      const error: unknown = await store.sessions.create({ ...buildSession(user.id), tokenHash: session.tokenHash }).catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).message).toBe('postgres store: sessions.create failed (23505)');
      expect((error as StoreError).cause).toBeInstanceOf(Error);
      const family = buildFamily(user.id);
      await store.refresh.create(family);
      const duplicate: unknown = await store.refresh.create({ ...buildFamily(user.id), currentHash: family.currentHash }).catch((reason: unknown) => reason);
      expect(duplicate).toBeInstanceOf(StoreError);
      for (const value of [family.currentHash, user.email, user.id]) expect((duplicate as StoreError).message).not.toContain(value);
    } finally {
      await store.close();
    }
  });

  it('treats a NaN, negative, fractional or infinite sweep limit sanely', async () => {
    const store = await createPostgresStore({ url: service.url, schema: uniqueSchema() });
    try {
      const user = buildUser();
      await store.users.create(user);
      for (let i = 0; i < 3; i += 1) await store.sessions.create(buildSession(user.id, { idleExpiresAt: T0 + 1 }));
      expect(await store.sweep(T0 + 2, Number.NaN)).toBe(0);
      expect(await store.sweep(T0 + 2, -1)).toBe(0);
      expect(await store.sweep(T0 + 2, 1.5)).toBe(1);
      expect(await store.sweep(T0 + 2, Number.POSITIVE_INFINITY)).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('cancels a call stuck behind a lock after statementTimeoutMs, with StoreError, and goes on working', async () => {
    const schema = uniqueSchema();
    const store = await createPostgresStore({ url: service.url, schema, statementTimeoutMs: 500 });
    const user = buildUser();
    await store.users.create(user);
    const family = buildFamily(user.id);
    await store.refresh.create(family);
    const locker = new pg.Client({ connectionString: service.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`SELECT id FROM ${schema}.refresh_families WHERE id = $1 FOR UPDATE`, [family.id]);
      const { ms, error } = await timed(store.refresh.rotate(family.id, family.currentHash, randomHash(), T0));
      expect(error).toBeInstanceOf(StoreError);
      // 57014: query_canceled, the server's statement_timeout, not the client giving up.
      expect((error as StoreError).message).toBe('postgres store: refresh.rotate failed (57014)');
      expect(ms).toBeLessThan(1500);
      await locker.query('ROLLBACK');
      expect(await store.refresh.rotate(family.id, family.currentHash, randomHash(), T0)).not.toBeNull();
    } finally {
      await locker.end();
      await store.close();
    }
  });

  describe('feed', () => {
    it('delivers across two instances on one schema, and not to another schema', async () => {
      const schema = uniqueSchema();
      const a = await createPostgresStore({ url: service.url, schema });
      const b = await createPostgresStore({ url: service.url, schema });
      const elsewhere = await createPostgresStore({ url: service.url, schema: uniqueSchema() });
      try {
        const atA = await record(a);
        const atElsewhere = await record(elsewhere);
        expect(atA.statuses).toEqual(['up']);
        const first = buildUserRevocation(randomUUID(), T0);
        const second = buildFamilyRevocation(randomUUID(), randomUUID());
        await b.feed.publish(first);
        await b.feed.publish(second);
        await vi.waitFor(() => expect(atA.messages).toEqual([first, second]));
        // Notifications arrive in commit order: had `elsewhere` heard B, it would have heard it before its own.
        const own = buildUserRevocation(randomUUID(), T0);
        await elsewhere.feed.publish(own);
        await vi.waitFor(() => expect(atElsewhere.messages).toEqual([own]));
      } finally {
        await Promise.all([a.close(), b.close(), elsewhere.close()]);
      }
    });

    it('publishes only the fields of a revocation', async () => {
      const store = await createPostgresStore({ url: service.url, schema: uniqueSchema() });
      try {
        const { messages } = await record(store);
        const revocation = buildUserRevocation(randomUUID(), T0);
        await store.feed.publish(Object.assign({ secret: 'do not send' }, revocation));
        await vi.waitFor(() => expect(messages).toHaveLength(1));
        expect(messages[0]).toStrictEqual(revocation);
      } finally {
        await store.close();
      }
    });

    it('drops notifications that are not revocations', async () => {
      const schema = uniqueSchema();
      const store = await createPostgresStore({ url: service.url, schema });
      try {
        const { messages } = await record(store);
        const bad = [
          'not json', 'null', '[]', '42', '{}',
          JSON.stringify({ kind: 'admin', userId: 'u', expiresAt: T0, createdAt: T0 }),
          JSON.stringify({ kind: 'user', userId: 'u', expiresAt: T0, createdAt: T0 }),
          JSON.stringify({ kind: 'user', userId: 'u', notBefore: '1', expiresAt: T0, createdAt: T0 }),
          JSON.stringify({ kind: 'user', userId: '', notBefore: T0, expiresAt: T0, createdAt: T0 }),
          JSON.stringify({ kind: 'family', familyId: 7, userId: 'u', expiresAt: T0, createdAt: T0 }),
          JSON.stringify({ kind: 'family', familyId: 'f', userId: 'u', expiresAt: null, createdAt: T0 }),
        ];
        await withAdmin(service.url, async (client) => {
          for (const payload of bad) await client.query('SELECT pg_notify($1, $2)', [`${schema}_revocations`, payload]);
        });
        const good = buildFamilyRevocation(randomUUID(), randomUUID());
        await store.feed.publish(good);
        await vi.waitFor(() => expect(messages).toHaveLength(1));
        expect(messages).toEqual([good]);
      } finally {
        await store.close();
      }
    });

    it('reports down when its connection is cut, reconnects, reports up and delivers again', async () => {
      const schema = uniqueSchema();
      const store = await createPostgresStore({ url: service.url, schema });
      try {
        const { messages, statuses } = await record(store);
        const terminated = await withAdmin(service.url, async (client) =>
          (await client.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1 AND pid <> pg_backend_pid()`,
            [`LISTEN "${schema}_revocations"`],
          )).rowCount,
        );
        expect(terminated).toBe(1);
        await vi.waitFor(() => expect(statuses).toEqual(['up', 'down', 'up']), { timeout: 5000 });
        const revocation = buildUserRevocation(randomUUID(), T0);
        await store.feed.publish(revocation);
        await vi.waitFor(() => expect(messages).toEqual([revocation]));
      } finally {
        await store.close();
      }
    });

    it('shares one listener connection between subscribers and ends it with the last unsubscribe', async () => {
      const schema = uniqueSchema();
      const store = await createPostgresStore({ url: service.url, schema });
      const listeners = () =>
        withAdmin(service.url, async (client) =>
          (await client.query('SELECT pid FROM pg_stat_activity WHERE query = $1', [`LISTEN "${schema}_revocations"`])).rowCount,
        );
      try {
        const first = await record(store);
        const second = await record(store);
        expect(second.statuses).toEqual(['up']);
        expect(await listeners()).toBe(1);
        await first.unsubscribe();
        expect(await listeners()).toBe(1);
        await second.unsubscribe();
        await vi.waitFor(async () => expect(await listeners()).toBe(0));
        expect(first.statuses).toEqual(['up']);
      } finally {
        await store.close();
      }
    });

    it('reports down to its subscribers when the store closes', async () => {
      const store = await createPostgresStore({ url: service.url, schema: uniqueSchema() });
      const { statuses } = await record(store);
      await store.close();
      expect(statuses).toEqual(['up', 'down']);
    });
  });

  it('serves every lookup of the hot path from an index', async () => {
    const schema = uniqueSchema();
    const pool = new pg.Pool({ connectionString: service.url, connectionTimeoutMillis: 1000 });
    pool.on('error', () => undefined);
    // Record the statements the store really sends, to EXPLAIN exactly those.
    const seen: Array<{ text: string; values: unknown[] }> = [];
    const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
    Object.assign(pool, {
      query: (...args: unknown[]) => {
        const [config] = args;
        if (typeof config === 'object' && config !== null && 'text' in config && typeof config.text === 'string') {
          seen.push({ text: config.text, values: 'values' in config && Array.isArray(config.values) ? config.values : [] });
        }
        return query(...args);
      },
    });
    const store = await createPostgresStore({ pool, schema });
    try {
      await withAdmin(service.url, async (client) => {
        const s = schema;
        await client.query(`
          INSERT INTO ${s}.users SELECT 'u' || i, 'u' || i || '@example.test', 'h', '{user}', false, ${T0} + i FROM generate_series(1, 2000) AS i;
          INSERT INTO ${s}.sessions SELECT 's' || i, 'sid' || i, 'u' || (i % 2000 + 1), ${T0}, ${T0}, ${T0 + DAY} + i, ${T0 + 30 * DAY}, NULL, NULL
            FROM generate_series(1, 10000) AS i;
          INSERT INTO ${s}.refresh_families SELECT 'f' || i, 'u' || (i % 2000 + 1), 'c' || i, CASE WHEN i % 2 = 0 THEN 'p' || i END, NULL,
            ${T0}, ${T0}, ${T0 + DAY} + i, NULL, NULL FROM generate_series(1, 10000) AS i;
          INSERT INTO ${s}.revocations SELECT 'u:r' || i, 'user', 'r' || i, NULL, ${T0}, ${T0 + DAY} + i, ${T0} FROM generate_series(1, 5000) AS i;
          INSERT INTO ${s}.counters SELECT 'k' || i, 1, ${T0 + DAY} + i FROM generate_series(1, 5000) AS i;
          ANALYZE ${s}.users, ${s}.sessions, ${s}.refresh_families, ${s}.revocations, ${s}.counters;
        `);
      });
      const now = T0 + MINUTE;
      expect(await store.sessions.getWithUser('s42', now)).not.toBeNull();
      expect(await store.sessions.listByUser('u7', now)).toHaveLength(5);
      await store.sessions.touch('s42', now, now + DAY);
      expect(await store.sessions.delete('u1', 'sid-none')).toBe(false);
      expect(await store.sessions.deleteByTokenHash('s-none')).toBe(false);
      expect((await store.refresh.findByTokenHash('c42', now))?.match).toBe('current');
      expect((await store.refresh.findByTokenHash('p42', now))?.match).toBe('previous');
      expect(await store.refresh.getById('f42', now)).not.toBeNull();
      expect(await store.refresh.listByUser('u7', now)).toHaveLength(5);
      expect(await store.refresh.rotate('f43', 'c-wrong', randomHash(), now)).toBeNull();
      expect(await store.users.getByEmail('u7@example.test')).not.toBeNull();
      expect(await store.users.getById('u7')).not.toBeNull();
      expect((await store.revocations.check('r7', 'none', now)).userNotBefore).toBe(T0);
      expect((await store.counters.increment('k7', MINUTE, now)).count).toBe(2);
      expect(await store.sweep(now)).toBe(0);

      const lookups = seen.filter(({ text }) => text.includes(`"${schema}"`) || text.includes(`${schema}.`));
      expect(lookups.length).toBeGreaterThanOrEqual(15);
      const indexes = new Set<string>();
      await withAdmin(service.url, async (client) => {
        for (const { text, values } of lookups) {
          const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${text}`, values);
          const plan = rows[0]?.['QUERY PLAN'][0]?.Plan;
          if (plan === undefined) throw new Error('no plan');
          const nodes = flatten(plan);
          const scans = nodes.filter((node) => node['Relation Name'] !== undefined);
          expect(scans.length, text).toBeGreaterThan(0);
          for (const node of scans) expect(node['Node Type'], `${node['Relation Name']} in: ${text}`).not.toBe('Seq Scan');
          for (const node of nodes) if (node['Index Name'] !== undefined) indexes.add(node['Index Name']);
        }
      });
      expect([...indexes]).toEqual(expect.arrayContaining([
        'users_pkey', 'users_email_key', 'sessions_pkey', 'sessions_id_key', 'sessions_user_id', 'sessions_expires_at',
        'refresh_families_pkey', 'refresh_families_current_hash_key', 'refresh_families_previous_hash', 'refresh_families_user_id',
        'refresh_families_expires_at', 'revocations_pkey', 'revocations_expires_at', 'counters_reset_at',
      ]));
    } finally {
      await store.close();
      await pool.end();
    }
  });
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function flatten(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(flatten)];
}

describe('postgres store outages', () => {
  // A server of its own: these tests kill and freeze it.
  let outage: PostgresService;

  beforeAll(async () => {
    outage = await startPostgres();
  }, 60_000);

  afterAll(async () => {
    await outage?.stop();
  });

  it('rejects every call with StoreError within 2.5 s while the server is down, and recovers with the same store', async () => {
    const store = await createPostgresStore({ url: outage.url, schema: uniqueSchema() });
    try {
      const user = buildUser();
      await store.users.create(user);
      // Warm the pool, so both idle connections that die and new ones that are refused are exercised.
      await Promise.all(Array.from({ length: 5 }, () => store.users.getById(user.id)));
      await outage.kill();
      await expectUnavailable(store);
      await expectUnavailable(store);
      await outage.restart();
      await vi.waitFor(() => store.ping(), { timeout: 10_000, interval: 100 });
      expect(await store.users.getById(user.id)).toEqual(user);
      const other = buildUser();
      expect(await store.users.create(other)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('rejects every call with StoreError within 2.5 s while the server hangs, and recovers once it answers', async () => {
    const store = await createPostgresStore({ url: outage.url, schema: uniqueSchema() });
    const { statuses } = await record(store);
    try {
      await Promise.all(Array.from({ length: 5 }, () => store.ping()));
      await outage.pause();
      try {
        await expectUnavailable(store);
        // The listener's heartbeat notices a server that stopped answering.
        await vi.waitFor(() => expect(statuses).toContain('down'), { timeout: 5000 });
      } finally {
        await outage.resume();
      }
      await vi.waitFor(() => store.ping(), { timeout: 10_000, interval: 100 });
      await vi.waitFor(() => expect(statuses.at(-1)).toBe('up'), { timeout: 10_000 });
      expect(await store.users.create(buildUser())).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('feed: reports down when the server is killed, up after it restarts, and still delivers', async () => {
    const schema = uniqueSchema();
    const a = await createPostgresStore({ url: outage.url, schema });
    const b = await createPostgresStore({ url: outage.url, schema });
    try {
      const atA = await record(a);
      expect(atA.statuses).toEqual(['up']);
      await outage.kill();
      await vi.waitFor(() => expect(atA.statuses).toEqual(['up', 'down']), { timeout: 5000 });
      await outage.restart();
      await vi.waitFor(() => expect(atA.statuses).toEqual(['up', 'down', 'up']), { timeout: 10_000 });
      const revocation = buildUserRevocation(randomUUID(), T0);
      // B's pool lost its connections too; it reconnects by itself on the next call.
      await vi.waitFor(() => b.feed.publish(revocation), { timeout: 5000, interval: 100 });
      await vi.waitFor(() => expect(atA.messages).toContainEqual(revocation));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
