#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { ConfigError, TesseraError } from '../core/errors.js';
import { UsageError, wantsHelp } from './args.js';
import type { Command } from './command.js';
import { auditCommand } from './commands/audit.js';
import { inspectCommand } from './commands/inspect.js';
import { keysCommand } from './commands/keys.js';
import { postureCommand } from './commands/posture.js';
import { serveCommand } from './commands/serve.js';
import { sessionsCommand } from './commands/sessions.js';
import { usersCommand } from './commands/users.js';
import { styleFor } from './output.js';

const COMMANDS: readonly Command[] = [serveCommand, postureCommand, inspectCommand, auditCommand, usersCommand, sessionsCommand, keysCommand];

function topHelp(): string {
  const style = styleFor(process.stdout);
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  tessera ${style.bold(c.name.padEnd(width))}  ${c.summary}`);
  return `tessera — authentication that tells the truth about its trade-offs

Usage:
${lines.join('\n')}

  tessera <command> --help   flags and details of one command
  tessera --version

Exit codes: 0 ok, 1 failure (or findings), 2 invalid usage; tessera audit exits with the number of
failed checks.
`;
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The message of an error, one line; never its stack. */
function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    process.stdout.write(topic ? topic.help : topHelp());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError('tessera', `unknown command "${name.slice(0, 40)}" (see tessera --help)`);
    if (wantsHelp(rest)) {
      process.stdout.write(command.help);
      return 0;
    }
    return await command.run(rest);
  } catch (err) {
    const code = err instanceof UsageError || err instanceof ConfigError || (err instanceof TesseraError && err.code === 'bad_request') ? 2 : 1;
    const prefix = err instanceof TesseraError && !(err instanceof UsageError) ? `${err.code}: ` : '';
    process.stderr.write(`tessera: ${prefix}${oneLine(err)}\n`);
    return code;
  }
}

const code = await main(process.argv.slice(2));
// Let stdout and stderr drain (they may be pipes), then exit: a store client or a keep-alive
// socket must not keep a finished command running.
await new Promise<void>((r) => process.stdout.write('', () => r()));
await new Promise<void>((r) => process.stderr.write('', () => r()));
process.exit(code);
