import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../helpers/process-server.js';
import { startPostgres } from '../services/postgres.js';
import { startRedis } from '../services/redis.js';
import { bearerLogin, call, percentile, pollUntil, startInstances } from './scale-support.js';

interface Service {
  url: string;
  stop(): Promise<void>;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

const TRIALS = 10;

describe.each([
  // Persistent, as a Redis that holds sessions must be: a killed server comes back with its data.
  ['redis', () => startRedis({ persistent: true })],
  ['postgres', startPostgres],
] as const)('several instances on one %s', (kind, start) => {
  let service: Service;
  let servers: ServerProcess[] = [];

  beforeAll(async () => {
    service = await start();
  }, 60_000);
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    servers = [];
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('jwt-push: a logout through B rejects the token at A within 250 ms, every trial', async () => {
    servers = await startInstances(2, 'jwt-push', service.url);
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const delays: number[] = [];
    for (let i = 0; i < TRIALS; i++) {
      const { access } = await bearerLogin(a.url, `push-${i}-${randomUUID()}@example.com`);
      expect((await call(a.url, 'GET', '/auth/me', { token: access })).status).toBe(200);
      const started = performance.now();
      expect((await call(b.url, 'POST', '/auth/logout', { token: access })).status).toBe(204);
      await pollUntil(async () => (await call(a.url, 'GET', '/auth/me', { token: access })).status === 401, 250);
      delays.push(performance.now() - started);
    }
    expect(delays).toHaveLength(TRIALS);
    expect(Math.max(...delays)).toBeLessThan(250);
    // The posture reports what A has observed, not a constant.
    const posture = await call(a.url, 'GET', '/auth/posture');
    const feed = posture.body.feed as { samples: number; p99_ms: number; status: string };
    expect(posture.body.mode).toBe('jwt-push');
    expect((posture.body.revocation as { per_request_lookup: boolean }).per_request_lookup).toBe(false);
    expect(feed.samples).toBeGreaterThanOrEqual(TRIALS);
    expect(feed.p99_ms).toBeLessThan(250);
    expect(feed.status).toBe('up');
    console.info(`${kind} jwt-push propagation (logout via B → 401 at A, incl. HTTP): p50 ${percentile(delays, 50).toFixed(1)} ms, max ${Math.max(...delays).toFixed(1)} ms`);
  });

  it('jwt-push: logout-all, disable-free role change and session delete through B all reach A', async () => {
    servers = await startInstances(2, 'jwt-push', service.url);
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const email = `all-${randomUUID()}@example.com`;
    const first = await bearerLogin(a.url, email);
    const second = await bearerLogin(a.url, email);
    expect((await call(b.url, 'POST', '/auth/logout-all', { token: first.access })).status).toBe(204);
    for (const token of [first.access, second.access]) {
      await pollUntil(async () => (await call(a.url, 'GET', '/auth/me', { token })).status === 401, 250);
    }
    const third = await bearerLogin(a.url, email);
    const sessions = await call(b.url, 'GET', '/auth/sessions', { token: third.access });
    const id = (sessions.body.sessions as Array<{ id: string }>)[0]!.id;
    expect((await call(b.url, 'DELETE', `/auth/sessions/${id}`, { token: third.access })).status).toBe(204);
    await pollUntil(async () => (await call(a.url, 'GET', '/auth/me', { token: third.access })).status === 401, 250);
  });

  it('jwt-push: a revocation made while A’s subscription is cut is enforced after it reconnects', async () => {
    servers = await startInstances(2, 'jwt-push', service.url);
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const { access } = await bearerLogin(a.url, `cut-${randomUUID()}@example.com`);
    expect((await call(a.url, 'GET', '/auth/me', { token: access })).status).toBe(200);
    await cutSubscriptions(kind, service.url);
    expect((await call(b.url, 'POST', '/auth/logout', { token: access })).status).toBe(204);
    // A either checks the store while its feed is stale or reloads on reconnect: never accepts for long.
    await pollUntil(async () => (await call(a.url, 'GET', '/auth/me', { token: access })).status === 401, 5000, 20);
    // And it keeps rejecting once the feed is back.
    await pollUntil(async () => {
      const posture = await call(a.url, 'GET', '/auth/posture');
      return (posture.body.feed as { status: string }).status === 'up';
    }, 10_000, 50);
    expect((await call(a.url, 'GET', '/auth/me', { token: access })).status).toBe(401);
  });

  it.each(['session', 'jwt-denylist', 'jwt-push'])('%s: the store killed mid-run → 503, never 200; restarted → recovers without a restart', async (mode) => {
    servers = await startInstances(1, mode, service.url);
    const [a] = servers as [ServerProcess];
    const { access } = await bearerLogin(a.url, `outage-${randomUUID()}@example.com`);
    expect((await call(a.url, 'GET', '/auth/me', { token: access })).status).toBe(200);
    await service.kill();
    try {
      // jwt-push trusts its memory for at most the stale bound (2 s) after the feed drops.
      const grace = mode === 'jwt-push' ? 3000 : 0;
      const started = Date.now();
      const statuses: number[] = [];
      for (let i = 0; i < 40 && Date.now() - started < 8000; i++) {
        const t0 = Date.now();
        const res = await call(a.url, 'GET', '/auth/me', { token: access });
        if (Date.now() - started >= grace) statuses.push(res.status);
        // Bounded: a store call times out in about a second, never a pile-up.
        expect(Date.now() - t0).toBeLessThan(5000);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(statuses.length).toBeGreaterThan(3);
      expect(statuses.every((s) => s === 503)).toBe(true);
      expect((await call(a.url, 'GET', '/readyz')).status).toBe(503);
    } finally {
      await service.restart();
    }
    await pollUntil(async () => (await call(a.url, 'GET', '/auth/me', { token: access })).status === 200, 15_000, 100);
    expect((await call(a.url, 'GET', '/readyz')).status).toBe(200);
  });
});

/** Cuts every subscriber connection on the server, as a network blip would. */
async function cutSubscriptions(kind: 'redis' | 'postgres', url: string): Promise<void> {
  if (kind === 'redis') {
    const { Redis } = await import('ioredis');
    const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await admin.connect();
    await admin.client('KILL', 'TYPE', 'pubsub');
    await admin.quit();
  } else {
    const pg = await import('pg');
    const admin = new pg.default.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()`);
    await admin.end();
  }
}
