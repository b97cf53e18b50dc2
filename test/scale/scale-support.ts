import { spawnServer, type ServerProcess } from '../helpers/process-server.js';

export const PASSWORD = 'correct horse battery staple';

/** A JSON request with a bounded time; returns status and parsed body. */
export async function call(
  url: string,
  method: string,
  path: string,
  options: { token?: string; json?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url + path, {
    method,
    headers,
    body: options.json === undefined ? null : JSON.stringify(options.json),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { status: res.status, body };
}

/** Signs up (if needed) and logs in with bearer transport; returns the access and refresh tokens. */
export async function bearerLogin(url: string, email: string): Promise<{ access: string; refresh: string }> {
  const signup = await call(url, 'POST', '/auth/signup', { json: { email, password: PASSWORD } });
  if (signup.status !== 201 && signup.status !== 409) throw new Error(`signup failed: ${signup.status}`);
  const login = await call(url, 'POST', '/auth/login', { json: { email, password: PASSWORD, transport: 'bearer' } });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return { access: String(login.body.access_token), refresh: String(login.body.refresh_token ?? '') };
}

/** Polls `check` until it returns true; resolves with the elapsed ms, or rejects after `limitMs`. */
export async function pollUntil(check: () => Promise<boolean>, limitMs: number, intervalMs = 2): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < 100_000; i++) {
    if (await check()) return performance.now() - start;
    if (performance.now() - start > limitMs) throw new Error(`condition not met within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error('poll loop bound reached');
}

/** Starts `count` server processes on one store URL. */
export async function startInstances(count: number, mode: string, store: string): Promise<ServerProcess[]> {
  const servers: ServerProcess[] = [];
  for (let i = 0; i < count; i++) servers.push(await spawnServer(['--mode', mode, '--store', store]));
  return servers;
}

/** Percentile of a list of numbers. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
