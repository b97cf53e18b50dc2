// Turns the raw results into the one table printed on stdout, docs/benchmarks.md and an SVG bar
// chart of the ratios (hand-made, no chart library).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import { floorsFor } from './lookup-floor.mjs';
import { ratios } from './postures.mjs';

const require = createRequire(import.meta.url);

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
  } catch {
    try {
      // Packages whose exports hide package.json: find it next to the entry point.
      const entry = require.resolve(name);
      const root = entry.slice(0, entry.lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}/`.length);
      return JSON.parse(readFileSync(`${root}package.json`, 'utf8')).version;
    } catch {
      return null;
    }
  }
}

function commandVersion(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0];
  } catch {
    return null;
  }
}

/** `postgres --version` of Debian's newest PostgreSQL server, or null. */
function postgresVersion() {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(`${root}/${v}/bin/postgres`))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? commandVersion(`${root}/${versions[0]}/bin/postgres`, ['--version']) : null;
}

/** Machine, runtime and package versions, recorded with every run. */
export function machineInfo() {
  const tessera = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const packages = {};
  for (const name of ['fastify', 'express', 'jose', 'ioredis', 'better-sqlite3', 'pg', 'argon2', 'autocannon', 'express-session', 'connect-redis', 'better-auth', 'kysely']) {
    packages[name] = packageVersion(name);
  }
  return {
    cpus: os.cpus(),
    cpuCount: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    totalMemoryBytes: os.totalmem(),
    loadAverageAtStart: os.loadavg(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    tessera: tessera.version,
    packages,
    redis: commandVersion('redis-server', ['--version']),
    postgres: postgresVersion(),
  };
}

const int = (n) => (n === null || n === undefined || Number.isNaN(n) ? '—' : Math.round(n).toLocaleString('en-US'));
const fixed = (n, d = 2) => (n === null || n === undefined || Number.isNaN(n) ? '—' : n.toFixed(d));
/** A ratio beside its target: a third digit when two would read as the target itself (0.848 misses 0.85). */
const nearTarget = (n, target) => fixed(n, fixed(n) === fixed(target) ? 3 : 2);
const ms = (n) => (n === null || n === undefined ? '—' : n < 10 ? n.toFixed(1) : Math.round(n).toString());

const LABELS = {
  'session/sqlite': 'session · SQLite',
  'session/redis': 'session · Redis',
  'session/postgres': 'session · PostgreSQL',
  'jwt/EdDSA/sqlite': 'jwt EdDSA',
  'jwt/ES256/sqlite': 'jwt ES256',
  'jwt/RS256/sqlite': 'jwt RS256',
  'jwt/HS256/sqlite': 'jwt HS256',
  'jwt-denylist/redis': 'jwt-denylist · Redis',
  'jwt-push/redis': 'jwt-push · Redis',
  'peer/express-session+connect-redis': 'express-session + connect-redis (Express)',
  'peer/tessera-express/session/redis': 'Tessera Express adapter, session · Redis',
  'peer/tessera-express/jwt-push/redis': 'Tessera Express adapter, jwt-push · Redis',
  'peer/better-auth/fastify/sqlite': 'better-auth getSession (Fastify) · SQLite',
  'peer/tessera-fastify/session/sqlite': 'Tessera Fastify plugin, session · SQLite',
};

/**
 * The warm row of a cell (posture or floor): its figures, and notes — `notes` first, then the rounds
 * and the store's CPU.
 */
function warmRow(group, what, cell, r, notes) {
  return {
    group,
    what,
    shape: 'warm',
    rps: r.warm.rps,
    ratio: r.warm.ratio,
    p99: r.warm.p99,
    p99Ratio: r.warm.p99Ratio,
    cpuUs: r.warm.cpuUs,
    cpuRatio: r.warm.cpuRatio,
    bad: cell.warm.non2xx + cell.warm.errors,
    note: [
      ...notes,
      cell.pairs ? `median of ${cell.pairs.length} rounds: ${cell.pairs.map((p) => fixed(p.ratio)).join(' / ')}` : null,
      r.warm.storeCpuUs !== null && r.warm.storeCpuUs !== undefined ? `store CPU ${ms(r.warm.storeCpuUs)} µs/req` : null,
    ]
      .filter(Boolean)
      .join('; '),
  };
}

/** What the propagation floor measures (propagation-floor.mjs). */
const PROPAGATION_FLOOR_WHAT =
  "a fresh id checked at A, then POST to B, which runs one Redis script (write the entry with a TTL, PUBLISH its id) and answers 204, while A is polled until its subscriber has the id and it answers 401: the hops of a pushed revocation (HTTP to B, one write-and-publish round trip, delivery to A, A's next poll) with none of Tessera's work on them (B's token check, A's token verification), on the same two processes, one floor revocation beside each of Tessera's";

/** How far a control may read from 1 before the floors of its rounds are called inconclusive. */
const CONTROL_TOLERANCE = 0.05;

/**
 * The control of a floor's rounds (lookup-floor.mjs, `control-store` / `control-jwt`): /healthz's
 * twin, which costs what /healthz costs and so should read 1. Where it reads further off than
 * CONTROL_TOLERANCE, the machine moved more within those rounds than a floor's gap to a target, and
 * no floor measured in them decides whether a target is beyond the machine.
 * @param {string} credentials  the floor route's kind: `store` or `jwt`
 * @returns {{ value: number, trusted: boolean } | null}  null when the run has no such control
 */
function controlReading(results, credentials) {
  const cell = results.sections.lookupFloor?.[`control-${credentials}`];
  if (!cell?.base) return null;
  const value = ratios(cell).warm.ratio;
  return { value, trusted: Math.abs(value - 1) <= CONTROL_TOLERANCE };
}

/** The control of the rounds a floor route ran in. */
const controlOf = (results, route) => controlReading(results, route.credentials ?? 'store');

/** Every row of the report: { group, what, shape, rps, ratio, p99, p99Ratio, cpu, note, target, verdict }. */
function buildRows(results) {
  const rows = [];
  const verdicts = [];
  const { postures = {}, peers = {}, propagation, login, memory, floor, lookupFloor } = results.sections;
  // The floors of a posture cell measured in this run (lookup-floor.mjs), as text for the targets table.
  const floorsText = (id) => {
    const measured = floorsFor(id).filter((route) => lookupFloor?.[route.id]);
    if (measured.length === 0) return null;
    const text = measured.map((route) => `${fixed(ratios(lookupFloor[route.id]).warm.ratio)} (${route.short})`).join('; ');
    const control = controlOf(results, measured[0]);
    return control && !control.trusted ? `${text}; inconclusive: the control of these rounds read ${fixed(control.value)}` : text;
  };

  const cellRows = (group, id, cell, target) => {
    const r = ratios(cell);
    const basePath = id.startsWith('peer/') ? 'baseline /ping' : 'baseline /healthz';
    rows.push({ group, what: LABELS[id] ?? id, shape: basePath, rps: r.baseRps, ratio: 1, p99: r.baseP99, p99Ratio: 1, cpuUs: r.baseCpuUs, cpuRatio: 1 });
    const warmVerdict = target ? (r.warm.ratio >= target ? 'PASS' : 'MISS') : '';
    rows.push({
      ...warmRow(group, LABELS[id] ?? id, cell, r, [cell.inProcess ? `in-process: authenticate ${ms(cell.inProcess.authenticate.cpuUs)} µs CPU` : null]),
      target: target ? `≥ ${target.toFixed(2)}` : '',
      verdict: warmVerdict,
    });
    if (target) {
      verdicts.push({ what: `${LABELS[id] ?? id}, warm`, target: `≥ ${target.toFixed(2)} of /healthz`, measured: nearTarget(r.warm.ratio, target), verdict: warmVerdict, floor: floorsText(id) });
    }
    if (r.cold) {
      rows.push({
        group,
        what: LABELS[id] ?? id,
        shape: cell.cold.short ? `cold (${cell.cold.seconds.toFixed(1)} s)` : 'cold',
        rps: r.cold.rps,
        ratio: r.cold.ratio,
        p99: r.cold.p99,
        p99Ratio: r.cold.p99Ratio,
        cpuUs: r.cold.cpuUs,
        cpuRatio: r.cold.cpuRatio,
        bad: cell.cold.non2xx + cell.cold.errors + cell.cold.reused,
        note: [
          `${int(cell.cold.total)} new credentials`,
          r.cold.storeCpuUs !== null && r.cold.storeCpuUs !== undefined ? `store CPU ${ms(r.cold.storeCpuUs)} µs/req` : null,
        ]
          .filter(Boolean)
          .join('; '),
      });
    }
    return r;
  };

  for (const [id, cell] of Object.entries(postures)) cellRows('1 postures', id, cell, cell.target);

  const peerRatios = {};
  for (const [id, cell] of Object.entries(peers)) peerRatios[id] = cellRows('2 peers', id, cell, null);
  const vsExpress = (id) => {
    const ours = peerRatios[id];
    const theirs = peerRatios['peer/express-session+connect-redis'];
    if (!ours || !theirs) return;
    // Measured head to head (interleaved runs); the req/s factor, and the same factor after each is
    // divided by its own framework baseline (which cancels a drift of the machine between the runs).
    const factor = ours.warm.rps / theirs.warm.rps;
    const normalized = ours.warm.ratio / theirs.warm.ratio;
    const isTarget = id === 'peer/tessera-express/session/redis';
    const verdict = isTarget ? (factor >= 1.3 ? 'PASS' : 'MISS') : '';
    rows.push({
      group: '2 peers',
      what: `${LABELS[id]} ÷ express-session`,
      shape: 'warm req/s',
      factorText: `${factor.toFixed(2)}×`,
      target: isTarget ? '≥ 1.30×' : '',
      verdict,
      note: `${normalized.toFixed(2)}× after dividing each by its own /ping`,
    });
    if (isTarget) {
      verdicts.push({
        what: 'Tessera Express adapter (session · Redis) vs express-session + connect-redis',
        target: '≥ 1.30× req/s',
        measured: `${factor.toFixed(2)}× (${normalized.toFixed(2)}× of own baselines)`,
        verdict,
      });
    }
  };
  vsExpress('peer/tessera-express/session/redis');
  vsExpress('peer/tessera-express/jwt-push/redis');
  const ba = peerRatios['peer/better-auth/fastify/sqlite'];
  const tf = peerRatios['peer/tessera-fastify/session/sqlite'];
  if (ba && tf) {
    rows.push({
      group: '2 peers',
      what: 'Tessera Fastify (session · SQLite) ÷ better-auth',
      shape: 'warm req/s',
      factorText: `${(tf.warm.rps / ba.warm.rps).toFixed(2)}×`,
      note: `${(tf.warm.ratio / ba.warm.ratio).toFixed(2)}× after dividing each by its own /ping`,
    });
  }

  if (propagation) {
    for (const [kind, p] of Object.entries(propagation)) {
      const target = kind === 'redis';
      const verdict = target ? (p.endToEnd.p99Ms !== null && p.endToEnd.p99Ms < 10 && p.missedWithinTimeout === 0 ? 'PASS' : 'MISS') : '';
      rows.push({
        group: '3 propagation',
        what: `jwt-push, 2 instances · ${kind === 'redis' ? 'Redis' : 'PostgreSQL'}`,
        shape: `${p.revocations} revocations${p.warmupRevocations ? ` after ${p.warmupRevocations}` : ''}`,
        note: `end to end p50 ${ms(p.endToEnd.p50Ms)} / p99 ${ms(p.endToEnd.p99Ms)} ms; feed p50 ${ms(p.feed?.p50_ms)} / p99 ${ms(p.feed?.p99_ms)} ms${p.logoutAtB ? `; B's logout answered p50 ${ms(p.logoutAtB.p50Ms)} / p99 ${ms(p.logoutAtB.p99Ms)} ms` : ''}${p.missedWithinTimeout ? `; ${p.missedWithinTimeout} not seen in 2 s` : ''}${p.warmupMs?.length ? `; the ${p.warmupMs.length} warm-up revocations (not in the percentiles): ${p.warmupMs.map((x) => ms(x)).join(' / ')} ms` : ''}`,
        target: target ? 'p99 < 10 ms' : '',
        verdict,
      });
      const f = p.floor;
      if (f) {
        rows.push({
          group: '3 propagation',
          what: `floor: the same hops, no Tessera work · ${kind === 'redis' ? 'Redis' : 'PostgreSQL'}`,
          shape: `${p.revocations} revocations${p.warmupRevocations ? ` after ${p.warmupRevocations}` : ''}, interleaved`,
          note: `end to end p50 ${ms(f.endToEnd.p50Ms)} / p99 ${ms(f.endToEnd.p99Ms)} ms; B's answer p50 ${ms(f.revokeAtB.p50Ms)} / p99 ${ms(f.revokeAtB.p99Ms)} ms${f.missedWithinTimeout ? `; ${f.missedWithinTimeout} not seen in 2 s` : ''}: ${PROPAGATION_FLOOR_WHAT}`,
        });
      }
      if (target) {
        verdicts.push({
          what: 'jwt-push propagation, Redis (end to end, p99)',
          target: '< 10 ms',
          measured: `${ms(p.endToEnd.p99Ms)} ms (feed p99 ${ms(p.feed?.p99_ms)} ms)`,
          verdict,
          floor: f ? `p99 ${ms(f.endToEnd.p99Ms)} ms, p50 ${ms(f.endToEnd.p50Ms)} (the same hops with no Tessera work, interleaved)${f.endToEnd.p99Ms >= 10 ? ': the target is beyond this machine in this run' : ''}` : null,
        });
      }
    }
  }

  if (login) {
    const a = login.argon2;
    rows.push({
      group: '4 login',
      what: `login, argon2id m=${a.memoryKiB} KiB t=${a.timeCost} p=${a.parallelism}`,
      shape: 'one at a time',
      note: `${ms(login.inProcessSequential.p50Ms)} ms per login (p50, in-process)`,
    });
    rows.push({
      group: '4 login',
      what: `${login.storm.concurrent} concurrent logins, repeated`,
      shape: 'storm',
      note: `${fixed(login.storm.loginsPerSec, 1)} logins/s; /healthz p99 ${ms(login.healthz.quiet.p99)} → ${ms(login.healthz.duringStorm.p99)} ms (10 connections); event-loop delay p99 ${ms(login.healthz.quiet.eventLoopDelayMs?.p99)} → ${ms(login.healthz.duringStorm.eventLoopDelayMs?.p99)} ms`,
      rps: login.healthz.duringStorm.rps,
      p99: login.healthz.duringStorm.p99,
      p99Ratio: login.healthz.quiet.p99 > 0 ? login.healthz.duringStorm.p99 / login.healthz.quiet.p99 : null,
    });
  }

  if (memory) {
    rows.push({
      group: '5 memory',
      what: 'jwt-push in-memory revocations',
      shape: `${int(memory.entries)} entries`,
      note: `RSS +${fixed(memory.rssDeltaBytes / 1048576, 1)} MiB (${int(memory.rssPerEntryBytes)} B/entry); heap +${fixed(memory.heapDeltaBytes / 1048576, 1)} MiB (${int(memory.heapPerEntryBytes)} B/entry)`,
    });
  }

  if (floor) {
    for (const [alg, f] of Object.entries(floor)) {
      rows.push({
        group: '6 crypto floor',
        what: `verify ${alg}`,
        shape: 'per token',
        note: `node:crypto ${ms(f.nodeVerifyP50Us)} µs (${int(1e6 / f.nodeVerifyP50Us)}/s per core); jose ${ms(f.joseVerifyP50Us)} µs one at a time, ${int(f.joseConcurrentOpsPerSec)}/s with 100 in flight; Tessera's verifier, cold: ${ms(f.tesseraColdCpuUs)} µs CPU, ${int(f.tesseraColdOpsPerSec)}/s`,
      });
    }
  }
  if (lookupFloor) {
    for (const [id, cell] of Object.entries(lookupFloor)) {
      const label = id.startsWith('control-') ? `control: ${id.slice('control-'.length)} rounds` : id === 'deferred' ? 'probe: deferred answer' : `floor: ${id}`;
      rows.push(
        warmRow('7 lookup floor', label, cell, ratios(cell), [
          cell.spinUs === undefined ? cell.what : `${cell.what} (${ms(cell.spinUs)} µs)`,
          cell.bounds.length > 0 ? `floor of ${cell.bounds.map((b) => LABELS[b] ?? b).join(', ')}` : null,
        ]),
      );
    }
  }
  return { rows, verdicts };
}

