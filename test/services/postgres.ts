import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { postgresBinDir } from './install.js';
import { freePort } from '../helpers/ports.js';

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /**
   * Listens on this loopback port instead of a free one: a test that starts a client before its
   * server reserves a port, points the client at it, and starts the server there later.
   */
  port?: number;
}

/** A throwaway PostgreSQL server on a free loopback port, in a temporary directory. */
export interface PostgresService {
  /** `postgres://tessera@127.0.0.1:PORT/tessera` (trust authentication, superuser `tessera`). */
  url: string;
  port: number;
  /** Fast shutdown (SIGINT), SIGKILL after 10 s; then removes the directory. Idempotent; leaves no process. */
  stop(): Promise<void>;
  /** Crashes the server for outage tests: every server process SIGKILLed, no clean shutdown; resolves when all are gone. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and data directory (after `kill`, or stopping it first); waits until it accepts connections. */
  restart(): Promise<void>;
  /** SIGSTOPs the postmaster and every backend: the server hangs with its sockets open (a stuck server). */
  pause(): Promise<void>;
  /** SIGCONTs what `pause` stopped. */
  resume(): Promise<void>;
}

const run = promisify(execFile);

/** How long the server may take to accept connections, at start and restart. */
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const DATABASE = 'tessera';
const USER = 'tessera';

/** Services still running, killed when the test process exits without stopping them. */
const running = new Set<{ killNow(): void }>();
let exitHookInstalled = false;

