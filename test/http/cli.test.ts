import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const BIN = join(ROOT, 'dist/cli/index.js');
/** Every wait in this file is bounded by this. */
const WAIT_MS = 15_000;
const PASSWORD = 'correct horse battery';

/** A started `tessera` process with its output collected as it arrives. */
interface Cli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
}

const children: ChildProcess[] = [];
let dir: string;

/** The environment of the parent without any TESSERA_* variable, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TESSERA_')) env[k] = v;
  return { ...env, ...extra };
}

function startCli(args: string[], env: Record<string, string> = {}): Cli {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | string>((resolveExit) => {
    child.on('close', (code, signal) => resolveExit(code ?? signal ?? 'unknown'));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Rejects after `ms` with a message that says what was awaited. */
function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const READY = /^tessera listening on http:\/\/127\.0\.0\.1:(\d+) \(mode=([a-z-]+), store=(.+)\)$/;

/** Waits for the ready line; returns the base URL. Fails early if the process exits first. */
async function ready(cli: Cli): Promise<{ url: string; line: string; store: string }> {
  const found = new Promise<{ url: string; line: string; store: string }>((resolveReady, reject) => {
    const check = () => {
      for (const line of cli.stdout().split('\n')) {
        const m = READY.exec(line);
        if (m) return resolveReady({ url: `http://127.0.0.1:${m[1]}`, line, store: m[3]! });
      }
    };
    cli.child.stdout!.on('data', check);
    check();
    void cli.exited.then((code) => reject(new Error(`tessera exited (${code}) before it was ready; stderr: ${cli.stderr()}`)));
  });
  return within(found, 'the ready line');
}

/** Runs the CLI to completion. */
async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const cli = startCli(args, env);
  const code = await within(cli.exited, `tessera ${args.join(' ')} to exit`);
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

async function post(url: string, json: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(json),
    signal: AbortSignal.timeout(WAIT_MS),
  });
}

