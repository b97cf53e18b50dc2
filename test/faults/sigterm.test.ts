import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnServer, type ServerProcess } from '../helpers/process-server.js';
import { startRedis, type RedisService } from '../services/redis.js';
import { keepAliveAgent, mapLimit, PASSWORD, send, sleep, startLoad, tally, type Sample } from './support.js';

/**
 * SIGTERM under load. 16 clients log in back to back (one new connection per request, as many
 * separate clients would) while the server process receives SIGTERM. Asserted:
 *
 * - requests in flight when the signal arrives finish with 200 (drained, not cut);
 * - later ones are refused cleanly: connection refused (the listener is closed), 503 (a request
 *   read while closing), or a reset of a connection the kernel had queued but the server never
 *   accepted or read — never a hang (every request has a 10 s timeout and none reaches it), never
 *   another error. None of the refused requests was processed: the store holds exactly the sessions
 *   whose logins answered 200, not one more;
 * - the process exits 0, promptly;
 * - no write is lost: every session whose login answered 200, before or after the signal, is valid
 *   on a new server started on the same store.
 */

const CLIENTS = 16;
/** Logins before the signal: enough that many are in flight when it arrives. */
const LOAD_BEFORE_SIGNAL_MS = 1200;
const EXIT_TIMEOUT_MS = 10_000;

describe.each(['sqlite', 'redis'] as const)('SIGTERM under load: %s', (kind) => {
  let servers: ServerProcess[] = [];
  let redis: RedisService | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    servers = [];
    await redis?.stop();
    redis = undefined;
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('drains in-flight logins, refuses later ones cleanly, exits 0, and loses no session', async () => {
    let store: string;
    if (kind === 'sqlite') {
      dir = mkdtempSync(join(tmpdir(), 'tessera-sigterm-'));
      store = `sqlite:${join(dir, 'tessera.db')}`;
    } else {
      redis = await startRedis();
      store = redis.url;
    }
    const first = await spawnServer(['--mode', 'session', '--store', store]);
    servers.push(first);
    // One account per client: concurrent attempts on one account are throttled (API.md, login throttling).
    const emails = Array.from({ length: CLIENTS }, (_, i) => `drain-${i}-${randomUUID()}@example.com`);
    const signups = await mapLimit(emails, 4, (email) => send(first.url, 'POST', '/auth/signup', { json: { email, password: PASSWORD } }));
    expect(tally(signups)).toEqual({ 201: CLIENTS });

    const exited = once(first.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const refused = new Set<number>();
    const load = startLoad(CLIENTS, async (worker) => {
      // A worker whose last request was refused stops: the server is gone.
      if (refused.has(worker)) {
        await sleep(20);
        return { start: performance.now(), end: performance.now(), status: -1 };
      }
      const sample = await send(first.url, 'POST', '/auth/login', { json: { email: emails[worker], password: PASSWORD, transport: 'bearer' }, timeoutMs: 10_000 });
      if (sample.status === 0 && sample.error === 'ECONNREFUSED') refused.add(worker);
      return sample;
    });
    let samples: Sample[];
    let signalAt = 0;
    let exitedAt = 0;
    let exit: [number | null, NodeJS.Signals | null];
    try {
      await sleep(LOAD_BEFORE_SIGNAL_MS);
      signalAt = performance.now();
      first.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      exit = await Promise.race([
        exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no exit within ${EXIT_TIMEOUT_MS} ms:\n${first.output()}`)), EXIT_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
      exitedAt = performance.now();
      // Give every worker the chance to meet the closed port.
      const deadline = performance.now() + 5000;
      while (refused.size < CLIENTS && performance.now() < deadline) await sleep(20);
    } finally {
      samples = (await load.stop()).filter((s) => s.status !== -1);
    }

    // Exit 0, and not long after the signal.
    expect(exit, first.output()).toEqual([0, null]);
    expect(exitedAt - signalAt).toBeLessThan(5000);
    // Nothing hung, and nothing but 200, 503 or a refused connection.
    const refusal = (s: Sample) => s.status === 503 || (s.status === 0 && (s.error === 'ECONNREFUSED' || s.error === 'ECONNRESET'));
    const unexpected = samples.filter((s) => !(s.status === 200 || refusal(s)));
    expect(unexpected, JSON.stringify(tally(samples))).toEqual([]);
    // In flight at the signal, finished after it with a 200: drained, not dropped.
    const drained = samples.filter((s) => s.start < signalAt && s.end > signalAt && s.status === 200);
    expect(drained.length, JSON.stringify(tally(samples))).toBeGreaterThan(0);
    // Every client was eventually refused at the door.
    expect(refused.size).toBe(CLIENTS);

    const answered = samples.filter((s) => s.status === 200);
    const tokens = answered.map((s) => String(s.body?.access_token));
    expect(tokens.length).toBeGreaterThan(CLIENTS);
    expect(new Set(tokens).size).toBe(tokens.length);

    // No write lost: a new server on the same store accepts every session that was answered 200.
    const second = await spawnServer(['--mode', 'session', '--store', store]);
    servers.push(second);
    const agent = keepAliveAgent(8);
    try {
      const checks = await mapLimit(tokens, 8, (token) => send(second.url, 'GET', '/auth/me', { agent, token }));
      expect(tally(checks)).toEqual({ 200: tokens.length });
      // And nothing else: a refused login wrote no session (one listing per account that has any).
      const byAccount = new Map(answered.map((s) => [String((s.body?.user as { id: string }).id), String(s.body?.access_token)]));
      const listed = await mapLimit([...byAccount.values()], 8, async (token) => {
        const list = await send(second.url, 'GET', '/auth/sessions', { agent, token });
        return (list.body?.sessions as unknown[]).length;
      });
      expect(listed.reduce((a, b) => a + b, 0)).toBe(tokens.length);
    } finally {
      agent.destroy();
    }
    console.info(
      `${kind}: ${tokens.length} logins answered 200 (${drained.length} drained after SIGTERM), ` +
        `exit after ${(exitedAt - signalAt).toFixed(0)} ms; outcomes ${JSON.stringify(tally(samples))}`,
    );
  });
});
