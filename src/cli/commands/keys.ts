import type { Algorithm, ResolvedConfig } from '../../core/config.js';
import { KEY_RING_MAX_AGE_MS, rotateSigningKey } from '../../core/tokens/keys.js';
import type { StoredSigningKey } from '../../stores/types.js';
import { parseCommand, UsageError } from '../args.js';
import { STORE_FLAGS, STORE_FLAGS_HELP, type Command } from '../command.js';
import { withOperatorContext } from '../operator/context.js';
import { createProgress, formatDuration, formatTable, isoTime, styleFor } from '../output.js';

const HELP = `Usage: tessera keys <list|rotate> [store flags]

  keys list [--json]
        the signing keys in the store: kid, alg, state (active / retiring), created, retire_at.
        Public metadata only: private key material is never printed.
  keys rotate
        generates a new active signing key and retires the previous active ones. Retired keys
        keep verifying until every token they signed has expired (access TTL + 30 s), so nobody
        is logged out; running servers pick the new key up within 30 s.
        The algorithm is --alg if given, else the one of the active key in the store (EdDSA if
        there is none). Pass the --access-ttl the servers run with (default 600).
        HS256 keys are secrets, not stored: rotate them by putting a new TESSERA_JWT_SECRET first.

${STORE_FLAGS_HELP}

Exit codes: 0 ok, 1 failure (store down), 2 invalid usage.
`;

const FLAGS = { ...STORE_FLAGS, json: { type: 'boolean' } } as const;

function stateOf(key: StoredSigningKey, now: number): string {
  if (key.state === 'active') return 'active';
  return key.retireAt !== null && key.retireAt <= now ? 'retired (deleted at the next rotation)' : 'retiring';
}

async function list(argv: string[]): Promise<number> {
  const { values } = parseCommand('keys list', argv, FLAGS);
  return withOperatorContext(values, async (ctx) => {
    const now = Date.now();
    const keys = (await ctx.store.keys.list()).sort((a, b) => a.createdAt - b.createdAt || (a.kid < b.kid ? -1 : 1));
    // Only public metadata leaves this function: never privateJwk.
    const rows = keys.map((k) => ({ kid: k.kid, alg: k.alg, state: k.state, created_at: isoTime(k.createdAt), retire_at: k.retireAt === null ? null : isoTime(k.retireAt) }));
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ keys: rows }, null, 2)}\n`);
      return 0;
    }
    if (keys.length === 0) {
      process.stdout.write('no signing keys in this store (a jwt-mode server creates one at start)\n');
      return 0;
    }
    const style = styleFor(process.stdout);
    const table = keys.map((k) => [k.kid, k.alg, k.state === 'active' ? style.green(stateOf(k, now)) : style.dim(stateOf(k, now)), isoTime(k.createdAt), isoTime(k.retireAt)]);
    process.stdout.write(formatTable(table, ['KID', 'ALG', 'STATE', 'CREATED', 'RETIRE AT'], style));
    return 0;
  });
}

async function rotate(argv: string[]): Promise<number> {
  const { values } = parseCommand('keys rotate', argv, FLAGS);
  return withOperatorContext(values, async (ctx) => {
    const progress = createProgress();
    progress.update('reading the stored keys…');
    const before = await ctx.store.keys.list();
    let algorithm: Algorithm = ctx.tessera.config.jwt.algorithm;
    if (ctx.options.algorithm === undefined) {
      const active = [...new Set(before.filter((k) => k.state === 'active').map((k) => k.alg))];
      if (active.length === 1 && ['EdDSA', 'ES256', 'RS256'].includes(active[0]!)) algorithm = active[0] as Algorithm;
    }
    if (algorithm === 'HS256') {
      progress.done();
      throw new UsageError('--alg', 'HS256 has no stored keys: rotate by putting a new secret first in TESSERA_JWT_SECRET');
    }
    const config: ResolvedConfig = { ...ctx.tessera.config, jwt: { ...ctx.tessera.config.jwt, algorithm } };
    progress.update(`generating a new ${algorithm} key and retiring the active one…`);
    let result;
    try {
      result = await rotateSigningKey(config);
    } finally {
      progress.done();
    }
    const after = await ctx.store.keys.list();
    const retireAt = after.find((k) => result.retired.includes(k.kid))?.retireAt ?? null;
    const out = [`new active ${algorithm} key: ${result.kid}`];
    if (result.retired.length > 0) {
      out.push(`retiring: ${result.retired.join(', ')} (verifies until ${isoTime(retireAt)}: access TTL ${config.jwt.accessTtlSeconds} s + ${formatDuration(KEY_RING_MAX_AGE_MS)})`);
    } else out.push('no previously active key of this algorithm');
    out.push(`running servers sign with the new key within ${formatDuration(KEY_RING_MAX_AGE_MS)} (key ring reload)`);
    process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  });
}

/** `tessera keys`: list and rotate the stored signing keys. */
export const keysCommand: Command = {
  name: 'keys',
  summary: 'list or rotate the signing keys (on --store)',
  help: HELP,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'list') return list(rest);
    if (sub === 'rotate') return rotate(rest);
    throw new UsageError('tessera keys', `${sub === undefined ? 'expects a subcommand' : `unknown subcommand "${sub.slice(0, 40)}"`}: list, rotate (see tessera keys --help)`);
  },
};
