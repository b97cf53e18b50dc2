/**
 * The audit's HTTP client: plain `fetch` with a per-client cookie jar, an optional browser
 * `Origin`, bounded waits, no redirects followed. It imitates a browser where Tessera's defences
 * look (Origin, Sec-Fetch-Site, cookies, X-CSRF-Token), and a non-browser client otherwise.
 */

/** Every request of the audit is bounded by this. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** One parsed `Set-Cookie` value (RFC 6265bis §5.6). */
export interface SetCookie {
  name: string;
  value: string;
  /** Attribute names lower-cased; flags (`HttpOnly`) are `true`. */
  attributes: Record<string, string | true>;
}

/** A response, read completely. */
export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON, or null. */
  body: any;
  setCookies: SetCookie[];
  /** When the request was sent (epoch ms). */
  sentAt: number;
}

/** Parses one `Set-Cookie` header value. */
export function parseSetCookie(value: string): SetCookie {
  const [pair = '', ...rest] = value.split(';');
  const eq = pair.indexOf('=');
  const attributes: Record<string, string | true> = {};
  for (const part of rest) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const i = trimmed.indexOf('=');
    if (i < 0) attributes[trimmed.toLowerCase()] = true;
    else attributes[trimmed.slice(0, i).trim().toLowerCase()] = trimmed.slice(i + 1).trim();
  }
  return { name: (eq < 0 ? '' : pair.slice(0, eq)).trim(), value: (eq < 0 ? pair : pair.slice(eq + 1)).trim(), attributes };
}

/** True if a Set-Cookie deletes its cookie (Max-Age ≤ 0 or an empty value). */
export function isDeletion(cookie: SetCookie): boolean {
  const maxAge = cookie.attributes['max-age'];
  return cookie.value === '' || (typeof maxAge === 'string' && Number(maxAge) <= 0);
}

/** Options of one request. */
export interface RequestOptions {
  json?: unknown;
  /** Raw `Cookie` header (overrides the jar). */
  cookie?: string;
  bearer?: string;
  headers?: Record<string, string>;
}

/** Sends one request to `base` + `path`. Network failures reject with an Error naming the path. */
export async function send(base: string, method: string, path: string, options: RequestOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'tessera-audit/1' };
  let body: string | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  }
  if (options.cookie !== undefined && options.cookie !== '') headers.cookie = options.cookie;
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  Object.assign(headers, options.headers ?? {});
  const sentAt = Date.now();
  let res: Response;
  try {
    res = await fetch(new URL(path, base), { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : err instanceof Error ? `: ${err.message}` : '';
    throw new Error(`${method} ${path} failed${cause}`);
  }
  const text = await res.text();
  let parsed: unknown = null;
  if (text !== '' && /json/i.test(res.headers.get('content-type') ?? '')) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  return { status: res.status, headers: res.headers, text, body: parsed, setCookies: res.headers.getSetCookie().map(parseSetCookie), sentAt };
}

/** A browser-like client: keeps cookies, sends an Origin, remembers the CSRF token. */
export class Browser {
  readonly jar = new Map<string, string>();
  csrf: string | undefined;

  constructor(
    readonly base: string,
    readonly origin: string,
  ) {}

  cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /**
   * Sends a request as this browser. `csrf: true` attaches the remembered token; a string sends
   * that value. `origin: null` omits the Origin header; a string overrides it.
   */
  async request(
    method: string,
    path: string,
    options: { json?: unknown; csrf?: boolean | string; origin?: string | null; headers?: Record<string, string> } = {},
  ): Promise<HttpResult> {
    const headers: Record<string, string> = {};
    const origin = options.origin === undefined ? this.origin : options.origin;
    if (origin !== null) headers.origin = origin;
    if (options.csrf === true && this.csrf !== undefined) headers['x-csrf-token'] = this.csrf;
    else if (typeof options.csrf === 'string') headers['x-csrf-token'] = options.csrf;
    Object.assign(headers, options.headers ?? {});
    const res = await send(this.base, method, path, { json: options.json, cookie: this.cookieHeader(), headers });
    for (const c of res.setCookies) {
      if (isDeletion(c)) this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
    if (res.status === 200 && typeof res.body?.csrf_token === 'string') this.csrf = res.body.csrf_token;
    return res;
  }
}

/** A short description of a response for a report line: `401 unauthenticated`. */
export function describe(res: HttpResult): string {
  const code = typeof res.body?.code === 'string' ? ` ${res.body.code}` : '';
  return `${res.status}${code}`;
}
