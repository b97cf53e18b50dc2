// `npm run bench`: Tessera's benchmark (issue 7). Loopback only, bounded (< 10 minutes), and it
// stops everything it starts (servers, redis-server, PostgreSQL) on success, error and SIGINT.
// Prints one table, writes bench/results/latest.json and docs/benchmarks.md.
//
// Environment (for development; the defaults are the full run):
//   BENCH_DURATION=4   seconds per measured cell     BENCH_WARMUP=1   seconds of warm-up per cell
//   BENCH_USERS=10000  distinct users                BENCH_ONLY=floor,postures,lookupFloor,peers,propagation,login,memory
//   BENCH_CELLS=jwt    only posture/peer cells whose id contains one of these (comma-separated)
//   BENCH_DEV=1        write bench/results/dev.json only (no latest.json, no docs)
//   BENCH_PAIR_ROUNDS=3, BENCH_PAIR_DURATION=2, BENCH_PAIR_WARMUP=0.5: the warm rounds of posture cells
//   BENCH_PEER_DURATION=2.5, BENCH_PEER_WARMUP=0.5: each run of the peers' head-to-head groups
//   BENCH_BUDGET=580   seconds this process may take (the build before it and the clean-up after fit the ten minutes)
//   BENCH_AB_DIST=dir  A/B of two builds: only the posture cells, each with a server of this build and one of the
//                      build in dir (a copy of an older dist/, inside the repository) side by side, rounds
//                      alternating; prints both builds' rounds and writes bench/results/dev.ab.json only
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { measureCryptoFloor } from './lib/crypto-floor.mjs';
import { measureInProcess } from './lib/in-process.mjs';
import { measureLogin } from './lib/login.mjs';
import { runFloorCell, runPeerGroup, runPostureAB, runPostureCell, mintPool } from './lib/postures.mjs';
import { FLOOR_ROUTES, seedFloor } from './lib/lookup-floor.mjs';
import { measurePropagation } from './lib/propagation.mjs';
import { killChildrenNow, runChildScript, stopChildren } from './lib/procs.mjs';
import { machineInfo, renderReport } from './lib/report.mjs';
import { benchConfig, inBatches, issueSessions, jwtIssuer, seedBetterAuth, seedExpressSessions, seedUsers } from './lib/seed.mjs';
import { killAllNow, startPostgres, startRedis, stopAll } from './services.mjs';
import { load } from './lib/dist.mjs';

const env = process.env;
const settings = {
  durationSec: Number(env.BENCH_DURATION ?? 4),
  warmupSec: Number(env.BENCH_WARMUP ?? 1),
  // Posture cells, warm: this many rounds of (baseline, authenticated), each run this long.
  pairRounds: Number(env.BENCH_PAIR_ROUNDS ?? 3),
  // 2 s runs after 0.5 s of warm-up (the peers' 2.5 s below) keep the whole run under ten minutes on a
  // slow machine too. (Until autocannon's sample tick was shortened, load.mjs, every run and warm-up was
  // rounded up to whole seconds: the run took 585 s on such a machine with rounds of 2 s after 1 s.)
  pairDurationSec: Number(env.BENCH_PAIR_DURATION ?? 2),
  pairWarmupSec: Number(env.BENCH_PAIR_WARMUP ?? 0.5),
  // Peer cells: every run of a head-to-head group this long (20 runs: the peers section fits).
  peerDurationSec: Number(env.BENCH_PEER_DURATION ?? 2.5),
  peerWarmupSec: Number(env.BENCH_PEER_WARMUP ?? 0.5),
  users: Number(env.BENCH_USERS ?? 10_000),
  revocations: Number(env.BENCH_REVOCATIONS ?? 200),
  memoryEntries: Number(env.BENCH_MEMORY_ENTRIES ?? 100_000),
  coldMintBudgetMs: Number(env.BENCH_MINT_BUDGET_MS ?? 4000),
  connections: 100,
  // The bound, enforced: a run that reaches it stops the section it is in (what that section measured
  // so far is kept), runs no other, writes the report with both named as failed, and stops everything
  // it started. The full run takes 500-515 s on the slowest machine seen so far.
  budgetSec: Number(env.BENCH_BUDGET ?? 580),
};
const abDist = env.BENCH_AB_DIST ?? null;
const only = new Set((abDist ? 'postures' : (env.BENCH_ONLY ?? 'floor,postures,lookupFloor,peers,propagation,login,memory')).split(',').map((s) => s.trim()));
const cellFilter = env.BENCH_CELLS ? env.BENCH_CELLS.split(',').map((s) => s.trim()) : null;
const dev = env.BENCH_DEV === '1';
const wanted = (id) => cellFilter === null || cellFilter.some((f) => id.includes(f));

