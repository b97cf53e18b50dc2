import { UsageError } from '../args.js';

/** Reads stdin to its end (bounded: a password is at most a few KB). */
async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    total += buf.length;
    if (total > 64 * 1024) throw new UsageError('stdin', 'holds more than 64 KiB; expected one password');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Prompts on the terminal without echo (raw mode); Ctrl-C aborts. */
function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolvePassword, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const finish = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolvePassword(value);
    };
    const onData = (data: string) => {
      for (const ch of data) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new UsageError('password', 'aborted'));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * The new user's password, never from the command line: from the environment variable named by
 * `--password-env`, else from stdin when it is not a terminal (one trailing newline dropped), else
 * from a hidden prompt (asked twice).
 * @throws UsageError when the variable is unset or the two prompts differ.
 */
export async function readNewPassword(envName: string | undefined): Promise<string> {
  if (envName !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(envName)) throw new UsageError('--password-env', 'takes the NAME of an environment variable, not a password');
    const value = process.env[envName];
    if (!value) throw new UsageError('--password-env', `environment variable ${envName} is not set`);
    return value;
  }
  if (process.stdin.isTTY !== true) {
    const text = (await readAllStdin()).replace(/\r?\n$/, '');
    if (text === '') throw new UsageError('password', 'stdin was empty; pipe the password in, or use --password-env NAME');
    return text;
  }
  const first = await promptHidden('password: ');
  const second = await promptHidden('password (again): ');
  if (first !== second) throw new UsageError('password', 'the two entries differ');
  return first;
}
