/**
 * The browser client of the HTTP contract: cookie transport only (a token never reaches script),
 * the CSRF header handled for the caller, and a refresh-on-401 coordinated across tabs in the jwt
 * postures. Browser-only code: imports nothing but its sibling module.
 */
import { createRefreshCoordinator } from './refresh-coordinator.js';

/** Options of `createTesseraClient`. */
export interface TesseraClientOptions {
  /** Where the Tessera routes are served, e.g. `https://api.example.com`; default: this page's origin. */
  baseUrl?: string;
  /** `include` when the API is on another (allowed) origin; default `same-origin`. */
  credentials?: 'same-origin' | 'include';
  /**
   * Refresh on a 401 (jwt postures). `auto` (default) tries, and stops trying once the server
   * shows it runs the session posture (`me().mode`, or a 404 from `/auth/refresh`).
   */
  refresh?: 'auto' | boolean;
}

/** A user as the API shows it. */
export interface ClientUser { id: string; email: string; roles: string[] }

/** One device's login, as `GET /auth/sessions` lists it (timestamps are RFC 3339). */
export interface ClientSession {
  id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  user_agent: string | null;
  ip: string | null;
  current: boolean;
}

/** The answer of `GET /auth/me`. */
export interface MeResponse {
  user: ClientUser;
  session: { id: string; created_at: string; expires_at: string };
  mode: string;
}

/** A problem response (RFC 9457) turned into an exception; switch on `code`. */
export class TesseraClientError extends Error {
  readonly status: number;
  /** The problem's `code` (`unauthenticated`, `csrf_rejected`…), or `http_<status>` without one. */
  readonly code: string;
  constructor(status: number, code: string, detail?: string) {
    super(detail ?? `request failed with ${status} ${code}`);
    this.name = 'TesseraClientError';
    this.status = status;
    this.code = code;
  }
}

