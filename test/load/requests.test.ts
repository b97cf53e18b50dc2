import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type ServerProcess } from '../helpers/process-server.js';
import { startPostgres, type PostgresService } from '../services/postgres.js';
import { startRedis, type RedisService } from '../services/redis.js';
import { bearerLogin, keepAliveAgent, mapLimit, PASSWORD, percentile, send } from '../faults/support.js';
import { report } from './report.js';

/**
 * 100 000 authenticated requests (`GET /auth/me` with a bearer credential) across 100 keep-alive
 * connections, one session per connection, against the reference server run as its own process
 * (`tessera serve`, as deployed). Asserted: every request answered 200 — zero 5xx, zero errors —
 * within a bounded time (120 s), over no more than 100 connections. The numbers (requests/s, p50,
 * p99, max) are printed for docs/reliability.md; the load generator shares the machine's two cores.
 */

const REQUESTS = 100_000;
const CONNECTIONS = 100;
const LIMIT_MS = 120_000;

const services: { redis?: RedisService; postgres?: PostgresService; dir?: string } = {};

beforeAll(async () => {
  [services.redis, services.postgres] = await Promise.all([startRedis(), startPostgres()]);
  services.dir = mkdtempSync(join(tmpdir(), 'tessera-load-'));
}, 60_000);

afterAll(async () => {
  await Promise.all([services.redis?.stop(), services.postgres?.stop()]);
  if (services.dir !== undefined) rmSync(services.dir, { recursive: true, force: true });
});

describe.each([
  ['session', 'sqlite'],
  ['session', 'postgres'],
  ['jwt-push', 'redis'],
] as const)('100 000 authenticated requests: %s on %s', (mode, kind) => {
  let server: ServerProcess | undefined;

  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('answers every one with 200 over 100 connections: zero 5xx', async () => {
    const url = kind === 'sqlite' ? `sqlite:${join(services.dir!, `${mode}.db`)}` : kind === 'redis' ? services.redis!.url : services.postgres!.url;
    server = await spawnServer(['--mode', mode, '--store', url]);
    const base = server.url;
    // 10 accounts × 10 sessions: one credential per connection. Accounts first, then the logins.
    const emails = Array.from({ length: 10 }, (_, i) => `req-${i}-${kind}-${mode}@example.com`);
    const signups = await mapLimit(emails, 4, (email) => send(base, 'POST', '/auth/signup', { json: { email, password: PASSWORD } }));
    expect(signups.map((s) => s.status)).toEqual(Array(emails.length).fill(201));
    const tokens = await mapLimit(Array.from({ length: CONNECTIONS }, (_, i) => emails[i % emails.length]!), 4, async (email) =>
      (await bearerLogin(base, email, { signup: false })).access,
    );

    const agent = keepAliveAgent(CONNECTIONS);
    let sockets = 0;
    const create = agent.createConnection.bind(agent);
    agent.createConnection = ((...args: Parameters<typeof create>) => {
      sockets += 1;
      return create(...args) as Socket;
    }) as typeof agent.createConnection;

    const latencies = new Float64Array(REQUESTS);
    const statuses = new Map<string, number>();
    let next = 0;
    const started = performance.now();
    try {
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async (_, worker) => {
          while (next < REQUESTS && performance.now() - started < LIMIT_MS) {
            const index = next++;
            const sample = await send(base, 'GET', '/auth/me', { agent, token: tokens[worker]!, timeoutMs: 10_000 });
            latencies[index] = sample.end - sample.start;
            const key = sample.status === 0 ? (sample.error ?? 'error') : String(sample.status);
            statuses.set(key, (statuses.get(key) ?? 0) + 1);
          }
        }),
      );
    } finally {
      agent.destroy();
    }
    const elapsedMs = performance.now() - started;

    const counts = Object.fromEntries(statuses);
    expect(counts).toEqual({ 200: REQUESTS });
    expect(elapsedMs).toBeLessThan(LIMIT_MS);
    expect(sockets).toBeLessThanOrEqual(CONNECTIONS);
    const all = Array.from(latencies);
    report('requests', {
      mode,
      store: kind,
      requests: REQUESTS,
      connections: sockets,
      duration_s: +(elapsedMs / 1000).toFixed(2),
      req_per_s: Math.round(REQUESTS / (elapsedMs / 1000)),
      p50_ms: +percentile(all, 50).toFixed(2),
      p99_ms: +percentile(all, 99).toFixed(2),
      max_ms: +Math.max(...all).toFixed(2),
    });
    // The server is still healthy after the run.
    expect((await send(base, 'GET', '/readyz')).status).toBe(200);
  });
});
