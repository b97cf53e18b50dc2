import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type ServerProcess } from '../helpers/process-server.js';
import { startPostgres } from '../services/postgres.js';
import { startRedis } from '../services/redis.js';
import { bearerLogin, keepAliveAgent, mapLimit, send, sleep, tally, waitUntil } from './support.js';

/**
 * jwt-push: the revocation feed cut and restored, again and again, while revocations happen. Two
 * instances share one store; 40 bearer sessions are logged in at A; through B, 6 rounds each revoke
 * a batch (logouts of single sessions, and one logout-all of a whole account) while every subscriber
 * connection on the store is killed at the same moment (Redis `CLIENT KILL TYPE pubsub`, PostgreSQL
 * `pg_terminate_backend` of the LISTEN backends). Messages published while a subscriber is cut are
 * lost by pub/sub; the instance must make up for it (checking the store while its feed is stale, and
 * reloading from the store on reconnect). Asserted once both feeds are back up: every revoked token
 * is rejected by both instances — none missed — and every other token is still accepted by both.
 */

const USERS = 10;
const SESSIONS_PER_USER = 4;
const ROUNDS = 6;

describe.each([
  ['redis', () => startRedis()],
  ['postgres', () => startPostgres()],
] as const)('jwt-push feed cut during revocations: %s', (kind, start) => {
  let service: { url: string; stop(): Promise<void> };
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

  it('no revocation is missed by either instance', async () => {
    const a = await spawnServer(['--mode', 'jwt-push', '--store', service.url]);
    servers.push(a);
    const b = await spawnServer(['--mode', 'jwt-push', '--store', service.url]);
    servers.push(b);

    const emails = Array.from({ length: USERS }, (_, i) => `cut-${i}-${randomUUID()}@example.com`);
    const sessions = (
      await mapLimit(emails, 4, async (email) => {
        const own = [await bearerLogin(a.url, email)];
        for (let i = 1; i < SESSIONS_PER_USER; i++) own.push(await bearerLogin(a.url, email, { signup: false }));
        return own.map(({ access }) => ({ email, access }));
      })
    ).flat();
    expect(sessions).toHaveLength(USERS * SESSIONS_PER_USER);
    for (const { access } of sessions) expect((await send(a.url, 'GET', '/auth/me', { token: access })).status).toBe(200);

    // Rounds: 5 single logouts each, and in round 3 a logout-all of one account (all its sessions).
    const revoked = new Set<string>();
    /** Subscriber connections killed per round. */
    const cuts: number[] = [];
    const pending = [...sessions];
    for (let round = 0; round < ROUNDS; round++) {
      const batch = pending.splice(0, 5);
      const revocations = batch.map(async ({ access }) => {
        expect((await send(b.url, 'POST', '/auth/logout', { token: access })).status).toBe(204);
        revoked.add(access);
      });
      if (round === 3) {
        const victim = pending[0]!.email;
        // Its sessions leave the queue: this logout-all, made with one of them, revokes them all.
        const queued = pending.filter((s) => s.email === victim);
        pending.splice(0, pending.length, ...pending.filter((s) => s.email !== victim));
        revocations.push(
          (async () => {
            const ofVictim = sessions.filter((s) => s.email === victim);
            const token = queued[0]!.access;
            expect((await send(b.url, 'POST', '/auth/logout-all', { token })).status).toBe(204);
            for (const s of ofVictim) revoked.add(s.access);
          })(),
        );
      }
      const [killed] = await Promise.all([cutSubscriptions(kind, service.url), ...revocations]);
      cuts.push(killed);
      // Short and long gaps: the next cut lands while an instance is still resyncing, or after it settled.
      await sleep(round % 2 === 0 ? 300 : 2500);
    }
    expect(revoked.size).toBeGreaterThanOrEqual(ROUNDS * 5);
    // Every round really cut something (each instance holds one subscriber connection).
    expect(cuts.every((n) => n >= 1), `killed per round: ${cuts.join(',')}`).toBe(true);

    // Both feeds are up again (reconnected and resynced).
    for (const server of [a, b]) {
      await waitUntil(
        'feed up',
        async () => ((await send(server.url, 'GET', '/auth/posture')).body?.feed as { status?: string } | undefined)?.status === 'up',
        15_000,
        50,
      );
    }
    const agent = keepAliveAgent(8);
    try {
      for (const server of [a, b]) {
        const answers = await mapLimit(sessions, 8, async ({ access }) => ({
          revoked: revoked.has(access),
          status: (await send(server.url, 'GET', '/auth/me', { agent, token: access })).status,
        }));
        const missed = answers.filter((x) => x.revoked && x.status !== 401);
        expect(missed, `${server === a ? 'A' : 'B'} accepted revoked tokens`).toEqual([]);
        const kept = answers.filter((x) => !x.revoked);
        expect(kept.length).toBeGreaterThan(0);
        expect(tally(kept.map((x) => ({ start: 0, end: 0, status: x.status })))).toEqual({ 200: kept.length });
      }
    } finally {
      agent.destroy();
    }
  });
});

/**
 * Cuts every subscriber connection on the store server, as a network blip would (as in test/scale);
 * returns how many it killed.
 */
async function cutSubscriptions(kind: 'redis' | 'postgres', url: string): Promise<number> {
  if (kind === 'redis') {
    const { Redis } = await import('ioredis');
    const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await admin.connect();
    try {
      return Number(await admin.client('KILL', 'TYPE', 'pubsub'));
    } finally {
      await admin.quit();
    }
  } else {
    const pg = await import('pg');
    const admin = new pg.default.Client({ connectionString: url });
    await admin.connect();
    try {
      const result = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()`,
      );
      return result.rowCount ?? 0;
    } finally {
      await admin.end();
    }
  }
}
