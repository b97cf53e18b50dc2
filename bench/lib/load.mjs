// The load generator: autocannon, 100 connections, loopback. Every request of a cell is built by
// `setupRequest` from a credential source, so the baseline (`/healthz`, which ignores the header)
// and the authenticated route carry the same bytes and cost the generator the same work.
import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';

/**
 * A source of request headers. `warm`: round-robin over a fixed list (each credential used many
 * times). `cold`: each credential handed out once; if the pool runs dry it wraps and counts reuse.
 */
export function credentialSource(name, values, { once = false } = {}) {
  let next = 0;
  let handed = 0;
  return {
    name,
    once,
    size: values.length,
    take() {
      if (next >= values.length) next = 0;
      handed += 1;
      return values[next++];
    },
    /** How many were handed out, and (for a cold source) how many of those had been used before. */
    stats: () => ({ handedOut: handed, reused: once ? Math.max(0, handed - values.length) : 0 }),
  };
}

/**
 * Runs autocannon against one route for `durationSec` (after `warmupSec` discarded), 100 connections.
 * @returns {Promise<{ rps: number, p50: number, p90: number, p99: number, mean: number, total: number,
 *   non2xx: number, errors: number, timeouts: number, generatorCpuShare: number }>}
 */
export async function runCell({ port, path, header, source, durationSec, warmupSec = 1, connections = 100, amount, beforeMeasure }) {
  const build = (req) => {
    req.path = path;
    if (header && source) req.headers[header] = source.take();
    return req;
  };
  const base = {
    url: `http://127.0.0.1:${port}`,
    connections,
    pipelining: 1,
    timeout: 10,
    requests: [{ method: 'GET', path, setupRequest: build }],
  };
  if (warmupSec > 0) await autocannonRun({ ...base, duration: warmupSec });
  if (beforeMeasure) await beforeMeasure();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  // With `amount` (a cold pool: each credential once) the cell ends when the pool is used up, or at
  // the duration, whichever comes first; the rate is over the time it actually ran.
  const result = await autocannonRun(amount ? { ...base, amount } : { ...base, duration: durationSec }, amount ? durationSec * 1000 : undefined);
  const cpu = process.cpuUsage(cpuBefore);
  const elapsedMs = performance.now() - started;
  return {
    rps: result.requests.total / (amount ? elapsedMs / 1000 : result.duration || durationSec),
    seconds: amount ? elapsedMs / 1000 : result.duration || durationSec,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    mean: result.latency.average,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    generatorCpuShare: (cpu.user + cpu.system) / 1000 / elapsedMs,
  };
}

/** Sends every credential of `source` once (100 connections), so a warm cell starts warm. */
export async function prime({ port, path, header, source, connections = 100 }) {
  const build = (req) => {
    req.path = path;
    req.headers[header] = source.take();
    return req;
  };
  const result = await autocannonRun({
    url: `http://127.0.0.1:${port}`,
    connections,
    amount: source.size,
    timeout: 10,
    requests: [{ method: 'GET', path, setupRequest: build }],
  });
  return { total: result.requests.total, non2xx: result.non2xx, errors: result.errors };
}

// autocannon ends a run (its duration passed, `stop()` called, or an `amount` sent) only at its next
// sample tick, every `sampleInt` ms: at its default of 1 000 ms every duration was rounded up to whole
// seconds (a 0.25 s warm-up ran 1 s, a 2.5 s run 3 s) and an `amount` run idled up to a second after
// its last answer, inside the time a cold rate is divided by. At 100 ms they hold to a tenth of a
// second. Only totals and latencies are read, never the per-tick request counts.
const SAMPLE_INTERVAL_MS = 100;

/** One autocannon run (no progress output); `stopAfterMs` ends an `amount` run at that time. */
function autocannonRun(options, stopAfterMs) {
  return new Promise((resolve, reject) => {
    let timer;
    const instance = autocannon({ ...options, sampleInt: SAMPLE_INTERVAL_MS }, (error, result) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(result);
    });
    if (stopAfterMs !== undefined) timer = setTimeout(() => instance.stop(), stopAfterMs);
  });
}
