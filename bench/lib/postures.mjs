// Section 1 and 2 cells: a server under test, its unauthenticated baseline (`/healthz`, or the
// peers' plain `/ping`) measured
// before and after, and its authenticated route warm (10 000 credentials round-robin, after one
// pass over all of them) and, for the postures, cold (each request a credential never used before).
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { startServerProcess } from './procs.mjs';
import { credentialSource, prime, runCell } from './load.mjs';
import { processTreeCpuUs } from './proc-cpu.mjs';

/** The figures a cell keeps of one autocannon run, with the server's CPU share over it. */
async function measured(server, options, storePid) {
  let storeCpuBefore = null;
  const result = await runCell({
    ...options,
    beforeMeasure: async () => {
      await server.mark();
      storeCpuBefore = processTreeCpuUs(storePid);
    },
  });
  const stats = await server.stats();
  const storeCpuAfter = processTreeCpuUs(storePid);
  return {
    ...result,
    // The store server's CPU (redis-server, postgres) per answered request, when there is one.
    storeCpuUsPerRequest: storeCpuBefore !== null && storeCpuAfter !== null && result.total > 0 ? (storeCpuAfter - storeCpuBefore) / result.total : null,
    serverCpuShare: stats.cpuShare,
    // Server CPU per answered request: robust to a noisy machine, unlike req/s.
    serverCpuUsPerRequest: result.total > 0 ? stats.cpuUs / result.total : null,
    serverRssBytes: stats.rssBytes,
    serverLoopDelayMs: stats.loopDelayMs,
  };
}

