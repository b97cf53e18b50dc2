import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError, TesseraError } from '../../src/core/errors.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { spawnServer, type ServerProcess } from '../helpers/process-server.js';
import { startTestServer } from '../helpers/server.js';
import { startPostgres } from '../services/postgres.js';
import { startRedis } from '../services/redis.js';
import { bearerLogin, isAlive, PASSWORD, reservePort, send, sleep, waitUntil } from './support.js';

/**
 * Store down at start: the server is started against a port where nothing listens yet. It must
 * start, answer 503 `unavailable` on `/readyz` and on every auth request (never 401, never 200),
 * stay up (no crash loop), and become ready by itself once the store is started on that port:
 * signup, login and the admin bootstrap (`--admin-email`, retried in the background) then work.
 */

interface Service {
  stop(): Promise<void>;
}

const STORES = [
  ['redis', (port: number) => `redis://127.0.0.1:${port}`, (port: number) => startRedis({ port })],
  ['postgres', (port: number) => `postgres://tessera@127.0.0.1:${port}/tessera`, (port: number) => startPostgres({ port })],
] as const;

const ADMIN = 'root@example.com';

describe.each(STORES)('store down at start: %s', (kind, urlFor, startAt) => {
  let server: ServerProcess | undefined;
  let service: Service | undefined;

  afterEach(async () => {
    await server?.stop();
    await service?.stop();
    server = service = undefined;
  });

  it.each(['session', 'jwt-push'])('%s: starts, answers 503 until the store appears, then becomes ready by itself', async (mode) => {
    const port = await reservePort();
    server = await spawnServer(['--mode', mode, '--store', urlFor(port), '--admin-email', ADMIN, '--admin-password', PASSWORD]);
    const base = server.url;

    // Down: liveness yes, readiness no, and every auth request fails closed with 503.
    expect((await send(base, 'GET', '/healthz')).status).toBe(200);
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all([
        send(base, 'GET', '/readyz'),
        send(base, 'POST', '/auth/signup', { json: { email: `down-${randomUUID()}@example.com`, password: PASSWORD } }),
        send(base, 'POST', '/auth/login', { json: { email: ADMIN, password: PASSWORD, transport: 'bearer' } }),
        send(base, 'GET', '/auth/me', { token: 'x'.repeat(43) }),
      ]);
      for (const answer of answers) {
        expect(answer.status, JSON.stringify(answer)).toBe(503);
        expect(answer.code).toBe('unavailable');
        expect(answer.end - answer.start).toBeLessThan(3000);
      }
      await sleep(300);
    }
    expect(isAlive(server), server.output()).toBe(true);

    // The store appears on the port the server was given; nothing is restarted.
    const pid = server.child.pid;
    service = await startAt(port);
    await waitUntil('/readyz 200', async () => (await send(base, 'GET', '/readyz')).status === 200, 20_000, 100);
    const { access } = await bearerLogin(base, `up-${randomUUID()}@example.com`);
    const me = await send(base, 'GET', '/auth/me', { token: access });
    expect(me.status).toBe(200);
    // The admin bootstrap was retried in the background until the store answered. Its retries are at
    // most 5 s apart, and every refused login counts against the account's limit (10 per window): one
    // login a second stays under it until the retry lands (four a second hit 429 first, one run in three).
    await waitUntil(
      'admin bootstrapped',
      async () => (await send(base, 'POST', '/auth/login', { json: { email: ADMIN, password: PASSWORD, transport: 'bearer' } })).status === 200,
      15_000,
      1_000,
    );
    expect(server.child.pid).toBe(pid);
    expect(isAlive(server)).toBe(true);
  });

  if (kind === 'postgres') {
    it('a store created with deferMigrations answers StoreError quickly while the server is down, then migrates on first use', async () => {
      const port = await reservePort();
      const store = await createPostgresStore({ url: urlFor(port), schema: `t_${randomUUID().replaceAll('-', '')}`, deferMigrations: true });
      try {
        for (const call of [() => store.ping(), () => store.users.getById('x'), () => store.keys.list()]) {
          const started = performance.now();
          const error: unknown = await call().then(() => undefined, (reason: unknown) => reason);
          expect(error).toBeInstanceOf(StoreError);
          expect(error).toMatchObject({ code: 'unavailable' });
          expect(performance.now() - started).toBeLessThan(2500);
        }
        service = await startAt(port);
        await waitUntil('ping', () => store.ping().then(() => true, () => false), 10_000, 100);
        expect(await store.users.getById('x')).toBeNull();
      } finally {
        await store.close();
      }
    });
  }
});

describe('admin bootstrap at start', () => {
  it('still refuses to start on a bad admin flag: only store failures are retried in the background', async () => {
    const error: unknown = await startTestServer({ store: 'memory', adminEmail: 'not-an-email', adminPassword: PASSWORD }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(TesseraError);
    expect(error).not.toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'bad_request' });
  });
});
