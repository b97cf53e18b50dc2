import { parseArgs, type ParseArgsConfig } from 'node:util';

/** An invalid command line: printed as one line naming the flag (or command), exit code 2. */
export class UsageError extends Error {
  constructor(subject: string, message: string) {
    super(`${subject}: ${message}`);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** What `parseCommand` returns: the typed flag values and the operands. */
export type ParsedCommand<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;

/**
 * Parses the flags of one command (node:util parseArgs, strict): unknown flags and missing values
 * become a `UsageError` that names the command. `positionals` bounds how many operands it takes.
 */
export function parseCommand<T extends Options>(
  command: string,
  argv: string[],
  options: T,
  positionals: { min: number; max: number; names: string } = { min: 0, max: 0, names: '' },
): ParsedCommand<T> {
  let parsed: ParsedCommand<T>;
  try {
    parsed = parseArgs({ args: joinDashValues(argv, options), options, allowPositionals: true as const, strict: true as const });
  } catch (err) {
    const message = err instanceof Error ? err.message.replace(/\s*To specify a positional argument.*$/s, '') : String(err);
    throw new UsageError(`tessera ${command}`, `${message} (see tessera ${command} --help)`);
  }
  const count = parsed.positionals.length;
  if (count < positionals.min) {
    throw new UsageError(`tessera ${command}`, `expects ${positionals.names} (see tessera ${command} --help)`);
  }
  if (count > positionals.max) {
    const extra = parsed.positionals[positionals.max] ?? '';
    throw new UsageError(`tessera ${command}`, `unexpected argument "${extra.slice(0, 40)}" (see tessera ${command} --help)`);
  }
  return parsed;
}

/**
 * `--id -x7Q…`: the value of a string flag may begin with a dash (a base64url id does, one time in
 * 64), and node's parseArgs refuses that as ambiguous. A dash-led argument after a string flag is its
 * value unless it is one of the command's own flags (or `--`); such pairs become `--id=-x7Q…`.
 */
function joinDashValues(argv: readonly string[], options: Options): string[] {
  const flags = new Map<string, string>();
  for (const [name, option] of Object.entries(options)) {
    flags.set(`--${name}`, name);
    if (option.short !== undefined) flags.set(`-${option.short}`, name);
  }
  const isOwnFlag = (arg: string): boolean => arg === '--' || arg === '--help' || arg === '-h' || flags.has(arg.split('=', 1)[0]!);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const name = flags.get(arg);
    const next = argv[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && next.startsWith('-') && !isOwnFlag(next)) {
      out.push(`--${name}=${next}`);
      i += 1;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** True if the arguments ask for help (`--help` / `-h` before any `--`). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}
