// jwt-push revocation propagation across two reference servers (A and B) on one store. For each
// revocation: a fresh access token is accepted by A (and so cached by A's verifier), B logs it out
// (`POST /auth/logout`, which deletes the family, writes the revocation and publishes it), and a
// loop polls A's `/auth/me` (every ~1 ms) until A refuses the token. Two figures:
// - end to end: from sending the logout to B until A's first 401 (includes B's own work and one
//   HTTP round trip to A, and up to one poll interval);
// - feed: what A itself measured between the revocation's creation at B and its arrival
//   (`/auth/posture` → feed.p50_ms / p99_ms, same clock: same machine).
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { startServerProcess } from './procs.mjs';
import { benchConfig, jwtIssuer } from './seed.mjs';

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const POLL_INTERVAL_MS = 1;
// Revocations made first and left out of the percentiles (still checked, and a miss still counts): the
// first one after the servers start pays for cold code on both (B's first full verification, first
// write and publish; A's first message), 12–24 ms against 2–5 ms for the rest, and with 200 samples
// p99 is the second-slowest, so one cold start decided it.
const WARMUP_REVOCATIONS = 5;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function request(port, method, path, token) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path, agent, headers: token ? { authorization: `Bearer ${token}` } : {} },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * @param {{ storeUrl: string, store: import('../../dist/stores/types.js').Store, users: object[], count: number, timeoutMs?: number }} options
 */
export async function measurePropagation({ storeUrl, store, users, count, timeoutMs = 2000 }) {
  const spec = { kind: 'reference', mode: 'jwt-push', store: storeUrl, algorithm: 'EdDSA' };
  const config = await benchConfig(store, { mode: 'jwt-push', algorithm: 'EdDSA' });
  const issuer = await jwtIssuer(config);
  const a = await startServerProcess(spec);
  const b = await startServerProcess(spec);
  try {
    const samples = [];
    // How long B took to answer the logout (its own work: verify, delete the family, write and publish).
    const logoutMs = [];
    const warmupMs = [];
    let missed = 0;
    for (let i = -WARMUP_REVOCATIONS; i < count; i++) {
      const { accessToken } = await issuer.issue(users[(i + users.length) % users.length]);
      const first = await request(a.port, 'GET', '/auth/me', accessToken);
      if (first.status !== 200) throw new Error(`propagation: A refused a fresh token (${first.status})`);
      const t0 = performance.now();
      const logout = request(b.port, 'POST', '/auth/logout', accessToken).then((res) => {
        if (i >= 0) logoutMs.push(performance.now() - t0);
        return res;
      });
      let refusedAt = null;
      while (performance.now() - t0 < timeoutMs) {
        const polled = await request(a.port, 'GET', '/auth/me', accessToken);
        if (polled.status === 401) {
          refusedAt = performance.now();
          break;
        }
        // ~1 ms between polls: a busy loop would take the CPU that B and the store need (2 cores).
        await sleep(POLL_INTERVAL_MS);
      }
      const out = await logout;
      if (out.status !== 204) throw new Error(`propagation: B's logout answered ${out.status}`);
      if (refusedAt === null) missed += 1;
      else (i < 0 ? warmupMs : samples).push(refusedAt - t0);
    }
    const postureA = JSON.parse((await request(a.port, 'GET', '/auth/posture')).body);
    const sorted = [...samples].sort((x, y) => x - y);
    return {
      revocations: count,
      warmupRevocations: WARMUP_REVOCATIONS,
      warmupMs: warmupMs.map((x) => Math.round(x * 100) / 100),
      missedWithinTimeout: missed,
      pollIntervalMs: POLL_INTERVAL_MS,
      endToEnd: { p50Ms: percentile(sorted, 50), p90Ms: percentile(sorted, 90), p99Ms: percentile(sorted, 99), maxMs: sorted.at(-1) ?? null },
      logoutAtB: (() => {
        const answered = [...logoutMs].sort((x, y) => x - y);
        return { p50Ms: percentile(answered, 50), p99Ms: percentile(answered, 99) };
      })(),
      samplesMs: samples.map((x) => Math.round(x * 100) / 100),
      feed: postureA.feed ?? null,
    };
  } finally {
    await a.stop();
    await b.stop();
  }
}
