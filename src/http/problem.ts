import { TesseraError, type ErrorCode } from '../core/errors.js';
import type { HttpResponse } from './types.js';

/** The one table from error code to HTTP status (RFC 9457 problem details). */
export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = Object.freeze({
  bad_request: 400,
  invalid_credentials: 401,
  unauthenticated: 401,
  token_expired: 401,
  forbidden: 403,
  csrf_rejected: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  unavailable: 503,
});

const TITLES: Readonly<Record<ErrorCode, string>> = Object.freeze({
  bad_request: 'Bad Request',
  invalid_credentials: 'Invalid credentials',
  unauthenticated: 'Unauthenticated',
  token_expired: 'Token expired',
  forbidden: 'Forbidden',
  csrf_rejected: 'CSRF check failed',
  not_found: 'Not Found',
  conflict: 'Conflict',
  payload_too_large: 'Payload Too Large',
  rate_limited: 'Too Many Requests',
  unavailable: 'Service Unavailable',
});

/** Extra context for a problem response. */
export interface ProblemOptions {
  detail?: string;
  retryAfterSeconds?: number;
  /** The request used a bearer token: a 401 then carries `WWW-Authenticate` (RFC 6750 §3). */
  bearer?: boolean;
  /** Whether a bearer token was presented at all (RFC 6750 §3.1: no error code when none was). */
  tokenPresented?: boolean;
}

/**
 * An `application/problem+json` response for an error code. The detail is a fixed,
 * human-written sentence: never a token, a password or a stack trace.
 */
export function problem(code: ErrorCode, options: ProblemOptions = {}): HttpResponse {
  const status = STATUS_BY_CODE[code];
  const headers: Record<string, string> = { 'content-type': 'application/problem+json; charset=utf-8' };
  if (status === 401 && options.bearer) {
    headers['www-authenticate'] = options.tokenPresented === false
      ? 'Bearer realm="tessera"'
      : `Bearer realm="tessera", error="invalid_token"`;
  }
  if (options.retryAfterSeconds !== undefined) headers['retry-after'] = String(options.retryAfterSeconds);
  const body: Record<string, unknown> = {
    type: `https://tessera.dev/problems/${code.replace(/_/g, '-')}`,
    title: TITLES[code],
    status,
    code,
  };
  if (options.detail) body.detail = options.detail;
  return { status, headers, cookies: [], body: JSON.stringify(body) };
}

/** Turns a thrown TesseraError into its problem response; null for anything else. */
export function problemFromError(err: unknown): HttpResponse | null {
  if (!(err instanceof TesseraError)) return null;
  const options: ProblemOptions = { detail: err.message };
  if (err.retryAfterSeconds !== undefined) options.retryAfterSeconds = err.retryAfterSeconds;
  return problem(err.code, options);
}

/** A 500 for an unexpected error: no message, no stack, only a generic sentence. */
export function internalError(): HttpResponse {
  return {
    status: 500,
    headers: { 'content-type': 'application/problem+json; charset=utf-8' },
    cookies: [],
    body: JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500, code: 'internal' }),
  };
}
