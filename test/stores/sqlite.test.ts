import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/core/errors.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { MIGRATIONS } from '../../src/stores/sqlite/migrations.js';
import type { Store } from '../../src/stores/types.js';
import { active, activeUser, buildFamily, buildFamilyRevocation, buildSession, buildUser, buildUserRevocation, MINUTE, randomHash, seedOneTurnOfLookups, T0 } from './builders.js';
import { runStoreConformance } from './conformance.js';

const directories: string[] = [];

/** A path in a fresh temporary directory, removed after the test. */
function tempDatabasePath(): string {
  const directory = mkdtempSync(join(tmpdir(), 'tessera-'));
  directories.push(directory);
  return join(directory, 'tessera.db');
}

afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

runStoreConformance('sqlite', async () => createSqliteStore({ path: tempDatabasePath() }));

/** Asserts that every kind of call rejects with StoreError (code `unavailable`). */
async function expectUnavailable(store: Store): Promise<void> {
  const calls: Array<Promise<unknown>> = [
    store.ping(),
    store.users.getById('x'),
    store.sessions.getWithUser(randomHash(), T0),
    store.refresh.rotate('x', randomHash(), randomHash(), T0),
    store.revocations.check('x', 'y', T0),
    store.keys.list(),
    store.counters.increment('x', 1000, T0),
    store.secrets.getOrCreate('x', 'y'),
    store.sweep(T0),
  ];
  // Every outcome is taken at once: a lookup answers at the end of the turn, and the other calls'
  // rejections must not sit unhandled while it waits.
  const errors = await Promise.all(calls.map((call) => call.then(() => undefined, (reason: unknown) => reason)));
  for (const error of errors) {
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'unavailable' });
  }
}

