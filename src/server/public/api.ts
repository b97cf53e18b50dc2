/**
 * The page's only way to the server: cookie transport (never bearer, so no token ever reaches this
 * script), `X-CSRF-Token` on unsafe requests, and in the jwt postures one refresh-and-retry on a 401.
 */

/** An error response (RFC 9457 problem) as an exception; switch on `code`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, detail?: string) {
    super(detail ?? `${status} ${code}`);
    this.status = status;
    this.code = code;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/**
 * Sent without a CSRF token: login and signup (checked on Origin / Fetch Metadata only, there is no
 * session yet to bind one to), and refresh, which `refresh()` sends with its own.
 */
const NO_CSRF_TOKEN = new Set(['/auth/login', '/auth/signup', '/auth/refresh']);

/** The CSRF token of the current login, in memory only (from login, refresh or `GET /auth/csrf`). */
let csrfToken: string | null = null;
let canRefresh = false;
let refreshing: Promise<boolean> | null = null;

/** Tells the client which posture runs: only the jwt postures have `POST /auth/refresh`. */
export function useMode(mode: string): void {
  canRefresh = mode !== 'session';
}

/** Forgets the CSRF token (after logout: it was bound to the login that ended). */
export function forgetLogin(): void {
  csrfToken = null;
}

async function read<T>(res: Response): Promise<T> {
  if (!res.ok) {
    let problem: { code?: unknown; detail?: unknown } = {};
    try {
      problem = (await res.json()) as typeof problem;
    } catch {
      // Not a problem document; the status says enough.
    }
    throw new ApiError(res.status, typeof problem.code === 'string' ? problem.code : `http_${res.status}`, typeof problem.detail === 'string' ? problem.detail : undefined);
  }
  if (res.status === 204) return undefined as T;
  const body = (await res.json()) as T & { csrf_token?: unknown };
  if (typeof body.csrf_token === 'string') csrfToken = body.csrf_token;
  return body;
}

/**
 * Rotates the jwt credentials once, however many requests got a 401 at the same time. The refresh
 * cookie authenticates it, so it carries the login's CSRF token (after a reload, `GET /auth/csrf`
 * answers from the refresh cookie); a token from before a new login in another tab is replaced once.
 */
function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const hadToken = csrfToken !== null;
      csrfToken ??= (await call<{ csrf_token: string }>('GET', '/auth/csrf', undefined, false)).csrf_token;
      const res = await fetch('/auth/refresh', { method: 'POST', headers: { 'x-csrf-token': csrfToken } });
      if (res.status === 403 && hadToken && attempt === 0) {
        const problem = (await res.clone().json().catch(() => ({}))) as { code?: unknown };
        if (problem.code === 'csrf_rejected') {
          csrfToken = null;
          continue;
        }
      }
      await read(res);
      return true;
    }
    return false;
  })()
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

async function send(method: string, path: string, body: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (UNSAFE.has(method) && !NO_CSRF_TOKEN.has(path)) {
    csrfToken ??= (await call<{ csrf_token: string }>('GET', '/auth/csrf')).csrf_token;
    headers['x-csrf-token'] = csrfToken;
  }
  return fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}

/**
 * Calls the API and returns the parsed JSON (undefined for 204).
 * @throws ApiError on an error response, after one refresh-and-retry on a 401 (jwt postures) and
 * one retry with a fresh CSRF token on `csrf_rejected` (the login changed in another tab).
 */
export async function call<T>(method: string, path: string, body?: unknown, retry = true): Promise<T> {
  const res = await send(method, path, body);
  if (retry && res.status === 401 && canRefresh && !NO_CSRF_TOKEN.has(path) && (await refresh())) {
    return call<T>(method, path, body, false);
  }
  if (retry && res.status === 403 && csrfToken !== null) {
    const problem = (await res.clone().json().catch(() => ({}))) as { code?: unknown };
    if (problem.code === 'csrf_rejected') {
      csrfToken = null;
      return call<T>(method, path, body, false);
    }
  }
  return read<T>(res);
}
