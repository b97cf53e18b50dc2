import type { HttpResponse } from './types.js';

/** Headers on every API response: no caching of credentials, no sniffing, no framing, no referrer. */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
});

/** A JSON response. */
export function json(status: number, body: unknown, cookies: string[] = []): HttpResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, cookies, body: JSON.stringify(body) };
}

/** A 204 response. */
export function noContent(cookies: string[] = []): HttpResponse {
  return { status: 204, headers: {}, cookies };
}

/** Epoch ms as an RFC 3339 timestamp. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
