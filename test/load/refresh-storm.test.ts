import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/core/crypto.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startPostgres, type PostgresService } from '../services/postgres.js';
import { startRedis, type RedisService } from '../services/redis.js';
import { bearerLogin, keepAliveAgent, percentile, send } from '../faults/support.js';
import { report } from './report.js';

/**
 * 100 concurrent refreshes of one refresh family (jwt mode, bearer), over 100 connections, as a
 * client with many tabs (or a retrying mobile app) would send them. The rules of the grace window
 * (RFC 9700 §4.14.2 with a grace period, DESIGN "refresh family"), checked exactly:
 *
 * - every one of the 100 answers 200 with a working access token, and all receive the same new
 *   refresh token: the user stays logged in, whichever response the client keeps;
 * - exactly one rotation happened: the family's current token is the successor of the presented one
 *   and its previous token is the presented one (two rotations would have moved it on twice);
 * - still within the grace window, the old token is answered with that same successor;
 * - after the grace window, replaying the old token is theft: 401, and the whole family is revoked
 *   (its newest token is refused too, and it no longer exists in the store).
 *
 * The server runs in-process with a manual clock, so the grace window is crossed without sleeping.
 * On each store: SQLite file, Redis, PostgreSQL (where the rotate-if-current race is real).
 */

const CONCURRENT = 100;
/** The server's default refresh grace window (API.md / config `jwt.refreshGraceSeconds`). */
const GRACE_MS = 10_000;

const services: { redis?: RedisService; postgres?: PostgresService } = {};

beforeAll(async () => {
  [services.redis, services.postgres] = await Promise.all([startRedis(), startPostgres()]);
}, 60_000);

afterAll(async () => {
  await Promise.all([services.redis?.stop(), services.postgres?.stop()]);
});

describe.each(['sqlite', 'redis', 'postgres'] as const)('refresh storm: %s', (kind) => {
  let server: TestServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('100 concurrent refreshes of one family: all 200, one rotation; the old token replayed after the grace window revokes the family', async () => {
    const store = kind === 'sqlite' ? 'sqlite' : kind === 'redis' ? services.redis!.url : services.postgres!.url;
    server = await startTestServer({ mode: 'jwt', store, tessera: { password: { memoryKiB: 1024, timeCost: 1 } } });
    const base = server.url;
    const { access, refresh: old } = await bearerLogin(base, `storm-${kind}@example.com`);
    const me = await send(base, 'GET', '/auth/me', { token: access });
    expect(me.status).toBe(200);
    const familyId = String((me.body?.session as { id: string }).id);

    const agent = keepAliveAgent(CONCURRENT);
    const started = performance.now();
    let answers;
    try {
      answers = await Promise.all(
        Array.from({ length: CONCURRENT }, () => send(base, 'POST', '/auth/refresh', { agent, json: { refresh_token: old } })),
      );
    } finally {
      agent.destroy();
    }
    const stormMs = performance.now() - started;

    // All 200, one successor for all, and every new access token works.
    expect(answers.map((a) => a.status)).toEqual(Array(CONCURRENT).fill(200));
    const successors = new Set(answers.map((a) => String(a.body?.refresh_token)));
    expect(successors.size).toBe(1);
    const [successor] = [...successors] as [string];
    expect(successor).not.toBe(old);
    for (const a of answers) expect((await send(base, 'GET', '/auth/me', { token: String(a.body?.access_token) })).status).toBe(200);

    // Exactly one rotation: current = the successor, previous = the presented token.
    const family = await server.store.refresh.getById(familyId, server.clock.now());
    expect(family).not.toBeNull();
    expect(family!.currentHash).toBe(hashToken(successor));
    expect(family!.previousHash).toBe(hashToken(old));
    // And no new family: still one device.
    const sessions = await send(base, 'GET', '/auth/sessions', { token: String(answers[0]!.body?.access_token) });
    expect((sessions.body?.sessions as unknown[]).length).toBe(1);

    // Within the grace window the old token still gets the same successor.
    server.clock.advance(GRACE_MS / 2);
    const late = await send(base, 'POST', '/auth/refresh', { json: { refresh_token: old } });
    expect(late.status).toBe(200);
    expect(late.body?.refresh_token).toBe(successor);

    // After it, the old token is a replay: 401 and the whole family goes, newest token included.
    server.clock.advance(GRACE_MS / 2 + 1000);
    const replay = await send(base, 'POST', '/auth/refresh', { json: { refresh_token: old } });
    expect(replay.status).toBe(401);
    expect((await send(base, 'POST', '/auth/refresh', { json: { refresh_token: successor } })).status).toBe(401);
    expect(await server.store.refresh.getById(familyId, server.clock.now())).toBeNull();

    const latencies = answers.map((a) => a.end - a.start);
    report('refresh-storm', {
      store: kind,
      concurrent: CONCURRENT,
      storm_ms: +stormMs.toFixed(1),
      p50_ms: +percentile(latencies, 50).toFixed(1),
      p99_ms: +percentile(latencies, 99).toFixed(1),
    });
  });
});
