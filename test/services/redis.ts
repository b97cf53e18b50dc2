import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.js';

/** A throwaway redis-server on a free loopback port, in a temporary directory. */
export interface RedisService {
  /** `redis://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** SIGTERM, SIGKILL after 5 s; then removes the directory. Idempotent; leaves no process. */
  stop(): Promise<void>;
  /** SIGKILLs the server, like a crash, for outage tests; resolves when it is gone. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and directory (stopping it first if it runs); waits until it answers. */
  restart(): Promise<void>;
  /** SIGSTOPs the server: it hangs with its sockets open (a stuck, not a dead, server). */
  pause(): Promise<void>;
  /** SIGCONTs what `pause` stopped. */
  resume(): Promise<void>;
}

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /**
   * Runs the server in cluster mode as a one-node cluster that owns all 16384 slots. Redis then
   * enforces cluster rules (CROSSSLOT, keys of one script in one slot) exactly as a real cluster
   * would, which is what the Cluster tests need to prove.
   */
  cluster?: boolean;
  /**
   * Keeps data across `kill()` / `restart()` with an append-only file fsynced on every write, as a
   * production Redis that holds sessions would be configured. Off by default (faster).
   */
  persistent?: boolean;
  /**
   * Listens on this loopback port instead of a free one: a test that starts a client before its
   * server reserves a port, points the client at it, and starts the server there later.
   */
  port?: number;
}

/** How long the server may take to answer PING (and, in cluster mode, to report `cluster_state:ok`). */
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/** Services still running, killed when the test process exits without stopping them. */
const running = new Set<{ killNow(): void }>();
let exitHookInstalled = false;

/**
 * Starts the real `redis-server` (installed by `test/global-setup.ts`) as a child process on a free
 * loopback port, without persistence (`--save '' --appendonly no`), in a fresh temporary directory,
 * and waits (bounded, 10 s) until it answers PING.
 *
 * @throws Error when `redis-server` is missing or does not answer within 10 s; never skips.
 * @example
 * const redis = await startRedis();
 * try { … redis.url … } finally { await redis.stop(); }
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisService> {
  const binary = findRedisServer();
  const directory = mkdtempSync(join(tmpdir(), 'tessera-redis-'));
  const port = options.port ?? (await freePort());
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', directory,
    ...(options.persistent === true ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    '--daemonize', 'no', '--loglevel', 'warning',
    // A lone node does not know its own address until it meets another: announce it, or
    // CLUSTER SLOTS names no host and cluster clients have nothing to connect to.
    ...(options.cluster === true
      ? ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-announce-ip', '127.0.0.1']
      : []),
  ];
  let child: ChildProcess | undefined;
  let output = '';
  let stopped = false;

  function launch(): ChildProcess {
    output = '';
    const started = spawn(binary, args, { cwd: directory, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    started.stdout?.on('data', collect);
    started.stderr?.on('data', collect);
    // Without a listener a failed spawn would be an uncaught 'error' event.
    started.on('error', () => undefined);
    return started;
  }

  async function waitReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const current = child;
      if (current === undefined || !isRunning(current)) throw new Error(`redis-server exited during start-up:\n${output}`);
      try {
        if ((await command(port, ['PING'])) === '+PONG') {
          if (options.cluster !== true) return;
          // A fresh node owns no slot; a restarted one has them from nodes.conf already.
          if ((await command(port, ['CLUSTER', 'INFO'])).includes('cluster_slots_assigned:0')) {
            await command(port, ['CLUSTER', 'ADDSLOTSRANGE', '0', '16383']);
          }
          if ((await command(port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok')) return;
        }
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`redis-server did not become ready within ${READY_TIMEOUT_MS} ms:\n${output}`);
      await sleep(50);
    }
  }

  async function killNow(): Promise<void> {
    const current = child;
    if (current === undefined || !isRunning(current)) return;
    current.kill('SIGKILL');
    await exited(current, STOP_TIMEOUT_MS);
  }

  async function shutDown(): Promise<void> {
    const current = child;
    if (current === undefined || !isRunning(current)) return;
    // A stopped process does not act on SIGTERM until it is continued.
    current.kill('SIGCONT');
    current.kill('SIGTERM');
    if (!(await exited(current, STOP_TIMEOUT_MS))) await killNow();
  }

  const registration = {
    killNow(): void {
      if (child !== undefined && isRunning(child)) child.kill('SIGKILL');
      rmSync(directory, { recursive: true, force: true });
    },
  };

  try {
    child = launch();
    running.add(registration);
    installExitHook();
    await waitReady();
  } catch (error) {
    await killNow().catch(() => undefined);
    running.delete(registration);
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    port,

    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await shutDown();
      } finally {
        running.delete(registration);
        rmSync(directory, { recursive: true, force: true });
      }
    },

    kill: killNow,

    async restart() {
      if (stopped) throw new Error('redis service: restart after stop');
      await shutDown();
      child = launch();
      await waitReady();
    },

    async pause() {
      if (child !== undefined && isRunning(child)) child.kill('SIGSTOP');
    },

    async resume() {
      if (child !== undefined && isRunning(child)) child.kill('SIGCONT');
    },
  };
}

/** The path of `redis-server`; throws a clear error when it is not installed. */
function findRedisServer(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'redis-server not found on PATH: test/global-setup.ts installs it with apt-get (package redis-server); install it by hand if that failed',
    );
  }
}

/**
 * Sends one command over a fresh connection (RESP) and resolves with the raw reply once it looks
 * complete: enough for PING and CLUSTER commands, with no client library in the loop.
 */
function command(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const timer = setTimeout(() => socket.destroy(new Error('no reply within 1 s')), 1000);
    socket.on('connect', () => {
      socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`);
    });
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (isCompleteReply(reply)) {
        clearTimeout(timer);
        socket.end();
        resolve(reply.trimEnd());
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** True when `reply` holds one whole simple, error or bulk-string reply. */
function isCompleteReply(reply: string): boolean {
  if (!reply.endsWith('\r\n')) return false;
  if (!reply.startsWith('$')) return true;
  const header = reply.indexOf('\r\n');
  const length = Number(reply.slice(1, header));
  return length < 0 || Buffer.byteLength(reply) >= header + 2 + length + 2;
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
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

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const service of running) service.killNow();
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