function textTable(rows) {
  const header = ['section', 'what', 'shape', 'req/s', '×base', 'p99 ms', 'p99×base', 'CPU µs/req', 'base÷CPU', 'target', 'verdict', 'notes'];
  const body = rows.map((r) => [
    r.group,
    r.what,
    r.shape ?? '',
    r.factorText ?? (r.rps !== undefined ? int(r.rps) : ''),
    r.ratio !== undefined ? fixed(r.ratio) : '',
    r.p99 !== undefined ? ms(r.p99) : '',
    r.p99Ratio !== undefined && r.p99Ratio !== null ? fixed(r.p99Ratio) : '',
    r.cpuUs !== undefined && r.cpuUs !== null ? int(r.cpuUs) : '',
    r.cpuRatio !== undefined && r.cpuRatio !== null ? fixed(r.cpuRatio) : '',
    r.target ?? '',
    `${r.verdict ?? ''}${r.bad ? ' (!errors)' : ''}`,
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => String(row[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join(' │ ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...body.map(line)].join('\n');
}

function markdownTable(rows) {
  const header = '| section | what | shape | req/s | × base | p99 ms | p99 × base | server CPU µs / req | base CPU ÷ CPU | target | verdict | notes |';
  const sep = '|---|---|---|--:|--:|--:|--:|--:|--:|---|---|---|';
  const body = rows.map(
    (r) =>
      `| ${r.group} | ${r.what} | ${r.shape ?? ''} | ${r.factorText ?? (r.rps !== undefined ? int(r.rps) : '')} | ${r.ratio !== undefined ? fixed(r.ratio) : ''} | ${
        r.p99 !== undefined ? ms(r.p99) : ''
      } | ${r.p99Ratio !== undefined && r.p99Ratio !== null ? fixed(r.p99Ratio) : ''} | ${r.cpuUs !== undefined && r.cpuUs !== null ? int(r.cpuUs) : ''} | ${
        r.cpuRatio !== undefined && r.cpuRatio !== null ? fixed(r.cpuRatio) : ''
      } | ${r.target ?? ''} | ${
        r.verdict ? `**${r.verdict}**` : ''
      }${r.bad ? ' (errors!)' : ''} | ${r.note ?? ''} |`,
  );
  return [header, sep, ...body].join('\n');
}

function escapeXml(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A horizontal bar chart: warm and cold req/s as a share of each server's own /healthz. */
function svgChart(results) {
  const bars = [];
  for (const [id, cell] of Object.entries(results.sections.postures ?? {})) {
    const r = ratios(cell);
    bars.push({ label: LABELS[id] ?? id, warm: r.warm.ratio, cold: r.cold?.ratio ?? null, target: cell.target ?? null });
  }
  for (const [id, cell] of Object.entries(results.sections.peers ?? {})) {
    const r = ratios(cell);
    bars.push({ label: LABELS[id] ?? id, warm: r.warm.ratio, cold: null, target: null });
  }
  const rowH = 34;
  const left = 330;
  const width = 900;
  const plotW = width - left - 40;
  const top = 60;
  const height = top + bars.length * rowH + 50;
  const x = (v) => left + Math.min(1.1, Math.max(0, v)) * (plotW / 1.1);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="20" y="22" font-size="15" font-weight="600">Authenticated req/s ÷ the same server's no-auth req/s (/healthz; peers: /ping), 100 connections</text>`,
    `<rect x="20" y="32" width="12" height="10" fill="#2f6fb3"/><text x="36" y="41">warm (10 000 credentials, round-robin)</text>`,
    `<rect x="290" y="32" width="12" height="10" fill="#f0a030"/><text x="306" y="41">cold (every credential new)</text>`,
    `<line x1="490" y1="37" x2="502" y2="37" stroke="#c00" stroke-width="2"/><text x="506" y="41">target</text>`,
  ];
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${x(tick)}" y1="${top - 6}" x2="${x(tick)}" y2="${top + bars.length * rowH}" stroke="#ddd"/>`);
    parts.push(`<text x="${x(tick)}" y="${top + bars.length * rowH + 16}" text-anchor="middle" fill="#555">${tick.toFixed(2)}</text>`);
  }
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    parts.push(`<text x="${left - 8}" y="${y + 17}" text-anchor="end">${escapeXml(b.label)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 3}" width="${x(b.warm) - left}" height="12" fill="#2f6fb3"/>`);
    parts.push(`<text x="${x(b.warm) + 4}" y="${y + 13}" fill="#2f6fb3">${b.warm.toFixed(2)}</text>`);
    if (b.cold !== null) {
      parts.push(`<rect x="${left}" y="${y + 17}" width="${x(b.cold) - left}" height="12" fill="#f0a030"/>`);
      parts.push(`<text x="${x(b.cold) + 4}" y="${y + 27}" fill="#a06000">${b.cold.toFixed(2)}</text>`);
    }
    if (b.target !== null) parts.push(`<line x1="${x(b.target)}" y1="${y}" x2="${x(b.target)}" y2="${y + 31}" stroke="#c00" stroke-width="2"/>`);
  });
  parts.push(`<text x="20" y="${height - 10}" fill="#555">Node ${escapeXml(results.machine.node)} · ${results.machine.cpuCount} × ${escapeXml(results.machine.cpuModel)} · ${escapeXml(results.startedAt)}</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Markdown prose generated from the numbers: what passed, what missed, and the floor behind it. */
function notes(results, verdicts) {
  const out = [];
  const { postures = {}, peers = {}, floor, propagation, login, memory } = results.sections;
  const r = (id) => (postures[id] ? ratios(postures[id]) : null);
  const missed = verdicts.filter((v) => v.verdict === 'MISS');
  out.push(
    missed.length === 0
      ? '- Every target of the issue passed in this run.'
      : `- Missed in this run: ${missed.map((v) => `${v.what} (${v.measured}, target ${v.target})`).join('; ')}.`,
  );
  const controls = ['store', 'jwt'].map((kind) => [kind, controlReading(results, kind)]).filter(([, c]) => c !== null);
  if (controls.length > 0) {
    const read = controls.map(([kind, c]) => `${fixed(c.value)} in the ${kind} floors' rounds`).join(' and ');
    out.push(
      controls.every(([, c]) => c.trusted)
        ? `- **Controls**: /healthz's twin read ${read}, within ${CONTROL_TOLERANCE} of the 1 it costs: this run's floors are read as measured.`
        : `- **Controls: some of this run's floors are inconclusive.** /healthz's twin (section 7), which costs what /healthz costs, read ${read}; where it is further than ${CONTROL_TOLERANCE} from 1, the machine moved more within those rounds than a floor's gap to a target, so those floors do not say whether a target is beyond the machine.`,
    );
  }
  const missedPostures = Object.entries(postures).filter(([, cell]) => cell.target && ratios(cell).warm.ratio < cell.target);
  for (const [id, cell] of missedPostures) {
    const x = ratios(cell);
    const parts = [
      `- **${LABELS[id] ?? id}, warm: ${nearTarget(x.warm.ratio, cell.target)} (target ${cell.target.toFixed(2)})**: server CPU ${ms(x.warm.cpuUs)} µs per request against ${ms(x.baseCpuUs)} µs for /healthz.`,
    ];
    if (cell.inProcess) {
      parts.push(
        `In-process, \`authenticate\` costs ${ms(cell.inProcess.authenticate.cpuUs)} µs and the whole \`/auth/me\` handler ${ms(cell.inProcess.me.cpuUs)} µs (the /healthz handler ${ms(cell.inProcess.healthz.cpuUs)} µs).`,
      );
    }
    if (x.warm.storeCpuUs !== null && x.warm.storeCpuUs !== undefined) {
      parts.push(`The store server used another ${ms(x.warm.storeCpuUs)} µs of CPU per request on the same two cores.`);
    }
    for (const route of floorsFor(id)) {
      const floorCell = results.sections.lookupFloor?.[route.id];
      if (!floorCell) continue;
      const f = ratios(floorCell).warm.ratio;
      const what = floorCell.spinUs === undefined ? route.what : `${route.what} (${ms(floorCell.spinUs)} µs)`;
      const control = controlOf(results, route);
      parts.push(
        control && !control.trusted
          ? `Floor (${what}): ${fixed(f)}; inconclusive in this run: the control of its rounds read ${fixed(control.value)}.`
          : f < cell.target
          ? `Floor (${what}): ${fixed(f)}, below the target, so ${cell.target.toFixed(2)} is beyond this machine ${route.below}; Tessera reached ${fixed(x.warm.ratio / f)} of it.`
          : `Floor (${what}): ${fixed(f)}, at or above the target: the gap to it (${fixed(f - x.warm.ratio)}) is Tessera's own work as the server pays for it (next paragraph), or this run's noise (see the rounds).`,
      );
    }
    if (id === 'session/postgres') {
      parts.push(
        'Lookups are already batched per event-loop turn (one `token_hash = ANY($1)` statement for all the requests of a turn; see "PostgreSQL: one round trip per lookup vs lookups batched per tick" below); what is left is one loopback round trip per turn, tens of µs of CPU on each side.',
      );
    }
    out.push(parts.join(' '));
  }
  if (missedPostures.length > 0) {
    out.push(
      '- **A microsecond in-process is two or three in the server.** The difference between the in-process handler costs and the server\'s CPU per request is HTTP work that a slower route pays more for: ' +
        'CPU profiles taken while writing the benchmark (below) put most of it in the socket write (in one profile of session · SQLite 41 µs per /auth/me answer against 19 µs per /healthz answer: when a route is slower the load generator sleeps between answers and every write pays for waking it on these two vCPUs), ' +
        'and the same Tessera functions cost two to three times more per call inside the busy server than in a tight loop (for SQLite, better-sqlite3\'s native read: 23–27 µs per lookup in the server, 8–11 µs in a loop). ' +
        'So where the floor is far above the measured ratio (jwt, jwt-push), the gap is Tessera\'s few µs of work per request as the busy server pays for them; where the floor is below the target, no code doing that work reaches the target here. ' +
        'The CPU per request also moves with the machine\'s load (the machine is shared: see the load average at start above), so read it next to the req/s ratio.',
    );
  }
  const jwtCold = ['EdDSA', 'ES256', 'RS256', 'HS256'].map((alg) => [alg, r(`jwt/${alg}/sqlite`)]).filter(([, x]) => x?.cold);
  if (floor && jwtCold.length > 0) {
    out.push(
      '- **Cold jwt is bounded by the signature check**: a cold request is one full verification. ' +
        'Per token, measured in the same run: ' +
        Object.entries(floor)
          .map(([alg, f]) => `${alg}: node:crypto alone ${ms(f.nodeVerifyP50Us)} µs, jose ${ms(f.joseVerifyP50Us)} µs, Tessera's whole verifier ${ms(f.tesseraColdCpuUs)} µs of CPU`)
          .join('; ') +
        '. One core doing nothing but node:crypto verification could serve at most ' +
        Object.entries(floor)
          .map(([alg, f]) => `${int(1e6 / f.nodeVerifyP50Us)}/s (${alg})`)
          .join(', ') +
        '; the cold rows above are ' +
        jwtCold.map(([alg, x]) => `${int(x.cold.rps)}/s (${alg})`).join(', ') +
        '. Warm rows skip the signature: the verified-token cache (keyed by the whole token, never past `exp`, revocation still checked) answers.',
    );
  }
  const sess = ['sqlite', 'redis', 'postgres'].map((k) => [k, r(`session/${k}`)]).filter(([, x]) => x);
  if (sess.length > 0) {
    out.push(
      '- **session** is one store round trip per request, warm or cold (the idle-expiry write happens at most once a minute per session). ' +
        'Cold and warm therefore measure the same work; differences between them are noise on this shared machine. ' +
        sess.map(([k, x]) => `${k}: warm ${fixed(x.warm.ratio)}, cold ${fixed(x.cold?.ratio)}`).join('; ') +
        '. Redis and PostgreSQL run on the same two cores as the server and the load generator, so their CPU is taken from the server.',
    );
  }
  const es = peers['peer/express-session+connect-redis'];
  const te = peers['peer/tessera-express/session/redis'];
  if (es && te) {
    out.push(
      '- **Peers are measured head to head**: both servers of a comparison run at once (idle when not measured) and their runs alternate ' +
        '(baselines, authenticated route twice each, baselines), so a change in the machine\'s load falls on both.',
    );
    out.push(
      `- **express-session + connect-redis** (connect-redis 8.1, the newest release that accepts an ioredis client: 9 moved to the \`redis\` package, and 10 also needs Node ≥ 22) uses connect-redis's documented set-up: a plain ioredis client (no auto-pipelining), ` +
        '`resave: false`, `saveUninitialized: false`; it reads the session (GET) and, since the store implements `touch`, ' +
        'writes its expiry back (EXPIRE) on every request. Tessera reads once and writes the idle expiry at most once a minute, with auto-pipelining.',
    );
  }
  if (peers['peer/better-auth/fastify/sqlite']) {
    out.push(
      '- **better-auth** runs its recommended Node set-up: `betterAuth({ database: new Database(file) })` (better-sqlite3 through its built-in Kysely adapter), ' +
        'default session options (no cookie cache), `auth.api.getSession({ headers })` in a Fastify route. Sessions were seeded as rows in its schema and ' +
        'cross-checked with `getSession` before the run. Tessera on the same framework and store kind: the Fastify plugin with `requireAuth`, session posture on SQLite. ' +
        'A CPU profile of the better-auth server taken while writing the benchmark (one run, about 770 µs of CPU per request) showed two queries per check (the session by token, then its user), ' +
        'each statement prepared anew by Kysely\'s SQLite driver (better-sqlite3 `prepare` and `Statement`: ~100 µs per request), garbage collection (~70 µs), ' +
        'and per-call framework work (better-call\'s endpoint context, field filtering, the logger\'s environment and colour-depth checks).',
    );
  }
  if (propagation) {
    out.push(
      '- **Propagation**: end to end = from sending `POST /auth/logout` to instance B until instance A first answers 401 to the same token (A polled over keep-alive HTTP, about every millisecond); ' +
        'it includes B\'s own work (verifying the token, deleting the family, writing and publishing the revocation), one HTTP round trip to A and up to one poll interval. Feed = what A measured itself between the revocation\'s creation at B and its arrival (millisecond clock, same machine), as reported by `/auth/posture`. ' +
        'The first revocations after both servers start are made the same way but left out of the percentiles (their times are in the row): the very first pays for cold code on both instances (12–24 ms in earlier runs), and with 200 samples it alone set p99. A\'s feed figures include them. ' +
        'B\'s logout = how long B took to answer the logout; once the token has verified, the revocation is written and published in one round trip (one script on Redis, one statement on PostgreSQL), sent first, beside deleting the refresh family (one script on Redis) and reading the user, whom B has not seen.' +
        (propagation.redis?.floor
          ? ` The floor row (Redis) is the same loop over the same hops with no Tessera work on them (${PROPAGATION_FLOOR_WHAT}): in this run p50 ${ms(propagation.redis.floor.endToEnd.p50Ms)} / p99 ${ms(propagation.redis.floor.endToEnd.p99Ms)} ms against Tessera's ${ms(propagation.redis.endToEnd.p50Ms)} / ${ms(propagation.redis.endToEnd.p99Ms)} ms. ` +
            `What separates them is B's token check before the revocation is written (a signature verification: B has never seen the token), the logout's other store work beside it on the same two vCPUs, and A's /auth/me against a bare check; what they share (an HTTP request to B, a round trip to Redis, the delivery to A, a poll every millisecond, each a wake-up of a process on two shared vCPUs) is, at the median, ${Math.round((100 * propagation.redis.floor.endToEnd.p50Ms) / propagation.redis.endToEnd.p50Ms)} % of Tessera's time. ` +
            (propagation.redis.floor.endToEnd.p99Ms >= 10
              ? 'The floor\'s own p99 reached 10 ms in this run: the target was beyond this machine here, whatever the code does.'
              : 'The floor\'s p99 stayed under 10 ms in this run; the rest of the gap is Tessera\'s own work on the way, or this run\'s noise.')
          : ''),
    );
  }
  if (login) {
    out.push(
      `- **Login**: argon2id runs on libuv's thread pool (${process.env.UV_THREADPOOL_SIZE ?? 4} threads on ${results.machine.cpuCount} cores), so the event loop keeps answering during a storm; ` +
        `/healthz p99 went from ${ms(login.healthz.quiet.p99)} ms to ${ms(login.healthz.duringStorm.p99)} ms while ${login.storm.concurrent} logins at a time ran (${fixed(login.storm.loginsPerSec, 1)} logins/s: the cost is CPU, by design), ` +
        `and the server's own event-loop delay p99 went from ${ms(login.healthz.quiet.eventLoopDelayMs?.p99)} ms to ${ms(login.healthz.duringStorm.eventLoopDelayMs?.p99)} ms (max ${ms(login.healthz.duringStorm.eventLoopDelayMs?.max)} ms). ` +
        'What rises is CPU contention: the hashing threads share the two cores with the event loop and the load generator; the loop is never blocked by a hash.',
    );
  }
  if (memory) {
    out.push(
      `- **Memory**: ${int(memory.entries)} family revocations (${int(memory.revocations)} written by the probe, the rest left in the same Redis by the propagation section and reloaded at start) held by one jwt-push instance cost ${fixed(memory.rssDeltaBytes / 1048576, 1)} MiB of RSS ` +
        `(${int(memory.rssPerEntryBytes)} bytes per entry; V8 heap ${int(memory.heapPerEntryBytes)} bytes per entry), and each entry leaves memory once no token it can affect is valid (access TTL + 1 s).`,
    );
  }
  out.push(
    '- Every server runs in its own process with request logging off (`logLevel: warn`), so the figures are about authentication, not pino. ' +
      'autocannon runs in the parent process; both share the two cores with the stores. All figures are ratios to a baseline measured in the same run: ' +
      `for a posture's warm figure, ${results.settings.pairRounds} rounds of \`/healthz\` then \`/auth/me\` back to back (${results.settings.pairDurationSec} s each, after a pass over every credential), each round giving a ratio, and the figure is the median round ` +
      '(the rounds are listed in the notes; the cold figure is against the mean of the three baselines); for the peers, the mean of baselines run before and after. ' +
      'Absolute req/s move with the machine\'s load, ratios much less. ' +
      'autocannon reports latency in whole milliseconds, so p99 ratios are coarse.',
  );
  return out.join('\n');
}

/** The in-process decomposition of each posture (no HTTP): where a request's CPU goes. */
function inProcessTable(results) {
  const rows = Object.entries(results.sections.postures ?? {}).filter(([, c]) => c.inProcess);
  if (rows.length === 0) return '';
  const line = ([id, c]) => {
    const p = c.inProcess;
    return `| ${LABELS[id] ?? id} | ${ms(p.healthz.cpuUs)} | ${ms(p.me.cpuUs)} | ${ms(p.authenticate.cpuUs)} | ${p.authenticate.storeCpuUs === null ? '—' : ms(p.authenticate.storeCpuUs)} | ${int(p.authenticate.perSec)} |`;
  };
  return [
    '| posture | `/healthz` handler, µs CPU | `/auth/me` handler, µs CPU | `authenticate`, µs CPU | store server CPU per `authenticate`, µs | `authenticate`/s (100 in flight) |',
    '|---|--:|--:|--:|--:|--:|',
    ...rows.map(line),
  ].join('\n');
}

/**
 * Measurements made while the benchmark was written (same machine, other test suites running),
 * kept because the code they compared no longer exists in the tree or is not part of the run.
 */
const DEVELOPMENT_NOTES = `## Measured while building the hot path (not re-run by \`npm run bench\`)

**Signature check: jose (WebCrypto, async) → node:crypto (sync).** Tessera's verifier, every token new,
100 in flight, in-process; CPU per verification over all threads (WebCrypto's thread-pool work
included), two runs each, old build vs new build:

| algorithm | jose path, µs CPU | node:crypto path, µs CPU | change | verifications/s, jose → node:crypto |
|---|--:|--:|--:|---|
| EdDSA | 164–168 | 135–136 | −19 % | 4,900–5,000 → 5,400–7,200 |
| ES256 | 112–118 | 83–85 | −27 % | 6,900–10,500 → 9,700–12,000 |
| RS256 | 75–82 | 43–46 | −43 % | 11,200–12,100 → 19,600–29,200 |
| HS256 | 36–41 | 15–16 | −60 % | 26,000–27,700 → 66,400–66,800 |

The node:crypto path (\`src/core/tokens/verify-signature.ts\`, \`check-claims.ts\`) applies jose's rules in
jose's order; \`verify-signature.test.ts\` checks that both paths give the same answer for a table of
hostile tokens and for random claim sets, and the attack suites (\`tokens.test.ts\`,
\`test/http/jwt-attacks.test.ts\`) pass unchanged.

**PostgreSQL: one round trip per lookup vs lookups batched per tick.** The session posture's
\`getWithUser\` query, 100 lookups in flight, pool of 10: one query per lookup cost 66–68 µs of Node CPU
and 66–70 µs of PostgreSQL CPU per lookup (9,100 lookups/s); the same lookups coalesced per event-loop
tick into one \`token_hash = ANY($1)\` query cost 6.5–8.9 µs of Node CPU and 5.0–8.5 µs of PostgreSQL CPU
(56,000–93,000 lookups/s). On this machine a loopback round trip costs tens of µs of CPU on each side
(the socket write wakes the other process); batching pays it once per tick instead of once per request.
A Unix socket instead of loopback TCP changed nothing measurable.

**The verified-token cache has a cliff at its size.** \`authenticate\` in-process, EdDSA, every user's
token presented in turn, four passes: 10,000 tokens → 5.2–8.9 µs per call after the first pass (all hits);
11,000 tokens → 173–183 µs per call on every pass (no hits at all: with first-in-first-out eviction and a
working set larger than the 10,000 entries, each miss evicts the token needed soonest). The same build
with the cache keeping its entries when full (they still leave at \`exp\`): 11,000 tokens → 34–38 µs,
20,000 → 95–105 µs. The warm rows above use exactly 10,000 users, so they sit just inside the cliff.

**Where a warm jwt request's extra CPU goes.** CPU profiles of the reference server (jwt, EdDSA, warm),
\`/auth/me\` minus \`/healthz\` per request, one run: 63 µs in all, of which the socket write +27 µs,
the header screening before the cache lookup (\`screenHeader\`) +6.5 µs, ISO dates of the answer +4.3 µs,
the cache lookup (hashing the ~400-character token) +3.3 µs, JSON +2.1 µs, then ~1 µs each for the rest of
the guard. The same profile on a minimal Fastify app with the Tessera plugin (\`requireAuth\` on a
\`/me\` route, running at twice the rate): socket write +5 µs, \`screenHeader\` +2.5 µs, cache lookup
+1.8 µs. The same code costs two to three times more per request in the slower server: fewer requests
per event-loop turn, colder caches, and a load generator that sleeps between answers.

**Login storms and the thread pool.** 50 concurrent logins, default argon2id, /healthz probed with 10
connections: with libuv's default 4 threads on these 2 cores, 36.9 logins/s and /healthz p99
5.0 → 46 ms (event-loop delay p99 17 → 54 ms); with \`UV_THREADPOOL_SIZE=1\`, 24.9 logins/s and /healthz p99
4.0 → 8.0 ms (event-loop delay 17 → 21 ms). The loop is never blocked by a hash; four hashing threads on
two cores starve it of CPU.

**Hot-path changes made after the first full run, and what they moved.** The first full run
(2026-11-27 16:20 UTC, load average 1.65 at start) against two full runs after these changes (17:44 and
17:58 UTC, load average 1.05 and 1.32), warm ratios to /healthz: session · PostgreSQL 0.24 → 0.66 / 0.71
(3,052 → 14,737 / 16,041 req/s), jwt EdDSA 0.51 → 0.81 / 0.80, jwt-push · Redis 0.43 → 0.76 / 0.77,
session · SQLite 0.31 → 0.20 / 0.41 (see the spread below); PostgreSQL propagation p99 34 → 11 / 12 ms.
The changes:
- PostgreSQL session lookups made in one event-loop turn share one statement (\`token_hash = ANY($1)\`,
  \`src/stores/postgres/batch.ts\`; each call still applies its own \`now\`): in-process \`authenticate\`
  67 → 7.7 µs of Node CPU and 52 → 7 µs of PostgreSQL CPU per call.
- A verified-token cache hit skips the header screening (a hit proves this exact string passed every
  check; the key's presence and the time rules are still checked, revocation still runs after), and
  the cache keeps its live entries when full instead of evicting first-in-first-out (the cliff above):
  in-process jwt \`authenticate\` 4.8 → 1.9 µs.
- SQLite: positional parameters and array rows (\`.raw()\`) for the session lookup (9.1 → 7.7–8.1 µs per
  lookup in a loop); SHA-256 of tokens with the one-shot \`crypto.hash\` (0.73 → 0.27 µs); the Fastify
  adapter no longer copies the request headers.
- Revoking a family deletes the refresh family and writes the revocation concurrently, and the Redis
  revocation write is one round trip on a single server (index entry still first, in order on one
  connection): two of B's four sequential round trips before the publish are gone.

**Second round (later the same day), and what it moved.** Measured old build against new build in one
process or one run, alternating (\`/tmp\` harnesses: two builds side by side on one store), because on this
machine the whole-run figures drift by more than these changes:
- \`GET /auth/me\` wrote its body through \`JSON.stringify\` of a fresh object and two \`Date#toISOString\`
  calls (0.6–0.8 µs each here). Now the body is written field by field (strings still escaped by
  \`JSON.stringify\`) with a Date-free ISO formatter (~0.2 µs), both checked against the originals with
  fast-check. The verified-token cache is keyed by the token's signature part and compares the whole
  token on a hit: a \`Map\` lookup that hashes a fresh 420-character string cost ~0.8 µs, the signature
  part plus a comparison ~0.26 µs. Auth decisions are counted in plain numbers and handed to the
  Prometheus counter when scraped. The \`/auth/me\` route in-process, jwt EdDSA, 10,000 tokens, fresh
  header strings as the HTTP parser gives, min of 8 rounds: 7.4 → 4.9 µs. Two reference servers side
  by side, alternating 4 s runs: \`/auth/me\` minus \`/healthz\` in server CPU per request 20.6 → 10.2 µs,
  warm ratio 0.68 → 0.80 (and 0.70 → 0.88 in a second run).
- The session lookup (\`getWithUser\`) reads only what authentication needs: no password hash, no token
  hash, no user agent or IP (SQLite and PostgreSQL select fewer columns, Redis HMGETs fewer fields
  inside its one script). SQLite in a loop: ~20 % less per lookup; the route in-process, session ·
  SQLite 10.5 → 9.0 µs, session · Redis 28.7 → 19.5 µs.
- prom-client's \`Histogram#observe(labels, value)\` validates, sorts and hashes its labels on every call
  (0.55 µs here); the reference server observes two histograms per authenticated request. A histogram
  that resolves its series once and is exposed identically through the same registry
  (\`src/server/histogram.ts\`) brings the instrumented store's cost per lookup from ~1.0 to ~0.3 µs.
- Redis: jwt-denylist's per-request check became one script instead of two commands (ioredis spends
  about as much per command as per script; reverted in the third round below, which also counted Redis's
  own CPU); operation deadlines run on one coarse timer instead of a timer and a racing promise per call
  (~0.45 µs each).
- jwt-push: a revocation is written and published in one round trip and only once written (Redis: one
  script with the index entry, the entry and PUBLISH; PostgreSQL: the UPSERT and \`pg_notify\` in one
  statement, NOTIFY going out at commit). B took p50 3.1 / p99 11.4 ms to answer the logout before;
  propagation end to end (\`BENCH_ONLY=propagation\`, 200 revocations): Redis p50 3.9 → 2.8 ms, p99
  13.5 → 9.4 ms; PostgreSQL p99 11.4 → 7.5 ms.

Three full runs after these changes, warm ratios (the first still with one baseline before and one
after; the other two with the paired rounds now used): session · SQLite 0.51 / 0.62 / 0.58, Redis
0.53 / 0.72 / 0.53, PostgreSQL 0.70 / 0.85 / 0.84; jwt EdDSA 0.78 / 0.80 / 0.86; jwt-denylist · Redis
0.71 / 0.60 / 0.65; jwt-push · Redis 0.78 / 0.81 / 0.80; Express vs express-session 1.63× / 1.45× / 1.68×;
propagation on Redis, p99, 7.7 / 8.3 / 11 ms. The whole-run figures move by as much as the changes did;
the side-by-side measurements above are the ones to judge the changes by. In the first run the four
jwt algorithms, which share one warm code path (a cache hit never touches the key), measured 0.76–0.91.

**Third round: what a Redis script costs Redis, and the floors.** With \`redis-benchmark\` against this
machine's Redis 7.0, an EVALSHA of jwt-denylist's two-read check cost 5.7 µs of Redis CPU per call and
the HMGETs inside it 0.4–0.7 µs each: the script's own overhead is most of it. ioredis in-process, 100
calls in flight, 40,000 calls, three rounds: the check as a script 7.7–10.3 µs of Node CPU plus 4.3–5.3 µs
of Redis CPU per call, as two native reads in one round trip 10.5–12.0 µs plus 1.5–2.0 µs. Since Redis
shares the two cores with the server and the load generator, the reference server did better with the
native reads: 0.81 → 0.90 as a bare floor route, 0.65 → 0.72 with two reference servers side by side
(five rounds each). jwt-denylist's check is two native reads again, on every topology (one command
counted each in \`commandstats\`, no EVALSHA). The session lookup stays a script: its two reads depend
on each other (the user's key is in the session), and as two round trips they cost more in all
(16–19 µs of Node CPU plus 4–4.8 µs of Redis CPU, against 10.4–11.3 plus 7.8–8.3 µs for the script).
Section 7 (lookup floor) now measures, in every run, the least each posture's request could cost on this
machine, so that a target above it reads as beyond the machine rather than as unfinished work. To keep
the whole run under ten minutes, cold cells run 4 s instead of 5, and the peers' 20 head-to-head runs
3 s after 0.5 s of warm-up instead of 5 s after 1 s (from the third run below). Three full runs with
these changes (23:37, 00:06 and 00:48 UTC, load average 1.13, 1.50 and 0.22 at start): session · SQLite
0.48 / 0.49 / 0.47 (floor 0.62 / 0.58 / 0.62), Redis 0.63 / 0.58 / 0.56 (floor 0.63 / 0.66 / 0.68),
PostgreSQL 0.71 / 0.63 / 0.63; jwt EdDSA 0.77 / 0.74 / 0.88 (the answer alone 0.96 / 1.03 / 1.09; the
handler's in-process CPU as plain CPU, from the second run, 0.85 / 0.88); jwt-denylist · Redis 0.63 /
0.66 / 0.64 (floor 0.65 / 0.73 / 0.69); jwt-push · Redis 0.78 / 0.75 / 0.87; Express vs express-session
1.54× / 1.60× / 1.61×; propagation on Redis, p99, 8.1 / 9.0 / 8.2 ms. The jwt figure was 0.86 in the last run before them with the same jwt code path: two
reference servers side by side, the build of that run against this one, measured 0.67 and 0.77
(four alternating rounds), so nothing regressed; the machine's state moves the jwt ratio that much.

**Fourth round: the warm jwt path without promises, and a cheaper answer.** Measured old build (\`6b4b191\`)
against new build in separate processes, alternating, \`/auth/me\` in-process with 10,000 tokens and fresh
header strings (as the HTTP parser gives), median of six rounds each:
- Promises where the answer is already in memory. A warm jwt request went through ten \`async\` calls
  (each a promise and a microtask): now a token verified before, a key ring that is not stale, the jwt
  and jwt-push revocation checks (the jwt-push set in memory while the feed is trusted) and a
  remembered email answer synchronously, the engine awaits only what is pending, and \`Tessera#authenticate\`
  no longer awaits its settled start-up promise on every request. Four \`async\` calls remain on the hit
  path (the route wrapper, the route, the guard, the engine), plus the adapter's handler. \`/auth/me\` minus \`/healthz\`: jwt
  3.5–4.4 → 2.7–3.1 µs, jwt-push 4.6–5.0 → 3.0–3.7 µs. Every check still runs, in the same order; a
  full verification, a stale ring's reload, a stale push feed (fail closed) and jwt-denylist's store
  read are still awaited, and a unit test pins which calls answer synchronously.
- The answer. \`JSON.stringify\` costs ~0.1 µs per string here; a string with nothing to escape (every id,
  nearly every email) is now quoted as it is (\`jsonString\`: exactly \`JSON.stringify\`, property-tested
  with lone surrogates and control characters), and ISO timestamps come from tables of two- and
  three-digit strings with the date part of the last two days remembered. \`meBody\` in a loop
  0.90 → 0.45 µs; every posture's \`/auth/me\` gains it.
- Written off: the \`i\` flag of the Bearer expression (spelling the scheme's case out ran twice as fast
  in a loop, and the same in the route: not kept); keying the verified-token cache by fewer characters
  (the \`Map\` lookup is memory-bound, not hash-bound).
Two reference servers side by side (old and new build, one store, alternating 4 s runs) measured jwt
0.77 → 0.94 once; the next runs spread from 0.50 to 1.20 within single rounds (the machine was busy),
so they decide nothing. Three full runs of the new build (04:28, 04:44 and 04:56 UTC, load average 0.99,
1.10 and 0.22 at start; the last is the recorded run): jwt EdDSA 0.82 / 0.85 / 0.98 (the answer alone
1.03 / 1.12 / 1.17; the handler's in-process CPU of that run as plain CPU, 3.3 / 4.8 / 3.5 µs, 0.91 /
1.20 / 0.97), ES256 0.79 / 0.82 / 1.04, RS256 0.82 / 0.74 / 0.77, HS256 0.77 / 0.83 / 0.87; jwt-push ·
Redis 0.84 / 0.79 / 0.87; jwt-denylist · Redis 0.61 / 0.56 / 0.55 (floor 0.69 / 0.63 / 0.72); session ·
SQLite 0.57 / 0.50 / 0.55 (floor 0.57 / 0.66 / 0.71), Redis 0.54 / 0.46 / 0.53 (floor 0.62 / 0.70 / 0.64),
PostgreSQL 0.68 / 0.57 / 0.69; Express vs express-session 1.78× / 1.60× / 1.76×; propagation on Redis,
p99, 7.1 / 10 / 7.6 ms. The second run was the noisy one: its floor rounds spread from 0.61 to 1.42,
and jwt's in-process cost measured 4.8 µs against 3.3–3.5 in the other two.

**Where jwt \`/auth/me\`'s in-process microseconds go now** (CPU profile, 300,000 calls, 10,000 tokens,
~2.8 µs beyond \`/healthz\`): the verified-token cache lookup about a quarter (memory-bound: 10,000 tokens
of ~420 characters, the whole token compared on a hit), the Bearer parse about an eighth (the regular
expression over the token's characters; a hand-written parser measured slower), the remembered email
~6 %, garbage collection ~7 %, the answer ~10 %, then a few % each for the clock, the guard and the
security headers. Against the floor of the same run that turns the handler's in-process CPU into
plain CPU, jwt scored 0.98 against 0.97 in the recorded run and 0.82 against 0.91 in the first: a gap a
CPU-only floor does not model (the memory 10,000 cached tokens keep warm), plus this machine's noise.

**Fifth round: a floor for a cached verifier, and where jwt's gap is.** The CPU-only floor turns
jwt's in-process microseconds into plain CPU, but it models neither the memory that 10,000 cached
tokens keep busy nor a real token's size (the floors ran on 43-character random bearer values; the jwt
cells send EdDSA tokens of ~420 characters). The jwt floors now run on a server of their own with a
real EdDSA access token per user, and one is new: the cached-token lookup alone
(\`/floor/verified-lookup\`: the token found among the 10,000 by its last 16 characters and compared
whole, \`exp\`, the user's email from a map of 10,000, /auth/me's answer joined from precomputed
parts; no Bearer parse, no other claim rule, no key check, no revocation, no guard). No verifier that
answers a warm token from a cache does less, so it bounds any of them. Three full runs (10:26, 10:37
and 10:49 UTC, load average 1.33, 0.47 and 0.98 at start; the last is the recorded run): the
cached-token lookup alone 0.97 / 0.96 / 0.86, the answer alone 1.08 / 1.03 / 1.10, the handler's
in-process CPU as plain CPU 0.78 / 0.85 / 0.93; jwt EdDSA 0.82 / 0.81 / 0.82; jwt-push · Redis 0.64 /
0.80 / 0.66; jwt-denylist · Redis 0.68 / 0.61 / 0.61 (floor 0.70 / 0.74 / 0.70); session · SQLite 0.56 /
0.49 / 0.46 (floor 0.62 / 0.58 / 0.56), Redis 0.60 / 0.54 / 0.57 (floor 0.64 / 0.63 / 0.62),
PostgreSQL 0.67 / 0.58 / 0.68; Express vs express-session 1.68× / 1.70× / 1.84×; propagation on Redis,
p99, 12 / 12 / 7.1 ms (the first two without the warm-up revocations: see below). So with real tokens
a cached verifier's floor is 0.86–0.97 here and Tessera's jwt 0.81–0.82: the 0.04–0.15 between them
is Tessera's own work beyond the lookup (the Bearer expression, the key check, the time rules and the
claims copy, the revocation and email steps, the guard, an answer built per request), not the
machine; 0.90 is below that floor in two runs of three, so it is not shown beyond this machine.
jwt-push's low figures in the first and last run are not its own cost: measured alone
(\`BENCH_ONLY=postures BENCH_CELLS=jwt/EdDSA,jwt-push\`) it scored 0.78 against jwt's 0.75 (nine
rounds, 10:00 UTC) and 0.81 against 0.80 (five rounds, 11:00 UTC); its warm path is jwt's plus two
\`Map\` lookups. A CPU profile of the jwt EdDSA server under load (3 s of /healthz, then 3 s of
/auth/me, sampled every 200 µs) puts, of all the server's samples during /auth/me, the cache lookup at
2.5 % (memory-bound; the floor pays it too), the Bearer expression at 1.3 %, the answer at 1.3 %, the
remembered email at 1.0 % and the guard's and engine's own frames at ~1.5 %; and, on every route,
4 % in the per-request child logger Fastify makes (pino with redaction, even at level \`warn\`).

**Propagation warm-up.** In every run the first revocation after both instances started was the
slowest (11–24 ms: cold code on both), and with 200 samples p99 is the second slowest, so one cold
start could decide it. Five revocations now come first, made and checked the same way, their times
shown in the row but kept out of the percentiles (recorded run: 9.6 / 3.5 / 3.6 / 2.6 / 2.8 ms on
Redis, 17.6 / 6.1 / 3.3 / 3.5 / 3.0 ms on PostgreSQL).

**Sixth round: the floors on Tessera's own plumbing, a control in every floor's rounds, a slower
machine.** In every earlier run the answer alone (\`/floor/response\`: /auth/me's answer with no
authentication) read above 1 (1.03–1.17), which a route doing more than /healthz cannot honestly do.
One cause was real: it and the cached-token floor were bare Fastify routes, while /healthz and
/auth/me go through Tessera's plumbing (the request translated to the neutral shape, the route
wrapper's catch and security headers, the adapter writing the answer), so those two floors skipped
work that both sides of every jwt ratio pay. Every floor route is now defined with \`routeDefiner\`
(what \`createRoutes\` wraps each route in) and mounted with \`fastifyHandler\` (what the Fastify plugin
mounts), both factored out for it with no change of behaviour. The answer alone still read 1.19,
1.07, 0.83 and 1.04 in this round's four full runs (1.01 in a floor-only run), so the plumbing was not
the main cause: the spread was. Hence the controls: each floor server's rounds now also run
\`/healthz\`'s twin (the same handler at another path), which costs what /healthz costs and should read
1; where it reads further than 0.05 from 1, the report calls the floors of those rounds inconclusive
for the run instead of concluding from them. In a floor-only run the controls read 1.11 and 0.94
(inconclusive); in that round's recorded run 1.03 and 0.98. A control in tolerance is necessary, not
sufficient: its own rounds in that run still spread from 0.92 to 1.12, and a floor's median can move as
much.

This round ran on another machine of the same kind (2 vCPUs, same CPU model name) that costs about
three times the CPU per request: /healthz at 6,300–16,500 req/s and 58–123 µs of server CPU per
request (fifth round: 25,800–33,900 req/s, 26–34 µs); a TCP loopback send and receive ~10 µs; and
/healthz alone, run four times back to back on one server, moved between 7,300 and 15,900 req/s
within a minute. With every request dearer, the same µs of authentication are a smaller share, so most
ratios rose; the spread rose more. The whole run took 627 s with 2.5 s rounds and 3 s peer runs, over
the ten-minute bound: rounds are now 2 s and peer runs 2.5 s (551 and 560 s; 574 s with the controls).
Four full runs (15:43, 15:56, 16:08 and 16:21 UTC, load average 1.22, 0.90, 1.39 and 1.43 at start;
the last, the only one with the controls, was that round's recorded run): jwt EdDSA 0.82 / 1.00 / 0.83 / 0.76
(ES256 1.08 / 0.93 / 0.85 / 0.97, RS256 0.93 / 0.70 / 0.74 / 0.80, HS256 0.84 / 0.90 / 0.88 / 0.83: one
warm code path); jwt-push · Redis 0.89 / 0.83 / 0.88 / 0.91; jwt-denylist · Redis 0.86 / 0.88 / 0.73 /
0.80; session · SQLite 0.57 / 0.69 / 0.64 / 0.62, Redis 0.65 / 0.83 / 0.73 / 0.82, PostgreSQL 0.87 /
0.73 / 0.85 / 0.90; Express vs express-session 1.60× / 1.79× / 1.77× / 1.67×; the cached-token lookup
alone 1.04 / 1.08 / 0.92 / 0.92; propagation on Redis, end to end, p50 3.1 / 3.7 / 3.0 / 3.3 ms and p99
11.7 / 13.5 / 11.3 / 12.6 ms, of which B's own answer to the logout p99 10.7 / 14.9 / 11.6 / 11.1 ms,
while the feed itself (creation at B to arrival at A, A's clock) stayed at p99 3–4 ms. In that round's
recorded run, with both controls in tolerance, the floors say: session · Redis (0.75) and jwt-denylist (0.82)
beyond this machine; session · SQLite (0.77 against 0.75) and jwt (the cached-token lookup 0.92 against
0.90) not, so their gaps are Tessera's own work or the spread that remains within a run.

**Seventh round: every duration as configured, and the ten-minute bound enforced.** autocannon ends
a run (its duration passed, \`stop()\` called, or its \`amount\` sent) only at its next sample tick,
every \`sampleInt\` ms, 1,000 by default, so every duration the benchmark asked for was rounded up to
whole seconds: the warm rounds' 0.25 s warm-ups ran 1 s, the peers' 2.5 s runs 3 s after 1 s of
warm-up, and a cold cell whose pool ran out idled up to a second before its run ended, inside the time
its rate is divided by (so the short cold cells, RS256 and PostgreSQL, read low). The durations in the
notes above are the configured ones. The tick is now 100 ms, and warm rounds are 2 s after 0.5 s of
warm-up, peer runs 2.5 s after 0.5 s. On this machine (again one of the slow ones: /healthz at
4,985–14,952 req/s) the whole run took 585 s the last time before the change, so \`npm run bench\`
with its 11 s build was at the bound; 514 and 501 s after it. The bound is now enforced too:
\`BENCH_BUDGET\` (580 s by default) stops the section running when it is reached, keeps the cells it
finished, runs no other section, names both in the report as failed, exits 1 and stops everything it
started (checked with budgets of 30 and 48 s: no server, redis-server or PostgreSQL left). Three full
runs (03:08 with the old tick, 03:19 and 03:33 UTC with the new one; the last is the recorded run):
jwt EdDSA 0.89 / 0.92 / 1.01 (ES256 0.86 / 0.87 / 0.88, RS256 0.76 / 0.79 / 0.87, HS256 1.08 / 0.95 /
0.98); jwt-push · Redis 0.76 / 0.79 / 0.80; jwt-denylist · Redis 0.90 / 0.85 / 0.99; session · SQLite
0.74 / 0.70 / 0.65, Redis 0.74 / 0.78 / 0.67, PostgreSQL 0.80 / 0.97 / 0.85; Express vs express-session
1.46× / 1.73× / 1.32×; propagation on Redis, end to end, p99 16 / 6.4 / 8.5 ms (B's own answer to the
logout p99 13 / 6.9 / 7.2 ms, the feed p99 6.0 / 2.0 / 3.0 ms); floors: the bare SQLite read 0.72 /
0.67 / 0.77, the Redis session script 0.83 / 0.83 / 0.99, jwt-denylist's two reads 0.87 / 0.91 / 1.03,
the cached-token lookup 0.95 / 1.01 / 0.92; controls 0.95 and 0.95, 0.97 and 1.04, 1.09 (store rounds:
their floors inconclusive) and 0.97. Every target but session · SQLite, session · Redis and jwt-push
passed in at least one of the three; session · PostgreSQL and the Express comparison in all three.
jwt-push read below jwt in all three runs of this round and above it in three of four of the last one.

**Eighth round: the Redis session lookup answers one JSON string.** A CPU profile of the reference
server in the session · Redis cell (warm, 10,000 sessions) showed, beside the socket writes, ioredis
building commands and parsing replies; the lookup script answered a nested array of eleven bulk
strings, which ioredis's parser turns into values one at a time. The script now answers one string
(\`cjson.encode\` of the same two HMGETs) and the store parses it with one \`JSON.parse\` (quotes,
backslashes, control and non-ASCII characters round-trip exactly: tested). Raw ioredis, the same script
both ways, 40,000 lookups with 100 in flight, four interleaved pairs: client CPU per lookup 21.7 / 18.2 /
17.3 / 13.9 µs nested against 16.1 / 14.6 / 14.2 / 12.9 µs as JSON; Redis's own CPU per call unchanged
within the noise (14–17 µs against 15–16 µs). Over HTTP, old build against new in one process tree (two
reference servers on one Redis, rounds of 2 s of /healthz then /auth/me, alternating): medians of 6
rounds 0.70 → 0.77, of 8 rounds 0.78 → 0.81; the server's CPU per request beyond /healthz's, median of
8 rounds, 27 → 18 µs; single rounds spread by ±0.15. The recorded run above (09:35 UTC) read session ·
Redis 0.89 (rounds 0.72 / 0.89 / 1.11; CPU ratio 0.94): a pass, where every earlier full run read
0.65–0.83. A development run right after it (09:46) read 0.84 (rounds 0.84 / 0.69 / 1.09; CPU ratio
0.85), with session · SQLite 0.56, PostgreSQL 0.86, jwt EdDSA 0.82, jwt-push 0.72, jwt-denylist 0.74, the
Express comparison 1.49× and propagation p99 8.0 ms (pass) beside it. So the change saves a few µs of
CPU per lookup, and session · Redis now sits at its target within the spread rather than below it; one
pass is not a steady pass.

Why propagation's end-to-end p99 stays near 10 ms: on this machine one request to an idle reference
server, one at a time over keep-alive, takes p50 1.3 / p99 6.5 ms for /healthz, 1.5 / 8.3 ms for a
warm /auth/me, 3.3 / 11 ms for a cold one and 4.1 / 12 ms for a jwt-push logout (200 of each, nothing
else running): every hop between processes (client, server, Redis) costs a wake-up of an idle vCPU, and
a logout waits on three store round trips in a row (the token's user for its email; then the family's
deletion, two, beside the revocation's one write-and-publish). The feed itself, from the revocation's
creation at B to its arrival at A, stays at p99 2–6 ms.

**Why session · SQLite stayed far below its target (before the ninth round).** In a loop, the joined lookup costs 6–8 µs
(20–28 µs when the machine is slow); inside the busy server its share of a CPU profile is about 23 µs
per request: the same statement with the caches the HTTP work has just evicted. \`strace\` on the server
under load shows per request one read, one writev and two \`fcntl\` (WAL read locks): no disk reads, the
pages are in SQLite's cache. Covering indexes and \`WITHOUT ROWID\` tables saved 1–2 µs in the loop and
nothing measurable in the server (after \`ANALYZE\` the server got twice slower), so they were not made.
Exclusive locking would drop the two \`fcntl\` but lock out the CLI and every other process on the file.

**Ninth round: SQLite lookups batched per event-loop turn, and a probe for what batching does
by itself.** The session lookups of one turn now run in one read transaction (the batcher PostgreSQL's
lookups use, \`src/stores/batch.ts\`), so the WAL read lock is taken once per turn instead of once per
request. In a loop (200,000 primary-key reads of a 10,000-row WAL table, three rounds): one read per
transaction 3.3–3.5 µs user + 1.7–1.9 µs system per read; ten per transaction 2.8–2.9 + 0.1–0.2 µs;
fifty 2.4–2.7 + 0.04–0.07 µs. Over HTTP, the session · SQLite cell alone, old build against new
(\`BENCH_DIST\`, \`BENCH_PAIR_ROUNDS=5\`, alternating, four old runs and three new): warm medians 0.60 /
0.60 / 0.57 / 0.64 → 1.15 / 1.25 / 1.05, and the server's CPU per request 133–180 µs (against 82–104 µs
for /healthz) → 65–104 µs (against 74–108 µs). Two µs of syscalls do not explain a server that spends
less per authenticated request than per bare one: the rest is that a batched lookup's answers leave
together at the end of the turn, where /healthz answers each request at once. Section 7 now measures
that alone: \`/healthz\`'s answer deferred to the end of the turn through the same batcher, with no
lookup (the probe row). It read 1.44 in a development run (its control 1.18) and 1.28 in the recorded
run (control 1.16), against 1.22 for the batched bare read and 1.19 for session · SQLite. So on this
machine session · SQLite passes its target because its answers leave together, as PostgreSQL's (one
statement per turn) and Redis's (ioredis pipelines each tick's commands) always have; the lookup
itself still costs what the in-process table says. The SQLite floor is now the bare read made the way
the lookup makes it (one read transaction per turn), so floor and posture do the same work. The jwt
postures answer a warm request at once (there is nothing to wait for), and they were not deferred:
holding back an answer that is ready, only to write it with others, would tune the benchmark, not
authentication.

**Tenth round: the Redis session lookups of one turn in one script, and A/B runs built in.** The
session lookups of one event-loop turn now go to Redis as one script (\`GET_SESSIONS_WITH_USERS\`: for
each session key, its fields and then its user's, all answered as one JSON array), through the same
batcher, instead of one EVALSHA each: Redis runs one script per turn, and ioredis builds and parses one
command. A record the store did not write still fails only its own lookup (tested); Cluster keeps its
two native reads per lookup. Raw store calls, 40,000 lookups with 100 in flight, old build and new in
one process, four interleaved pairs (a scratch script): client CPU per lookup 22.4 / 26.6 / 20.1 / 24.1 µs
→ 12.5 / 11.3 / 12.7 / 12.0 µs, Redis's CPU 14.8 / 17.0 / 13.8 / 15.3 µs → 11.8 / 13.0 / 12.8 / 11.5 µs,
lookups per second 26,000–33,000 → 41,000–44,000; in-process \`authenticate\` 25–37 µs → 15–18 µs. Over
HTTP, three whole runs of the session · Redis cell per build (five rounds each) read 0.82 / 0.79 /
0.85 (old) and 0.75 / 0.86 / 0.75 (new): the spread hides the change. So the benchmark now has an A/B
mode, \`BENCH_AB_DIST=<a copy of an older dist/> node bench/run.mjs\`: each posture cell runs a server
of each build at once on the same store and credentials, in rounds of (/healthz, /auth/me) on one and
then the other, the order alternating, so the machine's drift falls on both. Five such runs of eight
rounds: warm medians 0.93 / 0.93 / 0.87 / 0.90 / 0.88 (new) against 0.99 / 0.81 / 0.85 / 0.80 / 0.74
(old), and the server's CPU per request beyond /healthz's 2.3 / 3.5 / 8.2 / 5.3 / 15.6 µs against 1.0 /
14.8 / 26.4 / 24.8 / 31.2 µs: the new build ahead in four of five, by about 15 µs of server CPU per
request. The lookup floor's script is batched the same way, so floor and posture still do the same
work. The recorded run above (12:20 UTC, load average 0.90 at start) read session · Redis 0.91 (rounds
0.81 / 0.91 / 1.10; CPU ratio 0.97) and met every target but two: jwt-push 0.78 (rounds 0.78 / 0.75 /
0.88), on the warm code path of jwt EdDSA, which read 0.91 beside it, and propagation on Redis, p99
16 ms end to end, of which B's own answer to the logout p99 16 ms, while the feed stayed at p99 6.0 ms.

**Eleventh round: a floor for propagation, and the jwt-push gap looked for once more.** The propagation
target had no floor: nothing said what the machine itself allows for the hops a pushed revocation must
make. Section 3 now measures one (\`bench/lib/propagation-floor.mjs\`): each of the two reference
servers also serves, on a second port in the same process, a route at B that runs one Redis script
(write an entry with a TTL, PUBLISH its id; one round trip, as Tessera's write-and-publish is) and a
route at A that answers 401 once its own subscriber has the id, both mounted as Tessera's routes are;
the parent drives them with the loop that drives Tessera's logout and /auth/me, one floor revocation
beside each of Tessera's, the order alternating. Four development runs of the section alone
(\`BENCH_DEV=1 BENCH_ONLY=propagation\`, load average 0.6–1.2): floor end to end p50 2.5 / 2.7 / 2.3 /
2.5 ms and p99 6.0 / 7.6 / 9.0 / 9.9 ms, Tessera beside it p50 2.9 / 3.7 / 2.7 / 3.0 ms and p99 9.0 / 9.2 /
7.5 / 10.3 ms: on a quiet machine the floor's own p99 sits at 6–10 ms, and Tessera's within 0–3 ms of it.
In the recorded run above (load average 2.0 at start) the floor read p50 3.8 / p99 13 ms and Tessera p50
6.6 / p99 18 ms: the target was beyond the machine in that run whatever the code does. The gap that is
Tessera's own is B's work before it publishes: it has never seen the token, so one signature check, and
it looks up the token's user (one store round trip) before the revocation's one; in a quiet machine's
sequential timing (a scratch script, 100 each, in-process on Redis) a first-sight \`authenticate\` took
p50 0.66–0.82 ms and the logout after it 0.70–0.89 ms, each store round trip 0.26–0.58 ms, against a
bare Redis PING of 0.09–0.40 ms; one request to an idle reference server, one at a time, p50 0.65–1.7 ms
and p99 3.4–11 ms, a bare Node HTTP server's 0.5–0.8 ms and 2.2–3.2 ms. A logout that skipped the user
lookup would save one round trip; it would also answer a deleted user's token differently, so it was
not made for a benchmark. jwt-push warm, once more: three servers at once (jwt EdDSA on SQLite, jwt
EdDSA on Redis, jwt-push on Redis; 10,000 users each; four rounds of /healthz then /auth/me, the order
reversed every round; a scratch script) read 0.94 / 1.04 / 0.90 / 0.68, 0.94 / 0.74 / 0.92 / 0.76 and
0.82 / 0.92 / 0.73 / 0.94: no gap that follows the posture or the store. The recorded run above agrees
from the other side: jwt-push 0.94 (pass), jwt EdDSA, on the same warm code path, 0.75 (rounds 0.94 /
0.75 / 0.72).

**Twelfth round: jwt-denylist's checks of one turn in one script.** The third round made the
per-request check two native reads (HMGET + HGET, auto-pipelined), because one script per request cost
Redis ten times those reads. What that left was the client's side: in-process, \`authenticate\` cost
31–46 µs of CPU per call in jwt-denylist against 2–4 µs in jwt, almost all of it ioredis's work on two
commands and two replies per request. A scratch script (ioredis, 100 checks in flight per turn,
100,000 checks, three times each, old way and new way alternating) measured per check: two native
reads 23–31 µs of the client's CPU and 2.4–2.7 µs of Redis's; one script per turn for all the checks
of the turn (\`CHECK_REVOCATIONS\` in \`src/stores/redis/revocations.ts\`: for each pair of keys the same
HMGET and HGET, answered as one JSON string, as the session lookup's script does since the tenth round)
4.0–5.6 µs and 3.6–4.3 µs. The store now does that on a single server and Sentinel (Cluster keeps the
two native reads: the entries live on different slots); each call still decodes its own three values,
so an entry the store did not write fails that check only. Two A/B runs of the cell
(\`BENCH_AB_DIST=.old-dist BENCH_PAIR_ROUNDS=8 BENCH_CELLS=jwt-denylist\`, eight rounds each, both builds'
servers side by side): warm ratio median 0.89 and 0.99 for the new build against 0.77 and 0.78 for the
old, the server's CPU per request beyond /healthz's 14.7 and 12.9 µs against 43.3 and 42.4 µs. The floor of
the cell follows the code: \`/floor/redis-revocation-script\` (the same script over keys that do not
exist) replaces the two bare reads. The first recorded run with it (load average 1.8 at start)
measured jwt-denylist at 0.79 (rounds 0.79 / 0.94 / 0.68) with \`authenticate\` at 12 µs in-process
(31 µs in the recorded run before) and the server at 148 µs of CPU per request against /healthz's 121
(184 against 130 before); in the same run session · Redis, whose code did not change, read 0.77 (1.01
in the run before) and jwt-push 0.89, with jwt EdDSA, on the same warm path as jwt-push, at 0.92: that
run's spread, not the change, which the side-by-side runs above measure.

**Thirteenth round: a Redis batch is one store operation, not one per call.** Every store call runs
through a wrapper that refuses once the store is closed, waits (bounded) for the connection, bounds the
call with a deadline and turns any failure into a StoreError. The batched Redis reads (session lookups,
jwt-denylist's checks) still wrapped each call, so a lookup paid for an async frame, a deadline entry
and three promises on top of its share of the batch; the SQLite and PostgreSQL batches already ran the
wrapper once per batch. Now the Redis batches do too, and each call decodes its own answer outside it
(a corrupt entry is still that call's StoreError, and fails closed). In-process, the old build and the
new in one process on one Redis, eight alternating rounds of 20,000 \`/auth/me\` calls, 100 in flight:
session · Redis 24.9 µs of CPU per call against 30.1 (medians), jwt-denylist 26.5 against 41.2, and
7.4 KB allocated per call against 9.1 (V8's sampling heap profiler, collected objects included). Two
side-by-side HTTP runs (\`BENCH_AB_DIST\`, eight rounds): session · Redis 0.85 and 0.83 against 0.76 and
0.82, jwt-denylist 0.95 and 0.93 against 0.88 and 0.80. The reference server's store metrics also
resolve each operation's histogram series once instead of building a label key on every store call.
The first recorded run with both (load average 1.8 at start): session · Redis 0.847 (rounds 0.91 / 0.71
/ 0.85, 15 µs in-process), jwt-denylist 0.88, jwt-push 0.89 (rounds 0.90 / 0.79 / 0.89, on unchanged code).

**Fourteenth round: the bearer header and the cached-token key.** Two checks every warm jwt request
paid for, found in a CPU profile of the \`/auth/me\` handler in-process (20 µs sampling), where they were
the largest items after the handler's own frames. The \`Authorization\` header was matched in full against
RFC 6750's b64token grammar, a regular expression over its ~340 characters (~0.6–0.9 µs per call on this
machine; scheme only: ~0.07 µs), although every posture checks the token's shape again where it reads it
(a session id is 43 base64url characters; an access token three base64url parts, or the exact string of
one verified before), as it must for a cookie's value: now the header is parsed for its scheme, and a
token with characters no credential has is still refused as malformed, by the posture. And the
verified-token cache hashed the token's whole signature part (86 characters) as a fresh map key on every
request: now its last 16 characters key the map (94 bits of the signature; the whole token is still
compared on a hit, and only a verified token is ever stored), ~0.4 µs less per lookup among 10,000
tokens. The cached-token floor route keys its map the same way. In-process, the old build and the new
in one process, eight alternating rounds of 20,000 \`/auth/me\` calls with 100 in flight, jwt EdDSA:
8.4 µs of CPU per call against 10.2 (medians; the header change alone: 9.8 against 10.5). Side by side
over HTTP (\`BENCH_AB_DIST\`, eight rounds each): jwt EdDSA 0.92 against 0.91, jwt-push 0.92 against 0.88,
session · Redis 0.85 against 0.84, every cell's rounds spread over 0.15–0.25, so a gain of this size
shows only as a tendency there. The first recorded run with both: jwt EdDSA 0.93 (rounds 0.90 / 0.93 /
0.94), jwt-push 0.88 (0.88 / 0.98 / 0.87), session · Redis 0.88 (0.79 / 0.88 / 1.04), in a noisy run
(its floors' controls read 0.99 and 1.09, with rounds from 0.86 to 1.35).

**Fifteenth round: a logout's revocation one store round trip sooner.** The propagation rows had B answering
the logout at p50 4.7 ms against 1.6 ms for the floor's revoke. On the way, B verified the token (B has never
seen it), then read the user from the store (\`authenticate\` answers a whole principal, email included), and only
then wrote the revocation, beside deleting the family, itself two round trips on Redis (the family, then its
token pointers and index entries). Now \`POST /auth/logout\` is one library call (\`logoutCredential\`, with the
same refusals and the CSRF check first): once the token has verified, the revocation is sent first, beside
the family's delete and the user's lookup, so it is published one round trip sooner; and on a single Redis
server the family's delete is one script. Propagation alone, the old build and the new alternating
(\`BENCH_DEV=1 BENCH_ONLY=propagation\`, \`BENCH_DIST=.old-dist\` for the old one), five rounds of 200 revocations:
end to end p50 on Redis 6.1–6.7 ms (old) against 4.9–5.6 (new), on PostgreSQL 5.9–7.0 against 4.6–5.4; four
more rounds with the one-script delete as well: B's answer p50 4.9–5.6 against 4.0–4.4 ms and p99 14–19
against 10–12 ms on Redis. The end-to-end p99 stayed within its noise (11–21 ms for both builds), and the
feed's own p50 (B's clock at the revocation to A's at its arrival) read 2 ms instead of 1 with the new build:
the message now leaves while A, B and Redis are still busy with the request's first steps, so its delivery
meets more contention, although it arrives sooner after the logout was sent. Two recorded runs of this
code, back to back on a noisy machine: the first (controls 1.16 and 1.06, so most floors inconclusive) read
session · SQLite 0.99, Redis 0.70, PostgreSQL 0.79, jwt EdDSA 0.89, jwt-denylist 0.83, jwt-push 0.87,
Express 1.54×, propagation p50 6.2 / p99 13 ms (floor 3.8 / 12); the second is the run this page reports.

**Run-to-run spread.** On this shared machine a single cell moves by up to ±0.3 between runs of the same code
path: session · SQLite warm measured 0.20 in the 17:44 full run, 0.41 in the 17:58 one, and 0.51 when that
cell alone was re-run in between (\`BENCH_ONLY=postures BENCH_CELLS=session/sqlite\`); in the 0.20 run the server used
only half a core (it was waiting, not computing: 87 µs of CPU per request, as in the cold cell that ran at
10,614 req/s). Read a single ratio with that spread in mind; the CPU per request is the steadier figure.

**Not made:** bounding concurrent argon2 hashes to the cores the event loop can spare (see the login
storm above; libuv's pool already bounds them to 4); a read cache for SQLite sessions (it would need
cross-process invalidation, e.g. \`PRAGMA data_version\`, which itself costs 2.2 µs a call, in the one path
where instant revocation is the promise).
`;

/** Renders the table (stdout), the Markdown document and the SVG chart. */
export function renderReport(results) {
  const { rows, verdicts } = buildRows(results);
  const table = textTable(rows);
  const m = results.machine;
  const svg = svgChart(results);
  const markdown = `# Benchmarks

Generated by \`npm run bench\` (bench/run.mjs) on ${results.startedAt}; raw numbers in
[bench/results/latest.json](../bench/results/latest.json). Do not edit by hand: the next run rewrites this file.

## Machine and versions

- ${m.cpuCount} × ${m.cpuModel}, ${(m.totalMemoryBytes / 2 ** 30).toFixed(0)} GiB, ${m.platform}; load average at start ${m.loadAverageAtStart.map((n) => n.toFixed(2)).join(' / ')}
- Node ${m.node}, Tessera ${m.tessera}; ${Object.entries(m.packages)
    .map(([k, v]) => `${k} ${v ?? '?'}`)
    .join(', ')}
- ${m.redis ?? 'redis-server ?'}; ${m.postgres ?? 'postgres ?'}

## Command

\`\`\`sh
npm run bench        # npm run build && node bench/run.mjs
\`\`\`

${results.settings.connections} connections, loopback; cold cells up to ${results.settings.durationSec} s each, with no warm-up (it would spend fresh credentials)${
    results.settings.pairRounds
      ? ` (a posture's warm figure: ${results.settings.pairRounds} rounds of \`/healthz\` then \`/auth/me\`, ${results.settings.pairDurationSec} s each after ${results.settings.pairWarmupSec} s of warm-up, median round)`
      : ''
  }${results.settings.peerDurationSec ? ` (peers: ${results.settings.peerDurationSec} s runs after ${results.settings.peerWarmupSec} s of warm-up)` : ''},
${results.settings.users.toLocaleString('en-US')} distinct users; whole run ${results.totalSeconds.toFixed(0)} s${
    results.settings.budgetSec ? ` (bounded at ${results.settings.budgetSec} s: a run that reaches it stops there and names what it did not finish)` : ''
  }.
Warm: every user's credential once (priming pass), then round-robin over all ${results.settings.users.toLocaleString('en-US')}.
Cold: every request carries a credential never presented before (minted in-process through the library with the server's keys and store,
or a brand-new session); a cold cell stops early when its pool runs out (shown as "cold (N s)": RS256 is slow to mint).

## Targets

| target | measured | verdict | floor on this machine, same run |
|---|---|---|---|
${verdicts.map((v) => `| ${v.what}: ${v.target} | ${v.measured} | **${v.verdict}** | ${v.floor ?? '—'} |`).join('\n')}

A floor is the reference server's own \`/healthz\` answered after only the work the posture cannot
avoid (section 7 below: a bare primary-key read for session · SQLite, made as the session lookup makes it
(the reads of one event-loop turn in one read transaction, answered together), the same one-round-trip Redis
script for session · Redis, the same batched Redis check script for jwt-denylist, /auth/me's answer without any
authentication for jwt and jwt-push), measured the same way in the same run; for propagation, the same
loop over the same hops (an HTTP request to B, one write-and-publish round trip to Redis, the delivery
to A, A's polls) with none of Tessera's work on them, interleaved with Tessera's revocations on the same
two processes (section 3's floor row). Every floor route is
defined and mounted as Tessera's own routes are (the request translated, errors caught, the security
headers added), so it and the \`/healthz\` it is compared with differ only by the floor's work. A target
above its floor is beyond this machine, whatever the code does, provided the control of the floor's
rounds (\`/healthz\`'s twin, run in the same rounds: it should read 1) read within ${CONTROL_TOLERANCE} of 1;
otherwise the table says the floor is inconclusive in that run. For jwt and jwt-push two more figures, on a floor
server loaded with a real EdDSA access token per user (the jwt cells' request size): the cached-token
lookup alone (the token found among the 10,000 by its last 16 characters and compared whole, \`exp\`, the
user's email from a map, /auth/me's answer built from them: what a verifier with a cache of verified
tokens cannot skip, minus every other rule), and the same route after as many µs of plain CPU work as
Tessera's jwt \`/auth/me\` handler costs in-process beyond \`/healthz\`'s (measured in this run): what
HTTP on this machine makes of that cost. One row of section 7 is not a floor but a probe: \`/healthz\`'s
answer deferred to the end of the event-loop turn with no work at all, as a batched session lookup
(SQLite, PostgreSQL, Redis) defers its answers. Where it reads above 1, answering a turn's requests together costs the
server less per request than answering each at once, as \`/healthz\` does, and a batched posture can
read above 1 for that reason alone: the ninth round below says how much of session · SQLite's figure
that is.

## Results

![ratios to the no-auth route](../bench/results/latest.svg)

${markdownTable(rows)}

### Where a request's CPU goes (in-process, no HTTP)

The same routes called through Tessera's framework-neutral layer in the benchmark's own process,
warm credentials, 100 calls in flight (CPU of this process; the store server's own CPU in its column).
The difference between the two handler columns is what authentication and \`/auth/me\`'s larger
answer add before HTTP; the rest of an HTTP request's cost (parsing, routing, headers, the socket write)
is about the same for both routes.

${inProcessTable(results)}

${results.errors.length ? `**Sections that failed in this run:** ${results.errors.map((e) => `${e.section}: ${e.message}`).join('; ')}\n\n` : ''}## Notes

${notes(results, verdicts)}

${DEVELOPMENT_NOTES}`;
  return { table, markdown, svg, verdicts };
}
