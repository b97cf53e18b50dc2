// jwt-push revocation propagation across two reference servers (A and B) on one store. For each
// revocation: a fresh access token is accepted by A (and so cached by A's verifier), B logs it out
// (`POST /auth/logout`, which deletes the family, writes the revocation and publishes it), and a
// loop polls A's `/auth/me` (every ~1 ms) until A refuses the token. Two figures:
// - end to end: from sending the logout to B until A's first 401 (includes B's own work and one
//   HTTP round trip to A, and up to one poll interval);
// - feed: what A itself measured between the revocation's creation at B and its arrival
//   (`/auth/posture` → feed.p50_ms / p99_ms, same clock: same machine).
// On Redis, the same two processes also serve the propagation floor (propagation-floor.mjs): the same
// hops with no Tessera work on them, driven by the same loop, one floor revocation beside each of
// Tessera's, so both meet the same machine.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { startServerProcess } from './procs.mjs';
import { benchConfig, jwtIssuer } from './seed.mjs';
import { PROPAGATION_FLOOR_ID_HEADER } from './propagation-floor.mjs';

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const POLL_INTERVAL_MS = 1;
// Revocations made first and left out of the percentiles (still checked, and a miss still counts): the
// first one after the servers start pays for cold code on both (B's first full verification, first
// write and publish; A's first message), 12–24 ms against 2–5 ms for the rest, and with 200 samples
// p99 is the second-slowest, so one cold start decided it.
const WARMUP_REVOCATIONS = 5;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function request(port, method, path, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const summary = (values) => {
  const sorted = [...values].sort((x, y) => x - y);
  return { p50Ms: percentile(sorted, 50), p90Ms: percentile(sorted, 90), p99Ms: percentile(sorted, 99), maxMs: sorted.at(-1) ?? null };
};
const rounded = (values) => values.map((x) => Math.round(x * 100) / 100);

/**
 * One revocation through a chain: `accepted` is asked of A first (it must answer 200), then `revoke`
 * is sent to B and, from the same instant, `accepted` is polled every ~1 ms until A answers 401.
 * Returns how long until that 401 (null if not within `timeoutMs`) and how long B took to answer.
 */
async function revokeOnce(chain, timeoutMs) {
  const first = await chain.accepted();
  if (first.status !== 200) throw new Error(`propagation (${chain.name}): A refused before the revocation (${first.status})`);
  const t0 = performance.now();
  let answeredMs = null;
  const revoking = chain.revoke().then((res) => {
    answeredMs = performance.now() - t0;
    return res;
  });
  let refusedMs = null;
  while (performance.now() - t0 < timeoutMs) {
    const polled = await chain.accepted();
    if (polled.status === 401) {
      refusedMs = performance.now() - t0;
      break;
    }
    // ~1 ms between polls: a busy loop would take the CPU that B and the store need (2 cores).
    await sleep(POLL_INTERVAL_MS);
  }
  const out = await revoking;
  if (out.status !== 204) throw new Error(`propagation (${chain.name}): B answered the revocation with ${out.status}`);
  return { refusedMs, answeredMs };
}

/** Per chain: the samples (after the warm-up ones), B's answer times, the warm-up times, the misses. */
function newTally() {
  return { samples: [], answered: [], warmup: [], missed: 0 };
}

function record(tally, sample, warmup) {
  if (sample.refusedMs === null) tally.missed += 1;
  else (warmup ? tally.warmup : tally.samples).push(sample.refusedMs);
  if (!warmup) tally.answered.push(sample.answeredMs);
}

/**
 * @param {{ storeUrl: string, store: import('../../dist/stores/types.js').Store, users: object[], count: number, timeoutMs?: number, floorRedisUrl?: string | null }} options
 *   With `floorRedisUrl`, the propagation floor (propagation-floor.mjs) is measured on the same two
 *   processes, one floor revocation beside each of Tessera's (their order alternating).
 */
export async function measurePropagation({ storeUrl, store, users, count, timeoutMs = 2000, floorRedisUrl = null }) {
  const spec = { kind: 'reference', mode: 'jwt-push', store: storeUrl, algorithm: 'EdDSA', ...(floorRedisUrl ? { propagationFloor: floorRedisUrl } : {}) };
  const config = await benchConfig(store, { mode: 'jwt-push', algorithm: 'EdDSA' });
  const issuer = await jwtIssuer(config);
  const a = await startServerProcess(spec);
  const b = await startServerProcess(spec);
  try {
    const tallies = { tessera: newTally(), floor: newTally() };
    /** Tessera: a fresh access token accepted by A (so cached by A's verifier), logged out at B. */
    async function tesseraChain(i) {
      const { accessToken } = await issuer.issue(users[(i + users.length) % users.length]);
      const headers = { authorization: `Bearer ${accessToken}` };
      return {
        name: 'tessera',
        accepted: () => request(a.port, 'GET', '/auth/me', headers),
        revoke: () => request(b.port, 'POST', '/auth/logout', headers),
      };
    }
    /** The floor: a fresh id, checked at A, revoked at B. */
    function floorChain() {
      const headers = { [PROPAGATION_FLOOR_ID_HEADER]: randomBytes(12).toString('base64url') };
      return {
        name: 'floor',
        accepted: () => request(a.floorPort, 'GET', '/floor/check', headers),
        revoke: () => request(b.floorPort, 'POST', '/floor/revoke', headers),
      };
    }
    for (let i = -WARMUP_REVOCATIONS; i < count; i++) {
      const order = !floorRedisUrl ? ['tessera'] : i % 2 === 0 ? ['tessera', 'floor'] : ['floor', 'tessera'];
      for (const name of order) {
        const chain = name === 'tessera' ? await tesseraChain(i) : floorChain();
        record(tallies[name], await revokeOnce(chain, timeoutMs), i < 0);
      }
    }
    const postureA = JSON.parse((await request(a.port, 'GET', '/auth/posture')).body);
    const { tessera, floor } = tallies;
    return {
      revocations: count,
      warmupRevocations: WARMUP_REVOCATIONS,
      warmupMs: rounded(tessera.warmup),
      missedWithinTimeout: tessera.missed,
      pollIntervalMs: POLL_INTERVAL_MS,
      endToEnd: summary(tessera.samples),
      logoutAtB: (({ p50Ms, p99Ms }) => ({ p50Ms, p99Ms }))(summary(tessera.answered)),
      samplesMs: rounded(tessera.samples),
      feed: postureA.feed ?? null,
      ...(floorRedisUrl
        ? {
            floor: {
              endToEnd: summary(floor.samples),
              revokeAtB: (({ p50Ms, p99Ms }) => ({ p50Ms, p99Ms }))(summary(floor.answered)),
              warmupMs: rounded(floor.warmup),
              missedWithinTimeout: floor.missed,
              samplesMs: rounded(floor.samples),
            },
          }
        : {}),
    };
  } finally {
    await a.stop();
    await b.stop();
  }
}
