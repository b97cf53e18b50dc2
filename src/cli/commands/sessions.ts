import { parseCommand, UsageError } from '../args.js';
import { STORE_FLAGS, STORE_FLAGS_HELP, type Command } from '../command.js';
import { withOperatorContext } from '../operator/context.js';
import { formatTable, isoTime, styleFor } from '../output.js';

const HELP = `Usage: tessera sessions <list|revoke> --user EMAIL … [store flags]

  sessions list --user EMAIL [--json]
        the user's logins, one per device: session records (session mode) or refresh-token
        families (jwt modes), with created / last seen / expiry, user agent and IP.
  sessions revoke --user EMAIL (--id ID | --all)
        ends one login, or all of them ("log out everywhere"); follows the posture's window.

Pass the --mode the servers run: it decides what a "session" is and how revocation works.

${STORE_FLAGS_HELP}

Exit codes: 0 ok, 1 failure (no such user or session, store down), 2 invalid usage.
`;

const FLAGS = {
  ...STORE_FLAGS,
  user: { type: 'string' },
  id: { type: 'string' },
  all: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

function requireUser(value: string | undefined, command: string): string {
  if (value === undefined) throw new UsageError(`tessera ${command}`, 'needs --user EMAIL');
  return value;
}

async function list(argv: string[]): Promise<number> {
  const { values } = parseCommand('sessions list', argv, FLAGS);
  const email = requireUser(values.user, 'sessions list');
  return withOperatorContext(values, async (ctx) => {
    const user = await ctx.userByEmail(email);
    const sessions = await ctx.tessera.listSessions(user.id, null);
    if (values.json) {
      const out = sessions.map((s) => ({
        id: s.id,
        created_at: isoTime(s.createdAt),
        last_seen_at: isoTime(s.lastSeenAt),
        expires_at: isoTime(s.expiresAt),
        user_agent: s.userAgent,
        ip: s.ip,
      }));
      process.stdout.write(`${JSON.stringify({ user: user.email, mode: ctx.options.mode, sessions: out }, null, 2)}\n`);
      return 0;
    }
    if (sessions.length === 0) {
      process.stdout.write(`${user.email} has no live sessions (mode ${ctx.options.mode})\n`);
      return 0;
    }
    const style = styleFor(process.stdout);
    const rows = sessions.map((s) => [s.id, isoTime(s.createdAt), isoTime(s.lastSeenAt), isoTime(s.expiresAt), s.ip ?? '—', (s.userAgent ?? '—').slice(0, 60)]);
    process.stdout.write(formatTable(rows, ['ID', 'CREATED', 'LAST SEEN', 'EXPIRES', 'IP', 'USER AGENT'], style));
    return 0;
  });
}

async function revoke(argv: string[]): Promise<number> {
  const { values } = parseCommand('sessions revoke', argv, FLAGS);
  const email = requireUser(values.user, 'sessions revoke');
  if ((values.id === undefined) === (values.all !== true)) {
    throw new UsageError('tessera sessions revoke', 'needs exactly one of --id ID or --all');
  }
  return withOperatorContext(values, async (ctx) => {
    const user = await ctx.userByEmail(email);
    if (values.all) {
      const count = (await ctx.tessera.listSessions(user.id, null)).length;
      await ctx.tessera.revokeAllForUser(user.id);
      process.stdout.write(`revoked all ${count} session${count === 1 ? '' : 's'} of ${user.email}\n${ctx.takesEffect('logout_all')}\n`);
    } else {
      await ctx.tessera.revokeSession(user.id, values.id!);
      process.stdout.write(`revoked session ${values.id} of ${user.email}\n${ctx.takesEffect('logout')}\n`);
    }
    return 0;
  });
}

/** `tessera sessions`: list and revoke a user's logins. */
export const sessionsCommand: Command = {
  name: 'sessions',
  summary: "list or revoke a user's logins (on --store)",
  help: HELP,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'list') return list(rest);
    if (sub === 'revoke') return revoke(rest);
    throw new UsageError('tessera sessions', `${sub === undefined ? 'expects a subcommand' : `unknown subcommand "${sub.slice(0, 40)}"`}: list, revoke (see tessera sessions --help)`);
  },
};