describe('the tessera CLI (built bin)', () => {
  beforeAll(() => {
    if (!existsSync(BIN)) {
      throw new Error(`${BIN} is missing: build first with \`npm run build\` (\`npm test\` does it before vitest)`);
    }
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        const closed = new Promise((r) => child.once('close', r));
        child.kill('SIGKILL');
        await within(closed, 'a killed child to close').catch(() => {});
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('serve --port 0 --store sqlite:FILE prints one ready line, serves /healthz, and exits 0 on SIGTERM', async () => {
    const dbPath = join(dir, 'cli.db');
    const cli = startCli(['serve', '--port', '0', '--store', `sqlite:${dbPath}`]);
    const { url, line, store } = await ready(cli);
    expect(store).toBe(`sqlite:${dbPath}`);
    expect(line).toContain('(mode=session,');
    expect(Number(new URL(url).port)).toBeGreaterThan(0);

    const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(WAIT_MS) });
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const posture = await (await fetch(`${url}/auth/posture`, { signal: AbortSignal.timeout(WAIT_MS) })).json();
    expect(posture).toMatchObject({ mode: 'session', store: 'sqlite' });
    expect((await post(`${url}/auth/signup`, { email: 'cli@x.io', password: PASSWORD })).status).toBe(201);
    expect(existsSync(dbPath)).toBe(true);

    cli.child.kill('SIGTERM');
    expect(await within(cli.exited, 'exit after SIGTERM')).toBe(0);
    const readyLines = cli.stdout().split('\n').filter((l) => l.includes('tessera listening'));
    expect(readyLines).toEqual([line]);
    // Anything else on stdout is a structured (JSON) log line, and none of them leaks the password.
    for (const other of cli.stdout().split('\n').filter((l) => l !== '' && l !== line)) {
      expect(() => JSON.parse(other), other).not.toThrow();
    }
    expect(cli.stdout() + cli.stderr()).not.toContain(PASSWORD);
  });

  it('SIGTERM with a request in flight lets it finish, then exits 0', async () => {
    const cli = startCli(['serve', '--port', '0', '--store', `sqlite:${join(dir, 'drain.db')}`]);
    const { url } = await ready(cli);
    // The request is made in flight deterministically: headers and half the body are sent, the
    // server has time to start it, the signal arrives, and only then does the rest of the body
    // follow (then an argon2 hash runs). (`agent: false` closes the connection after the response,
    // so no idle keep-alive socket delays the exit.)
    const body = JSON.stringify({ email: 'drain@x.io', password: PASSWORD });
    let send: () => void = () => {};
    const pending = new Promise<number>((resolveStatus, reject) => {
      const req = httpRequest(`${url}/auth/signup`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => resolveStatus(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.write(body.slice(0, 10));
      send = () => req.end(body.slice(10));
    });
    await new Promise((r) => setTimeout(r, 500));
    cli.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    send();
    expect(await within(pending, 'the in-flight signup')).toBe(201);
    expect(await within(cli.exited, 'exit after SIGTERM')).toBe(0);
  });

  it.each([
    ['--mode', ['--mode', 'bogus']],
    ['--port', ['--port', '99999']],
    ['--port', ['--port', 'abc']],
    ['--access-ttl', ['--access-ttl', '0']],
    ['--store', ['--store', 'nope://x']],
    ['--signup', ['--signup', 'maybe']],
  ])('an invalid %s value exits 2 with a one-line error naming the flag (%j)', async (flag, args) => {
    const res = await run(['serve', '--port', '0', '--store', `sqlite:${join(dir, 'x.db')}`, ...args]);
    expect(res.code).toBe(2);
    const lines = res.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines, res.stderr).toHaveLength(1);
    expect(lines[0]).toContain(flag);
    expect(res.stdout).not.toContain('tessera listening');
  });

  it('an invalid env var exits 2 too (TESSERA_MODE=bogus)', async () => {
    const res = await run(['serve', '--port', '0', '--store', `sqlite:${join(dir, 'x.db')}`], { TESSERA_MODE: 'bogus' });
    expect(res.code).toBe(2);
    const lines = res.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/mode/i);
    expect(res.stdout).not.toContain('tessera listening');
  });

  it('env vars configure the server: store, signup, admin bootstrap', async () => {
    const dbPath = join(dir, 'env.db');
    const cli = startCli(['serve'], {
      TESSERA_PORT: '0',
      TESSERA_STORE: `sqlite:${dbPath}`,
      TESSERA_SIGNUP: 'closed',
      TESSERA_ADMIN_EMAIL: 'root@x.io',
      TESSERA_ADMIN_PASSWORD: PASSWORD,
    });
    const { url, store } = await ready(cli);
    expect(store).toBe(`sqlite:${dbPath}`);
    const signup = await post(`${url}/auth/signup`, { email: 'new@x.io', password: PASSWORD });
    expect(signup.status).toBe(403);
    const login = await post(`${url}/auth/login`, { email: 'root@x.io', password: PASSWORD, transport: 'bearer' });
    expect(login.status).toBe(200);
    const { access_token: token } = (await login.json()) as { access_token: string };
    const users = await fetch(`${url}/admin/users`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(WAIT_MS) });
    expect(users.status).toBe(200);
    expect(((await users.json()) as { users: unknown[] }).users).toContainEqual({ id: expect.any(String), email: 'root@x.io', roles: ['admin'], disabled: false });
    expect(cli.stdout() + cli.stderr()).not.toContain(PASSWORD);
  });

  it('flags win over env vars', async () => {
    const dbPath = join(dir, 'flag.db');
    const cli = startCli(['serve', '--mode', 'session', '--port', '0', '--store', `sqlite:${dbPath}`, '--signup', 'open'], {
      TESSERA_MODE: 'bogus',
      TESSERA_PORT: '99999',
      TESSERA_STORE: 'nope://x',
      TESSERA_SIGNUP: 'closed',
    });
    const { url, line, store } = await ready(cli);
    expect(line).toContain('mode=session');
    expect(store).toBe(`sqlite:${dbPath}`);
    expect((await post(`${url}/auth/signup`, { email: 'new@x.io', password: PASSWORD })).status).toBe(201);
  });

  it('--admin-email / --admin-password bootstrap an admin', async () => {
    const cli = startCli(['serve', '--port', '0', '--store', `sqlite:${join(dir, 'admin.db')}`, '--admin-email', 'boss@x.io', '--admin-password', PASSWORD]);
    const { url } = await ready(cli);
    const login = await post(`${url}/auth/login`, { email: 'boss@x.io', password: PASSWORD, transport: 'bearer' });
    expect(login.status).toBe(200);
    expect(((await login.json()) as { user: { roles: string[] } }).user.roles).toEqual(['admin']);
  });

  it('a flag that does not apply to the mode is accepted (--access-ttl with session)', async () => {
    const cli = startCli(['serve', '--port', '0', '--store', `sqlite:${join(dir, 'ttl.db')}`, '--access-ttl', '300']);
    const { url } = await ready(cli);
    expect((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(WAIT_MS) })).status).toBe(200);
  });
});