/**
 * Starts a PostgreSQL server for tests: `initdb` (trust auth, C locale, no fsync) in a fresh
 * temporary directory and `postgres` as a child process on a free loopback port, with a database
 * `tessera`. PostgreSQL refuses to run as root, so when the tests run as root the cluster is owned by,
 * and the server runs as, the unprivileged `postgres` user the Debian package creates (the child is
 * spawned with that uid/gid directly, so signals reach the postmaster itself); otherwise it runs as
 * the current user. Binaries come from `postgresBinDir()` (installed by `test/global-setup.ts`).
 *
 * @throws Error when the binaries or the `postgres` user are missing, or the server does not start within 20 s.
 * @example
 * const pgService = await startPostgres();
 * try { … pgService.url … } finally { await pgService.stop(); }
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresService> {
  const bin = postgresBinDir();
  if (bin === null) {
    throw new Error(
      'PostgreSQL server binaries (initdb, postgres) not found under /usr/lib/postgresql: test/global-setup.ts installs ' +
        'the postgresql package with apt-get; install it by hand if that failed',
    );
  }
  const owner = serverOwner();
  // The directory must be reachable by the server's user: /tmp is world-traversable.
  const root = mkdtempSync(join(owner === undefined ? tmpdir() : '/tmp', 'tessera-pg-'));
  const data = join(root, 'data');
  const logFile = join(root, 'postgres.log');
  const spawnOptions = { cwd: root, env: serverEnv(), ...(owner ?? {}) };
  let child: ChildProcess | undefined;
  let paused = false;
  let stopped = false;

  let port = 0;

  function launch(): ChildProcess {
    const log = openSync(logFile, 'a');
    try {
      const started = spawn(
        join(bin as string, 'postgres'),
        [
          '-D', data, '-p', String(port), '-k', root,
          '-c', 'listen_addresses=127.0.0.1',
          // Durable across a killed server (commits reach the kernel before they are acknowledged),
          // not across a crashed machine: synchronous_commit stays on, or a SIGKILL would lose the
          // last commits, which outage tests then look for.
          '-c', 'fsync=off', '-c', 'full_page_writes=off',
          '-c', 'restart_after_crash=off', '-c', 'max_connections=200', '-c', 'shared_buffers=32MB', '-c', 'huge_pages=off',
        ],
        { ...spawnOptions, stdio: ['ignore', log, log] },
      );
      // Without a listener a failed spawn would be an uncaught 'error' event.
      started.on('error', () => undefined);
      return started;
    } finally {
      closeSync(log);
    }
  }

  async function waitReady(database: string): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const current = child;
      if (current === undefined || current.exitCode !== null || current.signalCode !== null) {
        throw new Error(`postgres exited during start-up:\n${tail(logFile)}`);
      }
      const client = new pg.Client({ host: '127.0.0.1', port, user: USER, database, connectionTimeoutMillis: 1000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`postgres did not accept connections within ${READY_TIMEOUT_MS} ms:\n${tail(logFile)}`);
        await sleep(100);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  }

  /** The postmaster and its children (backends, background workers), each to be signalled. */
  function processes(): number[] {
    const pid = child?.pid;
    if (pid === undefined || !isAlive(pid)) return [];
    return [pid, ...childPids(pid)];
  }

  /**
   * A crash: every backend and worker dies by SIGKILL (their clients see the socket close, no goodbye),
   * then the postmaster, which with restart_after_crash=off reaps them and exits at once instead of
   * restarting. Killing the children while the postmaster still lives lets it reap them: an orphan's
   * zombie would linger when PID 1 does not reap. SIGKILL for the postmaster too if it does not exit.
   */
  async function killProcesses(): Promise<void> {
    const current = child;
    const pid = current?.pid;
    if (current === undefined || pid === undefined || !isRunning(current)) return;
    // Stopped, the postmaster cannot fork a new backend between listing and killing.
    signal(pid, 'SIGSTOP');
    const children = childPids(pid);
    for (const target of children) signal(target, 'SIGKILL');
    signal(pid, 'SIGCONT');
    if (!(await exited(current, STOP_TIMEOUT_MS))) {
      signal(pid, 'SIGKILL');
      await exited(current, STOP_TIMEOUT_MS);
    }
    await waitGone(children, STOP_TIMEOUT_MS);
    paused = false;
  }

  async function shutDown(): Promise<void> {
    const current = child;
    if (current === undefined || current.pid === undefined || !isRunning(current)) return;
    if (paused) await resume();
    // SIGINT is PostgreSQL's fast shutdown: it ends every backend and then exits.
    signal(current.pid, 'SIGINT');
    if (!(await exited(current, STOP_TIMEOUT_MS))) await killProcesses();
  }

  async function resume(): Promise<void> {
    // Children first, so the postmaster does not wake up to unresponsive children.
    for (const target of processes().reverse()) signal(target, 'SIGCONT');
    paused = false;
  }

  const registration = {
    killNow(): void {
      const pid = child?.pid;
      if (pid !== undefined && isAlive(pid)) {
        // Immediate shutdown: the postmaster ends and reaps its children by itself. Nothing can be awaited here.
        for (const target of processes()) signal(target, 'SIGCONT');
        signal(pid, 'SIGQUIT');
      }
      try {
        rmSync(root, { recursive: true, force: true });
      } catch {
        // The server may still be writing; the directory is in /tmp.
      }
    },
  };

  try {
    if (owner !== undefined) chownSync(root, owner.uid, owner.gid);
    await run(
      join(bin, 'initdb'),
      ['-D', data, '-U', USER, '--auth=trust', '--no-locale', '--encoding=UTF8', '--no-sync'],
      { ...spawnOptions, timeout: 60_000 },
    ).catch((error: unknown) => {
      const detail = error instanceof Error && 'stderr' in error ? String(error.stderr) : String(error);
      throw new Error(`initdb failed: ${detail}`);
    });
    running.add(registration);
    installExitHook();
    // Another process may take the port between our probe and the server's bind: try a few.
    for (let attempt = 1; ; attempt += 1) {
      port = options.port ?? (await freePort());
      child = launch();
      try {
        await waitReady('postgres');
        break;
      } catch (error) {
        if (attempt >= 3 || options.port !== undefined || !tail(logFile).includes('could not bind')) throw error;
      }
    }
    const admin = new pg.Client({ host: '127.0.0.1', port, user: USER, database: 'postgres' });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await admin.end();
    }
  } catch (error) {
    await killProcesses().catch(() => undefined);
    running.delete(registration);
    rmSync(root, { recursive: true, force: true });
    throw error;
  }

  return {
    url: `postgres://${USER}@127.0.0.1:${port}/${DATABASE}`,
    port,

    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await shutDown();
      } finally {
        running.delete(registration);
        rmSync(root, { recursive: true, force: true });
      }
    },

    kill: killProcesses,

    async restart() {
      if (stopped) throw new Error('postgres service: restart after stop');
      await shutDown();
      child = launch();
      await waitReady(DATABASE);
    },

    async pause() {
      const all = processes();
      // The postmaster first, so it forks nothing new while its children are being stopped.
      for (const target of all) signal(target, 'SIGSTOP');
      paused = all.length > 0;
    },

    resume,
  };
}

/** The uid/gid of the `postgres` user when running as root (PostgreSQL refuses root), else undefined. */
function serverOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    if (Number.isInteger(uid) && Number.isInteger(gid) && uid !== 0) return { uid, gid };
  } catch {
    // Reported below.
  }
  throw new Error('running as root, but there is no unprivileged "postgres" user to run PostgreSQL as (the Debian postgresql package creates it)');
}

/** A small, predictable environment: PostgreSQL's user has no HOME of ours to read, and the locale is C. */
function serverEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', TZ: 'UTC' };
}

/** Processes whose parent is `pid`, from /proc. */
function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat?.ppid === pid) children.push(Number(entry));
  }
  return children;
}

/** State and parent of a process; the command name may hold spaces and parentheses, so parse after the last ')'. */
function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** True while the process exists and is not a zombie (an orphan's zombie may linger if PID 1 does not reap). */
function isAlive(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** Waits for the child to exit; false if it has not within `ms`. */
async function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (!isRunning(child)) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([once(child, 'exit').then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitGone(pids: number[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (pids.some(isAlive)) {
    if (Date.now() > deadline) throw new Error('postgres processes did not exit after SIGKILL');
    await sleep(20);
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const service of running) service.killNow();
  });
}

function tail(file: string): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
