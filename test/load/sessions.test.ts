import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTessera } from '../../src/core/tessera.js';
import { openStore } from '../../src/stores/open-store.js';
import type { Store } from '../../src/stores/types.js';
import { startPostgres, type PostgresService } from '../services/postgres.js';
import { startRedis, type RedisService } from '../services/redis.js';
import { mapLimit, PASSWORD, percentile } from '../faults/support.js';
import { report } from './report.js';

/**
 * 10 000 sessions created concurrently (200 logins in flight at a time, through `tessera.login`, the
 * full path: throttling counters, user lookup, argon2id verification at a low test cost, session
 * write), then every one validated. Asserted: none lost (each token authenticates, as the user who
 * logged in), none duplicated (10 000 distinct session ids and tokens), and the store lists exactly
 * 10 000 sessions. On each store: SQLite file, Redis, PostgreSQL.
 */

const SESSIONS = 10_000;
const USERS = 100;
const IN_FLIGHT = 200;
/** The whole creation must fit in this (bounded); it takes a fraction of it. */
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

describe.each(['sqlite', 'redis', 'postgres'] as const)('10 000 concurrent sessions: %s', (kind) => {
  it('creates them all concurrently, then finds every one: none lost, none duplicated', async () => {
    const url = kind === 'sqlite' ? `sqlite:${join(services.dir!, 'sessions.db')}` : kind === 'redis' ? services.redis!.url : services.postgres!.url;
    const store: Store = await openStore(url);
    const tessera = createTessera({ mode: 'session', store, password: { memoryKiB: 1024, timeCost: 1 } });
    const client = { ip: null, userAgent: 'load' };
    try {
      const users = await mapLimit(Array.from({ length: USERS }, (_, i) => `load-${i}@example.com`), 20, (email) =>
        tessera.signup({ email, password: PASSWORD }, client),
      );

      // Account i % 100 for login i: about two logins in flight per account, under its throttle.
      const started = performance.now();
      const latencies: number[] = [];
      const created = await mapLimit(Array.from({ length: SESSIONS }, (_, i) => i), IN_FLIGHT, async (i) => {
        const user = users[i % USERS]!;
        const t0 = performance.now();
        const { credentials } = await tessera.login({ email: user.email, password: PASSWORD }, client);
        latencies.push(performance.now() - t0);
        if (credentials.kind !== 'session') throw new Error('expected a session');
        return { userId: user.id, id: credentials.sessionId, token: credentials.token };
      });
      const createMs = performance.now() - started;
      expect(createMs).toBeLessThan(LIMIT_MS);

      // None duplicated.
      expect(created).toHaveLength(SESSIONS);
      expect(new Set(created.map((s) => s.id)).size).toBe(SESSIONS);
      expect(new Set(created.map((s) => s.token)).size).toBe(SESSIONS);

      // None lost: every token authenticates, as its own user and session.
      const validateStarted = performance.now();
      const results = await mapLimit(created, IN_FLIGHT, async (s) => {
        const result = await tessera.authenticate(s.token, 'bearer');
        return result.ok && result.principal.user.id === s.userId && result.principal.session.id === s.id;
      });
      const validateMs = performance.now() - validateStarted;
      expect(results.filter((ok) => !ok)).toHaveLength(0);

      // And the store holds exactly these, no more.
      const listed = await mapLimit(users, 20, (user) => tessera.listSessions(user.id, null));
      const listedIds = new Set(listed.flat().map((s) => s.id));
      expect(listed.flat()).toHaveLength(SESSIONS);
      expect(listedIds).toEqual(new Set(created.map((s) => s.id)));

      report('sessions', {
        store: kind,
        sessions: SESSIONS,
        in_flight: IN_FLIGHT,
        create_s: +(createMs / 1000).toFixed(2),
        logins_per_s: Math.round(SESSIONS / (createMs / 1000)),
        login_p50_ms: +percentile(latencies, 50).toFixed(1),
        login_p99_ms: +percentile(latencies, 99).toFixed(1),
        validate_s: +(validateMs / 1000).toFixed(2),
        validations_per_s: Math.round(SESSIONS / (validateMs / 1000)),
      });
    } finally {
      await tessera.close();
      await store.close();
    }
  });
});