// HS256 needs a shared secret of at least 32 bytes; a fixed one is fine on loopback.
const JWT_SECRET = 'tessera-bench-hs256-secret-0123456789abcdef';
const PEER_SECRET = 'tessera-bench-cookie-secret-0123456789abcdef';


const workDir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
let cleaning;
async function cleanup() {
  cleaning ??= (async () => {
    await stopChildren();
    await stopAll();
    rmSync(workDir, { recursive: true, force: true });
  })();
  return cleaning;
}
process.once('exit', () => {
  killChildrenNow();
  killAllNow();
  rmSync(workDir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping everything the benchmark started…`);
    cleanup().finally(() => process.exit(130));
  });
}

const log = (message) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);
const t0 = performance.now();

async function openStore(url) {
  const { openStore: open } = await load('stores/open-store.js');
  return open(url);
}

/** A store the benchmark seeded: URL, the parent's handle, its users, and the store server's pid. */
async function seededStore(url, pid = null) {
  const store = await openStore(url);
  const started = performance.now();
  const users = await seedUsers(store, settings.users);
  log(`seeded ${users.length} users into ${url.split(':')[0]} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { url, store, users, pid };
}

/** The cells of section 1: posture × store (× algorithm). */
function postureCells(stores) {
  const cells = [];
  const bearer = (t) => `Bearer ${t}`;
  for (const kind of ['sqlite', 'redis', 'postgres']) {
    cells.push({ id: `session/${kind}`, mode: 'session', store: kind, target: { sqlite: 0.75, redis: 0.85, postgres: 0.6 }[kind] });
  }
  for (const alg of ['EdDSA', 'ES256', 'RS256', 'HS256']) {
    cells.push({ id: `jwt/${alg}/sqlite`, mode: 'jwt', store: 'sqlite', algorithm: alg, target: alg === 'EdDSA' ? 0.9 : null });
  }
  cells.push({ id: 'jwt-denylist/redis', mode: 'jwt-denylist', store: 'redis', algorithm: 'EdDSA', target: 0.85 });
  cells.push({ id: 'jwt-push/redis', mode: 'jwt-push', store: 'redis', algorithm: 'EdDSA', target: 0.9 });
  return cells
    .filter((c) => wanted(c.id))
    .map((c) => ({
      ...c,
      async build() {
        const { url, store, users, pid } = await stores.get(c.store);
        const jwtSecret = c.algorithm === 'HS256' ? JWT_SECRET : undefined;
        const config = await benchConfig(store, { mode: c.mode, algorithm: c.algorithm, jwtSecret });
        const spec = { kind: 'reference', mode: c.mode, store: url, ...(c.algorithm ? { algorithm: c.algorithm } : {}), ...(jwtSecret ? { jwtSecret } : {}) };
        let warm;
        let mintCold;
        if (c.mode === 'session') {
          warm = (await issueSessions(config, users, users.length)).map(bearer);
          const { createSessions } = await load('core/session/sessions.js');
          const sessions = createSessions(config);
          mintCold = (n, budget) =>
            mintPool(n, budget, async (i) => bearer((await sessions.create(users[i % users.length], { ip: null, userAgent: 'tessera-bench' })).token));
        } else {
          const issuer = await jwtIssuer(config);
          warm = (await inBatches(users.length, 64, async (i) => (await issuer.issue(users[i])).accessToken)).map(bearer);
          mintCold = (n, budget) => mintPool(n, budget, async (i) => bearer(await issuer.mint(users[i % users.length])));
        }
        const inProcess = () => measureInProcess({ mode: c.mode, algorithm: c.algorithm, jwtSecret }, store, warm, { storePid: pid, count: 10_000 });
        return { id: c.id, spec, storePid: pid, authPath: '/auth/me', header: 'authorization', warm, mintCold, coldLikeWarm: c.mode === 'session', inProcess };
      },
    }));
}

/** The cells of section 2: the peers and Tessera on the same framework and store kind. */
function peerCells(stores) {
  const cells = [
    {
      id: 'peer/express-session+connect-redis',
      async build() {
        const { url, pid } = await stores.get('redis');
        const warm = await seedExpressSessions(url, PEER_SECRET, settings.users, settings.users);
        return { id: this.id, storePid: pid, spec: { kind: 'express-session', redisUrl: url, secret: PEER_SECRET }, authPath: '/me', basePath: '/ping', header: 'cookie', warm };
      },
    },
    {
      id: 'peer/tessera-express/session/redis',
      async build() {
        const { url, store, users, pid } = await stores.get('redis');
        const config = await benchConfig(store, { mode: 'session' });
        const warm = (await issueSessions(config, users, users.length)).map((t) => `__Host-tessera_sid=${t}`);
        return { id: this.id, storePid: pid, spec: { kind: 'tessera-express', mode: 'session', store: url }, authPath: '/me', basePath: '/ping', header: 'cookie', warm };
      },
    },
    {
      id: 'peer/tessera-express/jwt-push/redis',
      async build() {
        const { url, store, users, pid } = await stores.get('redis');
        const config = await benchConfig(store, { mode: 'jwt-push', algorithm: 'EdDSA' });
        const issuer = await jwtIssuer(config);
        const warm = await inBatches(users.length, 64, async (i) => `__Host-tessera_at=${(await issuer.issue(users[i])).accessToken}`);
        return { id: this.id, storePid: pid, spec: { kind: 'tessera-express', mode: 'jwt-push', store: url, algorithm: 'EdDSA' }, authPath: '/me', basePath: '/ping', header: 'cookie', warm };
      },
    },
    {
      id: 'peer/better-auth/fastify/sqlite',
      async build() {
        const path = join(workDir, 'better-auth.db');
        const { default: Database } = await import('better-sqlite3');
        const { betterAuth } = await import('better-auth');
        const { getMigrations } = await import('better-auth/db/migration');
        const { createBetterAuth } = await import('./lib/better-auth-config.mjs');
        const db = new Database(path);
        db.pragma('journal_mode = WAL');
        const auth = createBetterAuth(betterAuth, db, PEER_SECRET);
        await (await getMigrations(auth.options)).runMigrations();
        const warm = seedBetterAuth(db, PEER_SECRET, { users: settings.users, sessions: settings.users });
        // Cross-check: better-auth itself accepts a seeded cookie.
        const session = await auth.api.getSession({ headers: new Headers({ cookie: warm[0] }) });
        if (!session?.user?.email) throw new Error('better-auth refused a seeded session cookie');
        db.close();
        return { id: this.id, spec: { kind: 'better-auth', sqlitePath: path, secret: PEER_SECRET }, authPath: '/me', basePath: '/ping', header: 'cookie', warm };
      },
    },
    {
      id: 'peer/tessera-fastify/session/sqlite',
      async build() {
        const { url, store, users } = await stores.get('sqlite');
        const config = await benchConfig(store, { mode: 'session' });
        const warm = (await issueSessions(config, users, users.length)).map((t) => `__Host-tessera_sid=${t}`);
        return { id: this.id, spec: { kind: 'tessera-fastify', mode: 'session', store: url }, authPath: '/me', basePath: '/ping', header: 'cookie', warm };
      },
    },
  ];
  return cells.filter((c) => wanted(c.id));
}

async function main() {
  const results = { settings, machine: machineInfo(), startedAt: new Date().toISOString(), sections: {}, errors: [] };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });

  // Services start lazily, once, and are shared by every section that needs them.
  const services = {};
  const service = (name) => (services[name] ??= name === 'redis' ? startRedis() : startPostgres());
  const storeCache = new Map();
  const stores = {
    get(kind) {
      if (!storeCache.has(kind)) {
        storeCache.set(
          kind,
          (async () => {
            if (kind === 'sqlite') return seededStore(`sqlite:${join(workDir, 'tessera.db')}`);
            const svc = await service(kind);
            return seededStore(svc.url, svc.pid);
          })(),
        );
      }
      return storeCache.get(kind);
    },
  };

  // Settles (rejects) only when the budget is spent; every section races it.
  let budgetSpent = false;
  let budgetTimer;
  const budget = new Promise((_, reject) => {
    budgetTimer = setTimeout(() => {
      budgetSpent = true;
      reject(new Error(`stopped at the run's time budget (${settings.budgetSec} s, BENCH_BUDGET)`));
    }, Math.max(0, settings.budgetSec * 1000 - (performance.now() - t0)));
  });
  budget.catch(() => undefined);

  // A section's task gets `out` to fill as it goes (kept if the budget stops it) and returns its result.
  const section = async (name, task) => {
    if (!only.has(name)) return;
    if (budgetSpent) {
      results.errors.push({ section: name, message: `not run: the run had spent its time budget (${settings.budgetSec} s)` });
      return;
    }
    log(`section ${name}…`);
    const out = {};
    const running = Promise.resolve().then(() => task(out));
    running.catch(() => undefined); // once the budget wins the race, nobody waits for the task
    try {
      results.sections[name] = await Promise.race([running, budget]);
    } catch (error) {
      if (budgetSpent && Object.keys(out).length > 0) results.sections[name] = out;
      log(`section ${name} FAILED: ${budgetSpent ? error.message : (error.stack ?? error)}`);
      results.errors.push({ section: name, message: String(error.message ?? error) });
    }
  };

  await section('floor', () => measureCryptoFloor({ iterations: 2000 }));

  await section('postures', async (out) => {
    for (const cell of postureCells(stores)) {
      log(`posture ${cell.id}: seeding credentials…`);
      const built = await cell.build();
      if (abDist) {
        log(`posture ${cell.id}: this build and ${abDist}, side by side…`);
        out[cell.id] = await runPostureAB(built, settings, abDist);
        continue;
      }
      log(`posture ${cell.id}: in-process hot path…`);
      const inProcess = await built.inProcess();
      log(`posture ${cell.id}: measuring over HTTP…`);
      const result = await runPostureCell(built, settings);
      out[cell.id] = { ...result, inProcess, target: cell.target };
    }
    return out;
  });

  await section('lookupFloor', async () => {
    const { url: sqliteUrl, store: sqliteStore, users } = await stores.get('sqlite');
    const { url: redisUrl, pid } = await service('redis');
    const sqlitePath = join(workDir, 'floor.db');
    const tokens = Array.from({ length: settings.users }, () => randomBytes(32).toString('base64url'));
    log(`lookup floor: seeding ${tokens.length} keys into SQLite and Redis…`);
    await seedFloor({ sqlitePath, redisUrl, tokens });
    // The jwt floors get what the jwt cells send: an EdDSA access token per seeded user, signed with
    // the keys the jwt EdDSA cell's server used (same store).
    const issuer = await jwtIssuer(await benchConfig(sqliteStore, { mode: 'jwt', algorithm: 'EdDSA' }));
    const accessTokens = await inBatches(users.length, 64, (i) => issuer.mint(users[i]));
    const tokensPath = join(workDir, 'floor-access-tokens.json');
    writeFileSync(tokensPath, JSON.stringify(accessTokens));
    // The CPU-only route spins as long as jwt EdDSA's /auth/me handler costs beyond /healthz's,
    // in-process, in this run (3.5 µs when the postures did not run).
    const jwt = results.sections.postures?.['jwt/EdDSA/sqlite']?.inProcess;
    const spinUs = jwt ? Math.max(0, jwt.me.cpuUs - jwt.healthz.cpuUs) : 3.5;
    const spec = { kind: 'floor', mode: 'session', store: sqliteUrl, sqlitePath, redisUrl, spinUs, tokensPath };
    const measured = {};
    for (const [kind, values] of [
      ['store', tokens],
      ['jwt', accessTokens],
    ]) {
      const routes = FLOOR_ROUTES.filter((r) => (r.credentials ?? 'store') === kind);
      log(`lookup floor (${kind} credentials): /healthz and ${routes.map((r) => r.id).join(', ')}, in rounds…`);
      Object.assign(measured, await runFloorCell({ spec, paths: routes.map((r) => r.path), warm: values.map((t) => `Bearer ${t}`), storePid: pid }, settings));
    }
    return Object.fromEntries(
      FLOOR_ROUTES.map((r) => [
        r.id,
        { ...measured[r.path], path: r.path, what: r.what, bounds: r.bounds, credentials: r.credentials ?? 'store', ...(r.id === 'cpu-like-jwt' ? { spinUs } : {}) },
      ]),
    );
  });

  await section('peers', async (out) => {
    // Each group runs head to head (interleaved): Express peers on Redis, Fastify peers on SQLite.
    const groups = [
      peerCells(stores).filter((c) => c.id.includes('express')),
      peerCells(stores).filter((c) => !c.id.includes('express')),
    ];
    for (const group of groups.filter((g) => g.length > 0)) {
      const built = [];
      for (const cell of group) {
        log(`peer ${cell.id}: seeding…`);
        built.push(await cell.build());
      }
      log(`peers ${group.map((c) => c.id.split('/')[1]).join(' vs ')}: measuring, interleaved…`);
      Object.assign(out, await runPeerGroup(built, settings));
    }
    return out;
  });

  await section('propagation', async (out) => {
    for (const kind of ['redis', 'postgres']) {
      log(`propagation on ${kind}: ${settings.revocations} revocations…`);
      const { url, store, users } = await stores.get(kind);
      out[kind] = await measurePropagation({ storeUrl: url, store, users, count: settings.revocations, floorRedisUrl: kind === 'redis' ? url : null });
    }
    return out;
  });

  await section('login', () => measureLogin({ storeUrl: `sqlite:${join(workDir, 'login.db')}`, durationSec: Math.max(2, Math.min(4, settings.durationSec)) }));

  await section('memory', async () => {
    const { url } = await service('redis');
    log(`memory: ${settings.memoryEntries} revocations in jwt-push…`);
    return runChildScript(new URL('./lib/memory-probe.mjs', import.meta.url), [url, String(settings.memoryEntries)], {
      execArgv: ['--expose-gc'],
      timeoutMs: 180_000,
    });
  });

  for (const entry of storeCache.values()) {
    const { store } = await entry.catch(() => ({}));
    await store?.close().catch(() => undefined);
  }
  clearTimeout(budgetTimer);
  results.finishedAt = new Date().toISOString();
  results.totalSeconds = (performance.now() - t0) / 1000;
  if (abDist) {
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    for (const [id, rounds] of Object.entries(results.sections.postures ?? {})) {
      for (const [name, runs] of Object.entries(rounds)) {
        const build = name === 'this' ? env.BENCH_DIST ?? 'dist' : abDist;
        process.stdout.write(
          `${id} · ${build}: warm ratio median ${median(runs.map((r) => r.ratio)).toFixed(2)} (rounds ${runs.map((r) => r.ratio.toFixed(2)).join(' / ')}); ` +
            `server CPU per request beyond the baseline's, median ${median(runs.map((r) => r.extraCpuUs)).toFixed(1)} µs\n`,
        );
      }
    }
    writeFileSync(new URL('./results/dev.ab.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
    return results.errors.length === 0 ? 0 : 1;
  }
  const report = renderReport(results);
  process.stdout.write(`${report.table}\n`);
  if (dev) {
    writeFileSync(new URL('./results/dev.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(new URL('./results/dev.svg', import.meta.url), report.svg);
    writeFileSync(new URL('./results/dev.md', import.meta.url), report.markdown);
  } else {
    writeFileSync(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(new URL('../docs/benchmarks.md', import.meta.url), report.markdown);
    writeFileSync(new URL('./results/latest.svg', import.meta.url), report.svg);
  }
  log(`done in ${results.totalSeconds.toFixed(0)} s${results.errors.length ? ` with ${results.errors.length} failed section(s)` : ''}`);
  return results.errors.length === 0 ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(error);
} finally {
  await cleanup();
}
process.exit(code);
