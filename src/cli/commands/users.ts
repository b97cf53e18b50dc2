import { parseCommand, UsageError } from '../args.js';
import { STORE_FLAGS, STORE_FLAGS_HELP, type Command } from '../command.js';
import { withOperatorContext } from '../operator/context.js';
import { readNewPassword } from '../operator/password.js';
import { formatTable, isoTime, styleFor } from '../output.js';

const HELP = `Usage: tessera users <add|list|roles|disable|enable> … [store flags]

  users add EMAIL [--role R]… [--password-env NAME]
        creates an account. The password never goes on the command line: it is read from the
        environment variable NAME, or from stdin when stdin is not a terminal, or prompted for.
  users list [--json]
        every account: email, id, roles, disabled, created.
  users roles EMAIL ROLE[,ROLE…]
        replaces the roles ("" clears them); a revocation: follows the posture's window.
  users disable EMAIL
        disables the account and revokes everything it holds (follows the posture's window).
  users enable EMAIL

${STORE_FLAGS_HELP}

Exit codes: 0 ok, 1 failure (no such user, email taken, store down), 2 invalid usage.
`;

const SUB_FLAGS = {
  ...STORE_FLAGS,
  json: { type: 'boolean' },
  role: { type: 'string', multiple: true },
  'password-env': { type: 'string' },
  password: { type: 'string' },
} as const;

function parseRoles(text: string): string[] {
  return text
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
}

async function add(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('users add', argv, SUB_FLAGS, { min: 1, max: 1, names: 'an EMAIL' });
  if (values.password !== undefined) {
    throw new UsageError('--password', 'passwords never go on the command line (shell history, ps): use --password-env NAME or pipe it on stdin');
  }
  const roles = (values.role ?? []).flatMap(parseRoles);
  const password = await readNewPassword(values['password-env']);
  return withOperatorContext(values, async (ctx) => {
    const user = await ctx.tessera.signup({ email: positionals[0]!, password }, { ip: null, userAgent: null });
    const final = roles.length > 0 ? await ctx.tessera.setRoles(user.id, roles) : user;
    process.stdout.write(`created ${final.email} (id ${final.id}) roles: ${final.roles.join(',') || '—'}\n`);
    return 0;
  });
}

async function list(argv: string[]): Promise<number> {
  const { values } = parseCommand('users list', argv, SUB_FLAGS);
  return withOperatorContext(values, async (ctx) => {
    const users = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await ctx.store.users.list({ limit: 1000, offset });
      users.push(...page);
      if (page.length < 1000) break;
    }
    if (values.json) {
      const out = users.map((u) => ({ id: u.id, email: u.email, roles: u.roles, disabled: u.disabled, created_at: isoTime(u.createdAt) }));
      process.stdout.write(`${JSON.stringify({ users: out }, null, 2)}\n`);
      return 0;
    }
    const style = styleFor(process.stdout);
    if (users.length === 0) {
      process.stdout.write('no users\n');
      return 0;
    }
    const rows = users.map((u) => [u.email, u.id, u.roles.join(',') || '—', u.disabled ? style.red('disabled') : 'active', isoTime(u.createdAt)]);
    process.stdout.write(formatTable(rows, ['EMAIL', 'ID', 'ROLES', 'STATE', 'CREATED'], style));
    return 0;
  });
}

async function roles(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('users roles', argv, SUB_FLAGS, { min: 2, max: 2, names: 'an EMAIL and ROLE[,ROLE…]' });
  return withOperatorContext(values, async (ctx) => {
    const user = await ctx.userByEmail(positionals[0]!);
    const updated = await ctx.tessera.setRoles(user.id, parseRoles(positionals[1]!));
    process.stdout.write(`${updated.email} roles: ${updated.roles.join(',') || '—'}\n${ctx.takesEffect('role_change')}\n`);
    return 0;
  });
}

async function setDisabled(argv: string[], disable: boolean): Promise<number> {
  const name = disable ? 'users disable' : 'users enable';
  const { values, positionals } = parseCommand(name, argv, SUB_FLAGS, { min: 1, max: 1, names: 'an EMAIL' });
  return withOperatorContext(values, async (ctx) => {
    const user = await ctx.userByEmail(positionals[0]!);
    if (disable) {
      await ctx.tessera.disableUser(user.id);
      process.stdout.write(`disabled ${user.email}; every session revoked\n${ctx.takesEffect('disable')}\n`);
    } else {
      await ctx.tessera.enableUser(user.id);
      process.stdout.write(`enabled ${user.email}\n`);
    }
    return 0;
  });
}

/** `tessera users`: operator commands on accounts. */
export const usersCommand: Command = {
  name: 'users',
  summary: 'add, list, change roles, disable or enable accounts (on --store)',
  help: HELP,
  async run(argv) {
    const [sub, ...rest] = argv;
    switch (sub) {
      case 'add':
        return add(rest);
      case 'list':
        return list(rest);
      case 'roles':
        return roles(rest);
      case 'disable':
        return setDisabled(rest, true);
      case 'enable':
        return setDisabled(rest, false);
      default:
        throw new UsageError('tessera users', `${sub === undefined ? 'expects a subcommand' : `unknown subcommand "${sub.slice(0, 40)}"`}: add, list, roles, disable, enable (see tessera users --help)`);
    }
  },
};
