/**
 * The tiny framework-neutral request/response shapes. Adapters translate to and from them;
 * nothing in `http/` imports a framework.
 */

/** An incoming request. Header names are lower-case; repeated headers are joined with `, `. */
export interface HttpRequest {
  method: string;
  /** Path without the query string, e.g. `/auth/sessions/abc`. */
  path: string;
  /** Path parameters matched by the router, e.g. `{ id: 'abc' }`. */
  params: Readonly<Record<string, string>>;
  headers: Readonly<Record<string, string | undefined>>;
  /** Raw body bytes, or null when there was none. */
  body: Uint8Array | null;
  /** The socket's remote address. */
  ip: string | null;
}

/** An outgoing response. `body` is already serialised; `headers` carry its content type. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** Set-Cookie values, one per cookie. */
  cookies: string[];
  body?: string;
}

/** A route of the neutral router. */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path pattern with `:name` parameters, the syntax Fastify, Express and Hono share. */
  path: string;
  handle(request: HttpRequest): Promise<HttpResponse>;
}
