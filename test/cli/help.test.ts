/** `--help` for every command, exit codes of invalid usage, and no colours off a TTY. */
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, BIN, hasAnsi, runCli } from './support.js';

/** util-linux `script` runs a command on a pseudo-terminal: the only way to test TTY output here. */
const HAS_SCRIPT = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

function onTty(args: string, env: Record<string, string> = {}): string {
  const res = spawnSync('script', ['-qc', `"${process.execPath}" "${BIN}" ${args}`, '/dev/null'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '', ...env },
    timeout: 30_000,
  });
  return res.stdout;
}

const COMMANDS = ['serve', 'posture', 'inspect', 'audit', 'users', 'sessions', 'keys'];

describe('tessera --help', () => {
  beforeAll(() => {
    assertBuilt();
  });

  it('lists every command', async () => {
    const res = await runCli(['--help']);
    expect(res.code).toBe(0);
    for (const name of COMMANDS) expect(res.stdout).toMatch(new RegExp(`^  tessera ${name}\\s+\\S`, 'm'));
    expect(hasAnsi(res.stdout)).toBe(false);
    expect((await runCli([])).stdout).toBe(res.stdout);
  });

  it.each(COMMANDS)('tessera %s --help prints its usage, exit 0, no colours', async (name) => {
    const res = await runCli([name, '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^Usage: tessera ${name}\\b`));
    expect(res.stdout).toMatch(/Exit code/);
    expect(hasAnsi(res.stdout)).toBe(false);
    expect(res.stderr).toBe('');
    // `tessera help <cmd>` and `-h` say the same.
    expect((await runCli(['help', name])).stdout).toBe(res.stdout);
    expect((await runCli([name, '-h'])).stdout).toBe(res.stdout);
  });

  it('subcommands take --help too (tessera users add --help)', async () => {
    const res = await runCli(['users', 'add', '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/--password-env NAME/);
  });

  it.each([
    ['an unknown command', ['bogus']],
    ['an unknown subcommand', ['users', 'bogus']],
    ['a missing subcommand', ['keys']],
    ['an unknown flag', ['posture', '--bogus']],
  ])('%s exits 2 with one line on stderr', async (_name, args) => {
    const res = await runCli(args);
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/^tessera/);
    expect(res.stderr).toMatch(/--help/);
  });

  it('colours only on a TTY, and never with NO_COLOR', () => {
    // `script` ships with util-linux (Debian's essential bsdutils): a missing one is a failure, not a skip.
    expect(HAS_SCRIPT, 'util-linux `script` is needed to run the CLI on a pseudo-terminal').toBe(true);
    expect(hasAnsi(onTty('posture --mode jwt --access-ttl 1200'))).toBe(true);
    expect(hasAnsi(onTty('posture --mode jwt --access-ttl 1200', { NO_COLOR: '1' }))).toBe(false);
  });

  it('--version prints the package version', async () => {
    const res = await runCli(['--version']);
    expect(res.code).toBe(0);
    expect(res.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
