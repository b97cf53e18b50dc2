import { TesseraError } from '../core/errors.js';
import type { HttpRequest } from './types.js';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** True for the methods that change state (RFC 9110 §9.2.1). */
export function isUnsafeMethod(method: string): boolean {
  return UNSAFE.has(method.toUpperCase());
}

/**
 * The browser-origin checks: refuses a request a browser marked cross-site (Fetch Metadata,
 * `Sec-Fetch-Site`) or whose `Origin` is not in the allow-list (`Origin: null` included).
 * Requests without either header (non-browser clients) pass this check.
 * @throws TesseraError `csrf_rejected`
 */
export function assertSameOrigin(request: HttpRequest, allowedOrigins: ReadonlySet<string>): void {
  if (request.headers['sec-fetch-site']?.toLowerCase() === 'cross-site') {
    throw new TesseraError('csrf_rejected', 'cross-site request refused');
  }
  const origin = request.headers.origin;
  if (origin !== undefined && !allowedOrigins.has(origin.toLowerCase())) {
    throw new TesseraError('csrf_rejected', 'origin not allowed');
  }
}

/** The `X-CSRF-Token` header, or an empty string. */
export function presentedCsrfToken(request: HttpRequest): string {
  return request.headers['x-csrf-token'] ?? '';
}

/** The configured browser origins, normalised for comparison with the `Origin` header. */
export function allowedOrigins(origins: readonly string[]): ReadonlySet<string> {
  return new Set(origins.map((o) => new URL(o).origin.toLowerCase()));
}
