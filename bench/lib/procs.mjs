// Child processes of the benchmark (servers under test, the memory probe), registered so that the
// runner can end every one it started, by its own handle, on success, error or signal.
import { fork } from 'node:child_process';
import { once } from 'node:events';

const children = new Set();

/** Sends SIGKILL to every child still running (process exit, last resort). */
export function killChildrenNow() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

/** Asks every child to stop, then kills what is left after 5 s. */
export async function stopChildren() {
  await Promise.allSettled([...children].map((child) => stopChild(child)));
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return;
  }
  const exit = once(child, 'exit');
  try {
    if (child.connected) child.send('stop');
    else child.kill('SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exit.catch(() => undefined);
  clearTimeout(timer);
  children.delete(child);
}

/** Waits for the next IPC message of `type` from the child (or its exit, which rejects). */
function nextMessage(child, type, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`child: no '${type}' within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message) => {
      if (message?.type === type) finish(null, message);
      else if (message?.type === 'error') finish(new Error(`child failed: ${message.message}`));
    };
    const onExit = (code, signal) => finish(new Error(`child exited (${code ?? signal}) before '${type}'`));
    function finish(error, value) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/**
 * Forks `bench/lib/server.mjs` with `spec` and resolves once it listens.
 * @returns {Promise<{ port: number, pid: number, mark(): Promise<void>, stats(): Promise<{cpuShare:number, rssBytes:number}>, stop(): Promise<void> }>}
 */
export async function startServerProcess(spec, env = {}, execArgv = []) {
  const child = fork(new URL('./server.mjs', import.meta.url), [JSON.stringify(spec)], {
    execArgv,
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  try {
    const ready = await nextMessage(child, 'ready');
    return {
      port: ready.port,
      // The propagation floor's port, when the spec asked for it (server.mjs).
      floorPort: ready.floorPort,
      pid: child.pid,
      async mark() {
        const marked = nextMessage(child, 'marked');
        child.send('mark');
        await marked;
      },
      async stats() {
        const stats = nextMessage(child, 'stats');
        child.send('stats');
        return stats;
      },
      async profile(action, file) {
        const done = nextMessage(child, 'profiled');
        child.send({ type: 'profile', action, file });
        await done;
      },
      stop: () => stopChild(child),
      stderr: () => stderr,
    };
  } catch (error) {
    await stopChild(child);
    throw new Error(`${error.message}\n${stderr}`);
  }
}

/** Forks a one-shot script and resolves with its `result` message. */
export async function runChildScript(url, args = [], { execArgv = [], timeoutMs = 120_000 } = {}) {
  const child = fork(url, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  try {
    const { value } = await nextMessage(child, 'result', timeoutMs);
    return value;
  } finally {
    await stopChild(child);
  }
}
