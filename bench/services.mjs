// Throwaway redis-server and PostgreSQL for the benchmark: plain-JS equivalents of
// test/services/{redis,postgres}.ts (which are TypeScript and need a loader). Loopback only,
// temporary directories, and every process started here is registered so `stopAll()` (also run on
// SIGINT, SIGTERM and process exit) ends it.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/** Everything still running: `{ name, killNow(), stop() }`. */
const running = new Set();
let exitHookInstalled = false;

/** Whatever way the process ends (even an uncaught exception), nothing started here outlives it. */
function register(service) {
  running.add(service);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', killAllNow);
  }
}

/** Stops every service still running (best effort, bounded). */
export async function stopAll() {
  const all = [...running];
  await Promise.allSettled(all.map((s) => s.stop()));
}

/** Synchronous last resort (process `exit`): SIGKILL/SIGQUIT and remove directories. */
export function killAllNow() {
  for (const s of running) {
    try {
      s.killNow();
    } catch {
      // Already gone.
    }
  }
  running.clear();
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  return address.port;
}

function isRunning(child) {
  return child.exitCode === null && child.signalCode === null;
}

async function exited(child, ms) {
  if (!isRunning(child)) return true;
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([once(child, 'exit').then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One RESP command over a fresh connection; enough for PING. */
function redisCommand(port, args) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const timer = setTimeout(() => socket.destroy(new Error('no reply within 1 s')), 1000);
    socket.on('connect', () => {
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.endsWith('\r\n')) {
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

/**
 * Starts `redis-server` on a free loopback port without persistence and waits until it answers PING.
 * @returns {Promise<{ url: string, port: number, pid: number, stop(): Promise<void> }>}
 */
export async function startRedis() {
  const binary = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  if (!binary) throw new Error('redis-server is not installed (apt-get install redis-server)');
  const directory = mkdtempSync(join(tmpdir(), 'tessera-bench-redis-'));
  const port = await freePort();
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', directory, '--daemonize', 'no', '--loglevel', 'warning'],
    { cwd: directory, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.on('error', () => undefined);
  let stopped = false;
  const service = {
    name: 'redis',
    killNow() {
      if (isRunning(child)) child.kill('SIGKILL');
      rmSync(directory, { recursive: true, force: true });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        if (isRunning(child)) {
          child.kill('SIGTERM');
          if (!(await exited(child, STOP_TIMEOUT_MS))) {
            child.kill('SIGKILL');
            await exited(child, STOP_TIMEOUT_MS);
          }
        }
      } finally {
        running.delete(service);
        rmSync(directory, { recursive: true, force: true });
      }
    },
  };
  register(service);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (!isRunning(child)) {
      await service.stop();
      throw new Error(`redis-server exited during start-up:\n${output}`);
    }
    try {
      if ((await redisCommand(port, ['PING'])) === '+PONG') break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await service.stop();
      throw new Error(`redis-server did not answer within ${READY_TIMEOUT_MS} ms:\n${output}`);
    }
    await sleep(50);
  }
  return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid, stop: () => service.stop() };
}

/** Debian's newest PostgreSQL server binaries, or null. */
function postgresBinDir() {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(`${root}/${v}/bin/initdb`))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? `${root}/${versions[0]}/bin` : null;
}

/** PostgreSQL refuses to run as root: run it as Debian's `postgres` user then. */
function serverOwner() {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  if (!Number.isInteger(uid) || uid === 0) throw new Error('running as root, but there is no unprivileged "postgres" user');
  return { uid, gid };
}

function tail(file) {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-20).join('\n') : '(no log)';
}

/**
 * Starts a PostgreSQL server (initdb with trust auth, no fsync) on a free loopback port with a
 * database `tessera`, as the `postgres` user when running as root.
 * @returns {Promise<{ url: string, port: number, pid: number, stop(): Promise<void> }>}
 */
export async function startPostgres() {
  const bin = postgresBinDir();
  if (bin === null) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
  const owner = serverOwner();
  const root = mkdtempSync(join(owner === undefined ? tmpdir() : '/tmp', 'tessera-bench-pg-'));
  const data = join(root, 'data');
  const logFile = join(root, 'postgres.log');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', TZ: 'UTC' };
  const spawnOptions = { cwd: root, env, ...(owner ?? {}) };
  if (owner !== undefined) chownSync(root, owner.uid, owner.gid);
  let child;
  let stopped = false;
  const service = {
    name: 'postgres',
    killNow() {
      if (child && isRunning(child)) child.kill('SIGQUIT');
      try {
        rmSync(root, { recursive: true, force: true });
      } catch {
        // Still being written; it is in /tmp.
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        if (child && isRunning(child)) {
          // SIGINT: PostgreSQL's fast shutdown (ends every backend, then exits).
          child.kill('SIGINT');
          if (!(await exited(child, STOP_TIMEOUT_MS))) {
            child.kill('SIGQUIT');
            await exited(child, STOP_TIMEOUT_MS);
          }
        }
      } finally {
        running.delete(service);
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
  register(service);
  try {
    await run(join(bin, 'initdb'), ['-D', data, '-U', 'tessera', '--auth=trust', '--no-locale', '--encoding=UTF8', '--no-sync'], {
      ...spawnOptions,
      timeout: 60_000,
    });
    const port = await freePort();
    const log = openSync(logFile, 'a');
    try {
      child = spawn(
        join(bin, 'postgres'),
        ['-D', data, '-p', String(port), '-k', root, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'full_page_writes=off',
          '-c', 'max_connections=200', '-c', 'shared_buffers=64MB', '-c', 'huge_pages=off'],
        { ...spawnOptions, stdio: ['ignore', log, log] },
      );
    } finally {
      closeSync(log);
    }
    child.on('error', () => undefined);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (!isRunning(child)) throw new Error(`postgres exited during start-up:\n${tail(logFile)}`);
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'tessera', database: 'postgres', connectionTimeoutMillis: 1000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('CREATE DATABASE tessera');
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`postgres did not accept connections: ${error}\n${tail(logFile)}`);
        await sleep(100);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    return { url: `postgres://tessera@127.0.0.1:${port}/tessera`, port, pid: child.pid, socketDir: root, stop: () => service.stop() };
  } catch (error) {
    await service.stop().catch(() => undefined);
    throw error;
  }
}
