import { Agent, request as httpRequest } from 'node:http';
import type { ServerProcess } from '../helpers/process-server.js';

/**
 * Helpers of the fault and load tests: a bounded node:http client (keep-alive agents, explicit
 * timeouts, no retries), a load loop that records every request, and small polling utilities.
 * Everything here talks to 127.0.0.1 only.
 */

export const PASSWORD = 'correct horse battery staple';

/** One answered (or failed) request. */
export interface Sample {
  /** `performance.now()` when the request was sent and when it settled. */
  start: number;
  end: number;
  /** The HTTP status, or 0 when no response came (see `error`). */
  status: number;
  /** The problem+json `code` of an error response, if any. */
  code?: string;
  /** The socket error code (`ECONNREFUSED`, `ECONNRESET`…) or `timeout` when no response came. */
  error?: string;
  body?: Record<string, unknown>;
}

/** Options of {@link send}. */
export interface SendOptions {
  /** A keep-alive agent to reuse connections, or `false` for one connection per request. */
  agent?: Agent | false;
  token?: string;
  json?: unknown;
  /** Gives up (sample `error: 'timeout'`) after this many ms. Default 10 s. */
  timeoutMs?: number;
}

/** Sends one request over node:http; never rejects: a failure is a sample with `status: 0`. */
export function send(base: string, method: string, path: string, options: SendOptions = {}): Promise<Sample> {
  const url = new URL(path, base);
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const payload = options.json === undefined ? undefined : JSON.stringify(options.json);
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  const start = performance.now();
  return new Promise<Sample>((resolve) => {
    let settled = false;
    const finish = (sample: Omit<Sample, 'start' | 'end'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ start, end: performance.now(), ...sample });
    };
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, agent: options.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err: NodeJS.ErrnoException) => finish({ status: 0, error: err.code ?? 'response_error' }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Record<string, unknown> = {};
          try {
            body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
          } catch {
            body = { text };
          }
          const code = typeof body.code === 'string' ? body.code : undefined;
          finish({ status: res.statusCode ?? 0, body, ...(code === undefined ? {} : { code }) });
        });
      },
    );
    const timer = setTimeout(() => {
      finish({ status: 0, error: 'timeout' });
      req.destroy();
    }, options.timeoutMs ?? 10_000);
    req.on('error', (err: NodeJS.ErrnoException) => finish({ status: 0, error: err.code ?? err.message }));
    req.end(payload);
  });
}

/** A keep-alive agent with at most `sockets` connections. Destroy it after use. */
export function keepAliveAgent(sockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
}

/** A load loop in progress: `stop()` ends every worker after its current request and returns all samples. */
export interface LoadRun {
  /** Samples recorded so far (the live array). */
  readonly samples: Sample[];
  stop(): Promise<Sample[]>;
}

/**
 * Starts `workers` concurrent loops, each sending `request(worker)` back to back until `stop()`.
 * Bounded: every request has its own timeout (see {@link send}).
 */
export function startLoad(workers: number, request: (worker: number) => Promise<Sample>): LoadRun {
  const samples: Sample[] = [];
  let running = true;
  const loops = Array.from({ length: workers }, async (_, worker) => {
    while (running) samples.push(await request(worker));
  });
  return {
    samples,
    async stop() {
      running = false;
      await Promise.all(loops);
      return samples;
    },
  };
}

/** Signs up (201 or 409) and logs in with bearer transport; returns the token, or throws. */
export async function bearerLogin(base: string, email: string, options: { signup?: boolean } = {}): Promise<{ access: string; refresh: string }> {
  if (options.signup !== false) {
    const signup = await send(base, 'POST', '/auth/signup', { json: { email, password: PASSWORD } });
    if (signup.status !== 201 && signup.status !== 409) throw new Error(`signup failed: ${signup.status} ${signup.error ?? ''}`);
  }
  const login = await send(base, 'POST', '/auth/login', { json: { email, password: PASSWORD, transport: 'bearer' } });
  if (login.status !== 200 || login.body === undefined) throw new Error(`login failed: ${login.status} ${login.error ?? ''} ${JSON.stringify(login.body)}`);
  return { access: String(login.body.access_token), refresh: String(login.body.refresh_token ?? '') };
}

/** Runs `task` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  });
  await Promise.all(workers);
  return results;
}

/** Polls `check` every `intervalMs` until it returns true; rejects after `limitMs`. Resolves with the elapsed ms. */
export async function waitUntil(what: string, check: () => Promise<boolean>, limitMs: number, intervalMs = 100): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
    await sleep(intervalMs);
  }
}

/** A loopback port that was free a moment ago: a service is started on it later. */
export { freePort as reservePort } from '../helpers/ports.js';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True while the spawned server process has not exited. */
export function isAlive(server: ServerProcess): boolean {
  return server.child.exitCode === null && server.child.signalCode === null;
}

/** Percentile (nearest rank) of a list of numbers. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** A short summary of the statuses of some samples, for assertion messages: `{ "200": 12, "503": 40 }`. */
export function tally(samples: readonly Sample[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of samples) {
    const key = s.status === 0 ? (s.error ?? 'error') : String(s.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