/** The client; every method rejects with `TesseraClientError` on an error response. */
export interface TesseraClient {
  signup(email: string, password: string): Promise<ClientUser>;
  /** Logs in with the cookie transport; the CSRF token it returns is kept in memory only. */
  login(email: string, password: string): Promise<{ user: ClientUser; session: { id: string; expires_at: string } }>;
  logout(): Promise<void>;
  logoutAll(): Promise<void>;
  me(): Promise<MeResponse>;
  sessions(): Promise<ClientSession[]>;
  revokeSession(id: string): Promise<void>;
  /** `fetch` for the app's own API: adds `X-CSRF-Token` on unsafe methods and refreshes on a 401. */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The problem's `code` and `detail`, read from a clone (the response stays unread for the caller). */
async function problemOf(res: Response): Promise<{ code: string; detail?: string }> {
  const body = (await res.clone().json().catch(() => ({}))) as { code?: unknown; detail?: unknown };
  return { code: typeof body.code === 'string' ? body.code : `http_${res.status}`, detail: typeof body.detail === 'string' ? body.detail : undefined };
}

/**
 * Creates a client for a Tessera server.
 * @example
 * const auth = createTesseraClient();
 * await auth.login(email, password);
 * const res = await auth.fetch('/api/notes', { method: 'POST', body: JSON.stringify(note) });
 */
export function createTesseraClient(options: TesseraClientOptions = {}): TesseraClient {
  const base = (options.baseUrl ?? '').replace(/\/+$/, '');
  const credentials = options.credentials ?? 'same-origin';
  let canRefresh: 'auto' | boolean = options.refresh ?? 'auto';
  let csrf: string | null = null;
  const apiOrigin = () => new URL(base || '/', (globalThis as { location?: { href: string } }).location?.href).origin;
  const remember = (body: unknown) => {
    const token = (body as { csrf_token?: unknown } | null)?.csrf_token;
    if (typeof token === 'string') csrf = token;
  };

  const refreshAfter = createRefreshCoordinator(async () => {
    // The refresh cookie authenticates this request, so it carries the login's CSRF token like any
    // unsafe cookie request (after a reload, `GET /auth/csrf` answers from the refresh cookie). A
    // token handed out before another tab logged in again is refused once: fetch the current one.
    const hadToken = csrf !== null;
    let res = await postRefresh();
    if (res.status === 403 && hadToken && (await problemOf(res)).code === 'csrf_rejected') {
      csrf = null;
      res = await postRefresh();
    }
    if (res.status === 404 && canRefresh === 'auto') canRefresh = false;
    if (res.ok) remember(await res.json());
    return res.ok;
  });

  async function postRefresh(): Promise<Response> {
    const token = await csrfToken();
    return fetch(`${base}/auth/refresh`, { method: 'POST', credentials, headers: token !== null ? { 'X-CSRF-Token': token } : {} });
  }

  async function csrfToken(): Promise<string | null> {
    if (csrf === null) {
      const res = await fetch(`${base}/auth/csrf`, { credentials });
      if (res.ok) remember(await res.json());
    }
    return csrf;
  }

  async function send(request: Request, withCsrf: boolean): Promise<Response> {
    if (!withCsrf || !UNSAFE.has(request.method)) return fetch(request);
    const token = await csrfToken();
    const headers = new Headers(request.headers);
    if (token !== null) headers.set('X-CSRF-Token', token);
    return fetch(new Request(request, { headers }));
  }

  async function apiFetch(input: string | URL | Request, init: RequestInit | undefined, auto: { csrf: boolean; retry: boolean }): Promise<Response> {
    const given = new Request(input, init);
    // The CSRF token, the credentials mode and the refresh are for our API only; other origins get the request as is.
    if (new URL(given.url).origin !== apiOrigin()) return fetch(given);
    const request = new Request(given, { credentials: init?.credentials ?? credentials });
    const spare = request.clone();
    const sentAt = Date.now();
    const hadToken = csrf !== null;
    const res = await send(request, auto.csrf);
    if (res.status === 403 && auto.csrf && hadToken && (await problemOf(res)).code === 'csrf_rejected') {
      // The session changed in another tab since this token was handed out: fetch the current one.
      csrf = null;
      return send(spare, true);
    }
    if (res.status !== 401 || !auto.retry || canRefresh === false) return res;
    return (await refreshAfter(sentAt)) ? send(spare, auto.csrf) : res;
  }

  async function call<T>(method: string, path: string, body?: unknown, auto = { csrf: true, retry: true }): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.headers = { 'content-type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    const res = await apiFetch(`${base}${path}`, init, auto);
    if (!res.ok) {
      const { code, detail } = await problemOf(res);
      throw new TesseraClientError(res.status, code, detail);
    }
    const data = res.status === 204 ? undefined : await res.json();
    remember(data);
    return data as T;
  }
  // Signup and login carry no credential yet: no CSRF token to send, nothing to refresh.
  const anonymous = { csrf: false, retry: false };

  return {
    async signup(email, password) {
      return (await call<{ user: ClientUser }>('POST', '/auth/signup', { email, password }, anonymous)).user;
    },
    async login(email, password) {
      const body = await call<{ user: ClientUser; session: { id: string; expires_at: string } }>(
        'POST', '/auth/login', { email, password, transport: 'cookie' }, anonymous,
      );
      return { user: body.user, session: body.session };
    },
    async logout() {
      // No refresh first: the logout route ends the refresh family even with an expired access token.
      await call('POST', '/auth/logout', undefined, { csrf: true, retry: false }).finally(() => (csrf = null));
    },
    async logoutAll() {
      await call('POST', '/auth/logout-all').finally(() => (csrf = null));
    },
    async me() {
      const body = await call<MeResponse>('GET', '/auth/me');
      if (body.mode === 'session' && canRefresh === 'auto') canRefresh = false;
      return body;
    },
    async sessions() {
      return (await call<{ sessions: ClientSession[] }>('GET', '/auth/sessions')).sessions;
    },
    async revokeSession(id) {
      await call('DELETE', `/auth/sessions/${encodeURIComponent(id)}`);
    },
    fetch: (input, init) => apiFetch(input, init, { csrf: true, retry: true }),
  };
}
