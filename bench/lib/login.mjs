// Login cost at the default argon2id parameters (m = 19 MiB, t = 2, p = 1), and whether the event
// loop stays responsive while 50 logins run at once: `/healthz` latency (10 connections) with and
// without the storm, on the reference server (session posture, SQLite, default configuration).
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { startServerProcess } from './procs.mjs';
import { runCell } from './load.mjs';
import { SEED_PASSWORD, inBatches, seedUsers } from './seed.mjs';
import { load } from './dist.mjs';


function postLogin(port, email) {
  const body = JSON.stringify({ email, password: SEED_PASSWORD, transport: 'bearer' });
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/auth/login', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * @param {{ storeUrl: string, durationSec: number }} options  storeUrl: a fresh SQLite file.
 */
export async function measureLogin({ storeUrl, durationSec }) {
  const { openStore } = await load('stores/open-store.js');
  const { createTessera } = await load('index.js');
  const { createPasswordHasher } = await load('core/users/password.js');
  const { resolveConfig } = await load('core/config.js');

  // 1. In-process: one login at a time, default parameters (as resolved by the library).
  const store = await openStore(storeUrl);
  const defaults = resolveConfig({ store }).password;
  const hasher = createPasswordHasher(defaults);
  const hash = await hasher.hash(SEED_PASSWORD);
  const users = await seedUsers(store, 50, { prefix: 'login', passwordHash: hash });
  const tessera = createTessera({ mode: 'session', store });
  await tessera.ready();
  const sequential = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await tessera.login({ email: users[i % users.length].email, password: SEED_PASSWORD }, { ip: null, userAgent: null });
    sequential.push(performance.now() - t);
  }
  await tessera.close();
  await store.close();
  sequential.sort((a, b) => a - b);

  // 2. The reference server: /healthz latency alone, then during storms of 50 concurrent logins.
  const server = await startServerProcess({ kind: 'reference', mode: 'session', store: storeUrl });
  try {
    const probe = { port: server.port, path: '/healthz', connections: 10, durationSec, warmupSec: 1 };
    await server.mark();
    const quiet = await runCell(probe);
    const quietLoop = (await server.stats()).loopDelayMs;
    const storms = [];
    let stop = false;
    const stormLoop = (async () => {
      // Let the probe connect first.
      await new Promise((resolve) => setTimeout(resolve, 200));
      while (!stop) {
        const t = performance.now();
        const results = await inBatches(users.length, users.length, (i) => postLogin(server.port, users[i].email));
        const wallMs = performance.now() - t;
        const failed = results.filter((r) => r.status !== 200).length;
        if (failed > 0) throw new Error(`login storm: ${failed} of ${results.length} logins failed (status ${results.find((r) => r.status !== 200).status})`);
        storms.push({ wallMs, latencies: results.map((r) => r.ms) });
      }
    })();
    await server.mark();
    const during = await runCell({ ...probe, warmupSec: 0 });
    const duringLoop = (await server.stats()).loopDelayMs;
    stop = true;
    await stormLoop;
    const latencies = storms.flatMap((s) => s.latencies).sort((a, b) => a - b);
    const logins = latencies.length;
    const stormMs = storms.reduce((sum, s) => sum + s.wallMs, 0);
    return {
      argon2: { memoryKiB: defaults.memoryKiB, timeCost: defaults.timeCost, parallelism: defaults.parallelism },
      inProcessSequential: { count: sequential.length, p50Ms: percentile(sequential, 50), meanMs: sequential.reduce((a, b) => a + b, 0) / sequential.length },
      storm: {
        concurrent: users.length,
        storms: storms.length,
        logins,
        loginsPerSec: logins / (stormMs / 1000),
        loginLatencyP50Ms: percentile(latencies, 50),
        loginLatencyMaxMs: latencies.at(-1),
      },
      healthz: {
        quiet: { rps: quiet.rps, p50: quiet.p50, p99: quiet.p99, eventLoopDelayMs: quietLoop },
        duringStorm: { rps: during.rps, p50: during.p50, p99: during.p99, non2xx: during.non2xx, eventLoopDelayMs: duringLoop },
      },
    };
  } finally {
    await server.stop();
  }
}