describe('sqlite store', () => {
  it('reports its kind and sets WAL, busy_timeout and foreign_keys', async () => {
    const database = new Database(tempDatabasePath());
    const store = createSqliteStore({ database });
    expect(store.kind).toBe('sqlite');
    expect(database.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(database.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(database.pragma('foreign_keys', { simple: true })).toBe(1);
    await store.close();
    database.close();
  });

  it('keeps data across re-opening the same file, and applies each migration once', async () => {
    const path = tempDatabasePath();
    const user = buildUser();
    const first = createSqliteStore({ path });
    await first.users.create(user);
    await first.close();

    const second = createSqliteStore({ path });
    expect(await second.users.getById(user.id)).toEqual(user);
    await second.close();

    const database = new Database(path);
    const third = createSqliteStore({ database });
    expect(await third.users.getByEmail(user.email)).toEqual(user);
    await third.close();
    // The store did not open this database, so it must not close it either.
    expect(database.open).toBe(true);
    const versions = database.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    expect(versions).toEqual(MIGRATIONS.map((migration) => migration.version));
    database.close();
  });

  it('rejects with StoreError when its database was closed underneath it', async () => {
    const database = new Database(tempDatabasePath());
    const store = createSqliteStore({ database });
    database.close();
    await expectUnavailable(store);
    await store.close();
  });

  it('rejects with StoreError once closed', async () => {
    const store = createSqliteStore({ path: tempDatabasePath() });
    await store.close();
    await expectUnavailable(store);
    await expect(store.close()).resolves.toBeUndefined();
  });

  it('answers the session lookups of one turn in one read transaction, each call with its own answer and its own now', async () => {
    const executed: string[] = [];
    const database = new Database(tempDatabasePath(), { verbose: (sql) => executed.push(String(sql)) });
    const store = createSqliteStore({ database });
    const { live, calls, check } = await seedOneTurnOfLookups(store);
    const transactions = () => executed.filter((sql) => sql === 'BEGIN').length;
    const lookups = () => executed.filter((sql) => sql.includes('JOIN')).length;

    executed.length = 0;
    const results = await Promise.all(calls.map(([hash, now]) => store.sessions.getWithUser(hash, now)));
    // 305 calls in one turn: two read transactions (at most 256 calls each), not 305; one read each.
    expect(transactions()).toBe(2);
    expect(executed.filter((sql) => sql === 'COMMIT')).toHaveLength(2);
    expect(lookups()).toBe(305);
    check(results);

    // A later turn is a transaction of its own, and sees what was written in between.
    await store.sessions.deleteByTokenHash(live[2]!.tokenHash);
    executed.length = 0;
    expect(await store.sessions.getWithUser(live[2]!.tokenHash, T0 + MINUTE)).toBeNull();
    expect(await store.sessions.getWithUser(live[3]!.tokenHash, T0 + MINUTE)).toMatchObject({ session: { id: live[3]!.id } });
    expect(transactions()).toBe(2);
    expect(database.inTransaction).toBe(false);

    // A failing batch fails each of its calls with StoreError, and leaves no transaction open.
    database.close();
    const failed = await Promise.allSettled([store.sessions.getWithUser(live[4]!.tokenHash, T0), store.sessions.getWithUser(live[5]!.tokenHash, T0)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(failed.every((r) => r.status === 'rejected' && r.reason instanceof StoreError)).toBe(true);
    await store.close();
  });

  it('fails only the lookup whose row it did not write, not the others of its turn', async () => {
    const database = new Database(tempDatabasePath());
    const store = createSqliteStore({ database });
    const [broken, fine] = [buildUser(), buildUser()];
    const [brokenSession, fineSession] = [buildSession(broken.id), buildSession(fine.id)];
    for (const user of [broken, fine]) await store.users.create(user);
    for (const session of [brokenSession, fineSession]) await store.sessions.create(session);
    database.prepare("UPDATE users SET roles = 'not json' WHERE id = ?").run(broken.id);
    const [failed, found, none] = await Promise.allSettled([
      store.sessions.getWithUser(brokenSession.tokenHash, T0),
      store.sessions.getWithUser(fineSession.tokenHash, T0),
      store.sessions.getWithUser(randomHash(), T0),
    ]);
    expect(failed.status === 'rejected' && failed.reason instanceof StoreError).toBe(true);
    expect(found).toStrictEqual({ status: 'fulfilled', value: { session: active(fineSession), user: activeUser(fine) } });
    expect(none).toStrictEqual({ status: 'fulfilled', value: null });
    await store.close();
    database.close();
  });

  it('fails a revocation check closed when its user entry has no not-before, and answers the others', async () => {
    const database = new Database(tempDatabasePath());
    const store = createSqliteStore({ database });
    const [broken, fine, family] = [randomUUID(), randomUUID(), randomUUID()];
    await store.revocations.put(buildUserRevocation(broken, T0 + 5, T0 + MINUTE));
    await store.revocations.put(buildUserRevocation(fine, T0 + 5, T0 + MINUTE));
    await store.revocations.put(buildFamilyRevocation(fine, family, T0 + MINUTE));
    // A row this store never writes: no longer a bound it can apply, so not a pass.
    database.prepare('UPDATE revocations SET not_before = NULL WHERE key = ?').run(`u:${broken}`);
    const [failed, answered, expired] = await Promise.allSettled([
      store.revocations.check(broken, randomUUID(), T0),
      store.revocations.check(fine, family, T0),
      store.revocations.check(broken, randomUUID(), T0 + MINUTE),
    ]);
    expect(failed).toMatchObject({ status: 'rejected', reason: { message: 'sqlite store: revocations.check failed (corrupt record)' } });
    expect(failed.status === 'rejected' && failed.reason instanceof StoreError).toBe(true);
    expect(answered).toStrictEqual({ status: 'fulfilled', value: { userNotBefore: T0 + 5, familyRevoked: true } });
    // Expired, the same row is no longer read at all.
    expect(expired).toStrictEqual({ status: 'fulfilled', value: { userNotBefore: null, familyRevoked: false } });
    await store.close();
    database.close();
  });

  it('fails the lookups of a turn whose read fails, then answers the next turn afresh', async () => {
    const database = new Database(tempDatabasePath());
    const store = createSqliteStore({ database });
    const user = buildUser();
    await store.users.create(user);
    const session = buildSession(user.id);
    await store.sessions.create(session);
    // The users table renamed away for one turn: the joined read fails inside the transaction.
    database.exec('ALTER TABLE users RENAME TO users_away');
    const failed = await Promise.allSettled([store.sessions.getWithUser(session.tokenHash, T0), store.sessions.getWithUser(randomHash(), T0)]);
    expect(failed.every((r) => r.status === 'rejected' && r.reason instanceof StoreError)).toBe(true);
    expect(database.inTransaction).toBe(false);
    database.exec('ALTER TABLE users_away RENAME TO users');
    expect(await store.sessions.getWithUser(session.tokenHash, T0)).toStrictEqual({ session: active(session), user: activeUser(user) });
    await store.close();
    database.close();
  });

  it('throws StoreError when the file is not a database', () => {
    const path = tempDatabasePath();
    writeFileSync(path, 'this is not an SQLite database, not even close to one. '.repeat(100));
    expect(() => createSqliteStore({ path })).toThrow(StoreError);
  });

  it('keeps values out of error messages', async () => {
    const store = createSqliteStore({ path: tempDatabasePath() });
    const user = buildUser();
    await store.users.create(user);
    const session = buildSession(user.id);
    await store.sessions.create(session);
    const error: unknown = await store.sessions.create({ ...buildSession(user.id), tokenHash: session.tokenHash }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(StoreError);
    const message = (error as StoreError).message;
    expect(message).not.toContain(session.tokenHash);
    expect(message).not.toContain(user.email);
    const family = buildFamily(user.id);
    await store.refresh.create(family);
    const duplicate: unknown = await store.refresh.create({ ...buildFamily(user.id), currentHash: family.currentHash }).catch((reason: unknown) => reason);
    expect(duplicate).toBeInstanceOf(StoreError);
    expect((duplicate as StoreError).message).not.toContain(family.currentHash);
    await store.close();
  });

  it('treats a NaN, negative or fractional sweep limit sanely', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    const user = buildUser();
    await store.users.create(user);
    for (let i = 0; i < 3; i += 1) await store.sessions.create(buildSession(user.id, { idleExpiresAt: T0 + 1 }));
    expect(await store.sweep(T0 + 2, Number.NaN)).toBe(0);
    expect(await store.sweep(T0 + 2, -1)).toBe(0);
    expect(await store.sweep(T0 + 2, 1.5)).toBe(1);
    expect(await store.sweep(T0 + 2, Number.POSITIVE_INFINITY)).toBe(2);
    await store.close();
  });

  it('works in memory with sqlite ::memory:', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    const user = buildUser();
    expect(await store.users.create(user)).toBe(true);
    expect(await store.users.getById(user.id)).toEqual(user);
    await store.close();
  });
});
