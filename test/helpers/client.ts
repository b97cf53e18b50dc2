/**
 * A tiny cookie-jar HTTP client over global `fetch`, for tests against the reference server.
 * It behaves like a browser where it matters to Tessera: it keeps cookies (Secure is ignored,
 * tests run on http://127.0.0.1 loopback), sends `Origin` when configured, and remembers the
 * CSRF token handed out at login or by `GET /auth/csrf`, sending it on unsafe methods.
 */

/** One parsed `Set-Cookie` header value. */
export interface ParsedSetCookie {
  name: string;
  value: string;
  /** Attribute names lower-cased; flag attributes (`HttpOnly`) are `true`. */
  attributes: Record<string, string | true>;
}

/** Parses one `Set-Cookie` value (RFC 6265bis §5.6). */
export function parseSetCookie(value: string): ParsedSetCookie {
  const [pair = '', ...rest] = value.split(';');
  const eq = pair.indexOf('=');
  const name = (eq < 0 ? '' : pair.slice(0, eq)).trim();
  const cookieValue = (eq < 0 ? pair : pair.slice(eq + 1)).trim();
  const attributes: Record<string, string | true> = {};
  for (const part of rest) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const i = trimmed.indexOf('=');
    if (i < 0) attributes[trimmed.toLowerCase()] = true;
    else attributes[trimmed.slice(0, i).trim().toLowerCase()] = trimmed.slice(i + 1).trim();
  }
  return { name, value: cookieValue, attributes };
}

/** Options of one request. */
export interface RequestOptions {
  /** Serialised as the body with `Content-Type: application/json` (unless `contentType` says otherwise). */
  json?: unknown;
  /** Sent as is (with `contentType`, if given). */
  rawBody?: string | Uint8Array;
  contentType?: string;
  /** Extra headers; they override the client's own (`origin`, `cookie`, `x-csrf-token`…). */
  headers?: Record<string, string>;
  /** Send the remembered CSRF token on an unsafe method (default true). */
  withCsrf?: boolean;
  /** Send the jar's cookies (default true). */
  withCookies?: boolean;
}

/** A response, read completely. */
export interface ClientResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the content type is JSON, else the text (empty string for no body). */
  body: any;
  /** The raw body text. */
  text: string;
  setCookies: ParsedSetCookie[];
}

/** Options of `createClient`. */
export interface ClientOptions {
  /** Sent as `Origin` on every request, as a browser would. */
  origin?: string;
  userAgent?: string;
}

/** A client with its own cookie jar. */
export interface TestClient {
  request(method: string, path: string, options?: RequestOptions): Promise<ClientResponse>;
  get(path: string, options?: RequestOptions): Promise<ClientResponse>;
  post(path: string, options?: RequestOptions): Promise<ClientResponse>;
  /** The value of a cookie in the jar. */
  cookie(name: string): string | undefined;
  setCookie(name: string, value: string): void;
  deleteCookie(name: string): void;
  /** The CSRF token remembered from login or `GET /auth/csrf`; can be overwritten. */
  csrf: string | undefined;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Creates a client for `baseUrl` (e.g. `http://127.0.0.1:PORT`).
 * @example const alice = createClient(server.url, { origin: server.origin });
 */
export function createClient(baseUrl: string, options: ClientOptions = {}): TestClient {
  const jar = new Map<string, string>();

  const client: TestClient = {
    csrf: undefined,
    cookie: (name) => jar.get(name),
    setCookie: (name, value) => void jar.set(name, value),
    deleteCookie: (name) => void jar.delete(name),
    get: (path, opts) => client.request('GET', path, opts),
    post: (path, opts) => client.request('POST', path, opts),

    async request(method, path, opts = {}) {
      const upper = method.toUpperCase();
      const headers: Record<string, string> = {};
      if (options.origin !== undefined) headers.origin = options.origin;
      if (options.userAgent !== undefined) headers['user-agent'] = options.userAgent;
      if (opts.withCookies !== false && jar.size > 0) {
        headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
      }
      if (UNSAFE.has(upper) && opts.withCsrf !== false && client.csrf !== undefined) {
        headers['x-csrf-token'] = client.csrf;
      }
      let body: string | Uint8Array | undefined;
      if (opts.json !== undefined) {
        body = JSON.stringify(opts.json);
        headers['content-type'] = opts.contentType ?? 'application/json';
      } else if (opts.rawBody !== undefined) {
        body = opts.rawBody;
        if (opts.contentType !== undefined) headers['content-type'] = opts.contentType;
      } else if (opts.contentType !== undefined) {
        headers['content-type'] = opts.contentType;
      }
      Object.assign(headers, opts.headers ?? {});

      const res = await fetch(new URL(path, baseUrl), {
        method: upper,
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      const contentType = res.headers.get('content-type') ?? '';
      let parsed: unknown = text;
      if (/[/+]json\b/i.test(contentType) && text !== '') {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      const setCookies = res.headers.getSetCookie().map(parseSetCookie);
      for (const c of setCookies) {
        const maxAge = c.attributes['max-age'];
        const expires = c.attributes.expires;
        const expired =
          (typeof maxAge === 'string' && Number(maxAge) <= 0) ||
          (maxAge === undefined && typeof expires === 'string' && Date.parse(expires) <= Date.now());
        if (expired) jar.delete(c.name);
        else jar.set(c.name, c.value);
      }
      if (res.ok && parsed && typeof parsed === 'object' && 'csrf_token' in parsed) {
        const token = (parsed as { csrf_token: unknown }).csrf_token;
        if (typeof token === 'string') client.csrf = token;
      }
      return { status: res.status, headers: res.headers, body: parsed, text, setCookies };
    },
  };
  return client;
}