function getOnce(port, path, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Mints up to `count` cold credentials with `mintOne(i)` (64 in flight), stopping early once
 * `budgetMs` has passed: some algorithms (RS256 signing) are too slow to mint a full pool.
 */
export async function mintPool(count, budgetMs, mintOne) {
  const out = [];
  const started = performance.now();
  while (out.length < count && performance.now() - started < budgetMs) {
    const batch = Math.min(256, count - out.length);
    const base = out.length;
    out.push(...(await Promise.all(Array.from({ length: batch }, (_, i) => mintOne(base + i)))));
  }
  return { values: out, ms: performance.now() - started };
}

/**
 * Runs one cell.
 * @param {object} cell
 * @param {object} cell.spec           server spec (see server.mjs)
 * @param {object} [cell.env]          extra environment of the server process
 * @param {string} cell.authPath       the authenticated route
 * @param {string} [cell.basePath]      the unauthenticated baseline route (default /healthz)
 * @param {number} [cell.storePid]      pid of the store server, to count its CPU per request
 * @param {string} cell.header         request header carrying the credential
 * @param {string[]} cell.warm         credential header values (one per user)
 * @param {(n: number, budgetMs: number) => Promise<{values: string[], ms: number}>} [cell.mintCold]  cold pool factory
 * @param {boolean} [cell.coldLikeWarm]  a cold request costs the server what a warm one does (session)
 * @param {{ durationSec: number, warmupSec: number, coldMintBudgetMs: number }} settings
 */
export async function runPostureCell(cell, settings) {
  const { durationSec, warmupSec } = settings;
  const server = await startServerProcess(cell.spec, cell.env);
  try {
    const check = await getOnce(server.port, cell.authPath, { [cell.header]: cell.warm[0] });
    if (check.status !== 200) throw new Error(`${cell.id}: a seeded credential was refused (${check.status}): ${check.body.slice(0, 200)}`);
    const warmSource = credentialSource('warm', cell.warm);
    const common = { port: server.port, header: cell.header, durationSec, warmupSec };
    const basePath = cell.basePath ?? '/healthz';
    const primed = await prime({ port: server.port, path: cell.authPath, header: cell.header, source: warmSource });
    if (primed.non2xx > 0 || primed.errors > 0) throw new Error(`${cell.id}: priming pass had ${primed.non2xx} non-2xx, ${primed.errors} errors`);
    // Warm: rounds of (baseline, authenticated) back to back; each round's ratio compares two runs a
    // few seconds apart, and the cell's ratio is the median round, so a burst of load from the
    // machine's neighbours moves one round, not the figure.
    const round = { ...common, durationSec: settings.pairDurationSec, warmupSec: settings.pairWarmupSec };
    const baseRuns = [];
    const warmRuns = [];
    for (let i = 0; i < settings.pairRounds; i++) {
      baseRuns.push(await measured(server, { ...round, path: basePath, source: warmSource }, cell.storePid));
      warmRuns.push(await measured(server, { ...round, path: cell.authPath, source: warmSource }, cell.storePid));
    }
    const warm = meanRun(warmRuns);
    let cold = null;
    if (cell.mintCold) {
      // A short probe (its own fresh credentials) estimates the cold rate; the pool is sized from it.
      const probePool = await cell.mintCold(2000, settings.coldMintBudgetMs);
      const probeSource = credentialSource('cold-probe', probePool.values, { once: true });
      const probe = await runCell({ ...common, path: cell.authPath, source: probeSource, warmupSec: 0, amount: probePool.values.length });
      // The probe is short (ramp-up and tail included), so it underestimates the rate. A session is
      // one store read warm or cold, so its cold rate is about its warm rate; a jwt's cold rate is
      // below the warm one (a full signature check) and above the probe's.
      const expected = cell.coldLikeWarm ? warm.rps : Math.min(warm.rps, probe.rps * 2.5);
      const wanted = Math.ceil(expected * durationSec * 1.2) + 500;
      const pool = await cell.mintCold(wanted, settings.coldMintBudgetMs);
      const coldSource = credentialSource('cold', pool.values, { once: true });
      const result = await measured(server, { ...common, path: cell.authPath, source: coldSource, warmupSec: 0, amount: pool.values.length }, cell.storePid);
      cold = {
        ...result,
        pool: pool.values.length,
        mintMs: pool.ms,
        probeRps: probe.rps,
        reused: coldSource.stats().reused,
        // The pool ran out before the duration: fewer seconds measured (RS256: slow to mint).
        short: result.seconds < durationSec * 0.95,
      };
    }
    const pairs = baseRuns.map((base, i) => ({
      baseRps: base.rps,
      warmRps: warmRuns[i].rps,
      ratio: warmRuns[i].rps / base.rps,
      cpuRatio: warmRuns[i].serverCpuUsPerRequest > 0 ? base.serverCpuUsPerRequest / warmRuns[i].serverCpuUsPerRequest : null,
    }));
    return { id: cell.id, base: meanRun(baseRuns), pairs, warm, cold, primed };
  } finally {
    await server.stop();
  }
}

/**
 * An A/B of two builds of one posture cell (`BENCH_AB_DIST`): a server from this run's build and
 * one from `otherDist`, both up at once on the same store and credentials, in rounds of (baseline,
 * authenticated route) on one and then the other, the order alternating each round, so that the
 * machine's drift falls on both. Whole runs of the same code move by more than most changes do;
 * this is how a change is judged (docs/benchmarks.md).
 * @returns {Promise<Record<'this' | 'other', Array<{ ratio: number, extraCpuUs: number }>>>}
 */
export async function runPostureAB(cell, settings, otherDist) {
  const servers = {
    this: await startServerProcess(cell.spec, cell.env),
    other: await startServerProcess(cell.spec, { ...cell.env, BENCH_DIST: otherDist }),
  };
  try {
    const source = credentialSource('warm', cell.warm);
    for (const [name, server] of Object.entries(servers)) {
      const check = await getOnce(server.port, cell.authPath, { [cell.header]: cell.warm[0] });
      if (check.status !== 200) throw new Error(`${cell.id} (${name} build): a seeded credential was refused (${check.status})`);
      await prime({ port: server.port, path: cell.authPath, header: cell.header, source });
    }
    const round = { header: cell.header, source, durationSec: settings.pairDurationSec, warmupSec: settings.pairWarmupSec };
    const rounds = { this: [], other: [] };
    for (let i = 0; i < settings.pairRounds; i++) {
      for (const name of i % 2 === 0 ? ['this', 'other'] : ['other', 'this']) {
        const { port } = servers[name];
        const base = await measured(servers[name], { ...round, port, path: cell.basePath ?? '/healthz' }, cell.storePid);
        const auth = await measured(servers[name], { ...round, port, path: cell.authPath }, cell.storePid);
        rounds[name].push({ ratio: auth.rps / base.rps, extraCpuUs: auth.serverCpuUsPerRequest - base.serverCpuUsPerRequest });
      }
    }
    return rounds;
  } finally {
    for (const server of Object.values(servers)) await server.stop();
  }
}

/**
 * The lookup-floor routes (lookup-floor.mjs) on one server: every route checked once (nothing to
 * prime: no route caches anything), then rounds of /healthz followed by each route, each run as long
 * as a posture's warm round. Each route's result has the shape of `runPostureCell`'s (its pairs
 * against the round's /healthz; no cold run).
 * @param {{ spec: object, paths: string[], warm: string[], storePid?: number }} cell  warm: `Bearer …` values
 */
export async function runFloorCell(cell, settings) {
  const server = await startServerProcess(cell.spec);
  try {
    const header = 'authorization';
    for (const path of cell.paths) {
      const check = await getOnce(server.port, path, { [header]: cell.warm[0] });
      if (check.status !== 200) throw new Error(`floor ${path}: answered ${check.status}: ${check.body.slice(0, 200)}`);
    }
    const source = credentialSource('warm', cell.warm);
    const round = { port: server.port, header, durationSec: settings.pairDurationSec, warmupSec: settings.pairWarmupSec, source };
    const baseRuns = [];
    const runs = new Map(cell.paths.map((path) => [path, []]));
    for (let i = 0; i < settings.pairRounds; i++) {
      baseRuns.push(await measured(server, { ...round, path: '/healthz' }, cell.storePid));
      for (const path of cell.paths) runs.get(path).push(await measured(server, { ...round, path }, cell.storePid));
    }
    const base = meanRun(baseRuns);
    return Object.fromEntries(
      cell.paths.map((path) => {
        const pathRuns = runs.get(path);
        const pairs = baseRuns.map((b, i) => ({
          baseRps: b.rps,
          warmRps: pathRuns[i].rps,
          ratio: pathRuns[i].rps / b.rps,
          cpuRatio: pathRuns[i].serverCpuUsPerRequest > 0 ? b.serverCpuUsPerRequest / pathRuns[i].serverCpuUsPerRequest : null,
        }));
        return [path, { id: path, base, pairs, warm: meanRun(pathRuns), cold: null }];
      }),
    );
  } finally {
    await server.stop();
  }
}

/** Ratios of a cell: the baseline is the mean of the two baseline runs around it. */
export function ratios(cellResult) {
  const { warm, cold, pairs } = cellResult;
  // Posture cells: the paired rounds' baseline; peers: the mean of the baselines before and after.
  const bases = cellResult.base ? [cellResult.base] : [cellResult.baseBefore, cellResult.baseAfter];
  const mean = (key) => bases.reduce((sum, b) => sum + b[key], 0) / bases.length;
  const baseRps = mean('rps');
  const baseP99 = mean('p99');
  const baseCpu = mean('serverCpuUsPerRequest');
  const median = (values) => {
    const sorted = values.filter((v) => typeof v === 'number').sort((a, b) => a - b);
    if (sorted.length === 0) return null;
    const middle = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  };
  const shape = (r, paired) =>
    r === null
      ? null
      : {
          rps: r.rps,
          ratio: paired ? median(pairs.map((p) => p.ratio)) : r.rps / baseRps,
          ratioRange: paired ? [Math.min(...pairs.map((p) => p.ratio)), Math.max(...pairs.map((p) => p.ratio))] : null,
          p99: r.p99,
          p99Ratio: baseP99 > 0 ? r.p99 / baseP99 : null,
          cpuUs: r.serverCpuUsPerRequest,
          storeCpuUs: r.storeCpuUsPerRequest,
          // The CPU-bound ceiling of the ratio: baseline CPU per request ÷ this shape's.
          cpuRatio: paired ? median(pairs.map((p) => p.cpuRatio)) : r.serverCpuUsPerRequest > 0 ? baseCpu / r.serverCpuUsPerRequest : null,
        };
  return { baseRps, baseP99, baseCpuUs: baseCpu, warm: shape(warm, Array.isArray(pairs) && pairs.length > 0), cold: shape(cold, false) };
}

/** Mean of several runs of one shape (req/s, latency, CPU per request). */
function meanRun(runs) {
  const mean = (key) => {
    const values = runs.map((r) => r[key]).filter((v) => typeof v === 'number');
    return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
  };
  return {
    rps: mean('rps'),
    p50: mean('p50'),
    p90: mean('p90'),
    p99: mean('p99'),
    total: runs.reduce((sum, r) => sum + r.total, 0),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    serverCpuShare: mean('serverCpuShare'),
    serverCpuUsPerRequest: mean('serverCpuUsPerRequest'),
    storeCpuUsPerRequest: mean('storeCpuUsPerRequest'),
    runs,
  };
}

/**
 * Peers compared head to head: every server of the group is started and primed, then their runs are
 * interleaved (baselines, authenticated ×2, baselines), so a change in the machine's load hits every
 * member alike. Each member's result has the shape of `runPostureCell`'s (warm = mean of its two runs).
 */
export async function runPeerGroup(cells, settings) {
  const durationSec = settings.peerDurationSec ?? settings.durationSec;
  const warmupSec = settings.peerWarmupSec ?? settings.warmupSec;
  const servers = [];
  try {
    for (const cell of cells) {
      const server = await startServerProcess(cell.spec, cell.env);
      servers.push(server);
      const check = await getOnce(server.port, cell.authPath, { [cell.header]: cell.warm[0] });
      if (check.status !== 200) throw new Error(`${cell.id}: a seeded credential was refused (${check.status}): ${check.body.slice(0, 200)}`);
    }
    const sources = cells.map((cell) => credentialSource('warm', cell.warm));
    const run = (i, path) =>
      measured(servers[i], { port: servers[i].port, header: cells[i].header, durationSec, warmupSec, path, source: sources[i] }, cells[i].storePid);
    const out = cells.map(() => ({ base: [], warm: [], primed: null }));
    for (let i = 0; i < cells.length; i++) out[i].base.push(await run(i, cells[i].basePath ?? '/healthz'));
    for (let i = 0; i < cells.length; i++) {
      out[i].primed = await prime({ port: servers[i].port, path: cells[i].authPath, header: cells[i].header, source: sources[i] });
      if (out[i].primed.non2xx > 0 || out[i].primed.errors > 0) throw new Error(`${cells[i].id}: priming pass had errors`);
    }
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < cells.length; i++) out[i].warm.push(await run(i, cells[i].authPath));
    }
    for (let i = cells.length - 1; i >= 0; i--) out[i].base.push(await run(i, cells[i].basePath ?? '/healthz'));
    return Object.fromEntries(
      cells.map((cell, i) => [cell.id, { id: cell.id, baseBefore: out[i].base[0], baseAfter: out[i].base[1], warm: meanRun(out[i].warm), cold: null, primed: out[i].primed }]),
    );
  } finally {
    for (const server of servers) await server.stop();
  }
}
