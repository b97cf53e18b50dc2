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
    parsed = parseArgs({ args: argv, options, allowPositionals: true as const, strict: true as const });
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

/** True if the arguments ask for help (`--help` / `-h` before any `--`). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}
