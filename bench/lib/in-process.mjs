// The hot path without HTTP: Tessera's framework-neutral routes and `tessera.authenticate`, called
// in the benchmark's own process with 100 calls in flight, on the same store and credentials as the
// HTTP cell. CPU time per call (this process only: a store server's own CPU is not counted) is
// robust to a noisy machine, and splits a request's cost into authentication and the rest.
import { performance } from 'node:perf_hooks';
import { load } from './dist.mjs';
import { processTreeCpuUs } from './proc-cpu.mjs';

async function perCall(count, values, call, storePid) {
  // Warm-up, then the measured calls, 100 in flight.
  for (let i = 0; i < Math.min(2000, count); i += 100) await Promise.all(values.slice(i % values.length, (i % values.length) + 100).map(call));
  const storeBefore = processTreeCpuUs(storePid);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < count; i += 100) {
    const at = i % values.length;
    await Promise.all(values.slice(at, at + 100).map(call));
  }
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - started;
  const storeAfter = processTreeCpuUs(storePid);
  return {
    cpuUs: (cpu.user + cpu.system) / count,
    storeCpuUs: storeBefore !== null && storeAfter !== null ? (storeAfter - storeBefore) / count : null,
    perSec: count / (wallMs / 1000),
  };
}

/**
 * @param {{ mode: string, algorithm?: string, jwtSecret?: string }} posture
 * @param {object} store  the parent's handle on the cell's store
 * @param {string[]} bearerValues  `Bearer <token>` of the warm credentials
 * @param {{ count?: number, storePid?: number | null }} [options]  calls per measurement; the store server's pid
 */
export async function measureInProcess(posture, store, bearerValues, { count = 20_000, storePid = null } = {}) {
  const { createTessera } = await load('index.js');
  const { createRoutes } = await load('http/routes/index.js');
  const jwt = {};
  if (posture.algorithm) jwt.algorithm = posture.algorithm;
  if (posture.jwtSecret) jwt.secrets = [posture.jwtSecret];
  const tessera = createTessera({ mode: posture.mode, store, origins: ['http://127.0.0.1'], jwt });
  try {
    await tessera.ready();
    const routes = createRoutes(tessera);
    const route = (path) => routes.find((r) => r.method === 'GET' && r.path === path);
    const healthz = route('/healthz');
    const me = route('/auth/me');
    const request = (path) => (value) => ({ method: 'GET', path, params: {}, headers: { host: '127.0.0.1', authorization: value }, body: null, ip: '127.0.0.1' });
    const toMe = request('/auth/me');
    const toHealthz = request('/healthz');
    const tokens = bearerValues.map((v) => v.slice('Bearer '.length));
    // Every credential once (the cache, if any, is now warm), and every answer must be 200.
    for (let i = 0; i < bearerValues.length; i += 100) {
      const answers = await Promise.all(bearerValues.slice(i, i + 100).map((v) => me.handle(toMe(v))));
      const bad = answers.find((a) => a.status !== 200);
      if (bad) throw new Error(`in-process /auth/me answered ${bad.status}`);
    }
    const healthzCall = await perCall(count, bearerValues, (v) => healthz.handle(toHealthz(v)), storePid);
    const meCall = await perCall(count, bearerValues, (v) => me.handle(toMe(v)), storePid);
    const authenticate = await perCall(count, tokens, (t) => tessera.authenticate(t, 'bearer'), storePid);
    return { healthz: healthzCall, me: meCall, authenticate };
  } finally {
    await tessera.close();
  }
}
