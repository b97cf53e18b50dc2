import type { Tessera } from '../core/tessera.js';
import type { Principal, RejectReason, Transport } from '../core/types.js';
import { COOKIE_NAMES, parseCookies } from './cookies.js';
import { assertSameOrigin, isUnsafeMethod, presentedCsrfToken } from './csrf.js';
import { problem } from './problem.js';
import type { HttpRequest, HttpResponse } from './types.js';
import { TesseraError } from '../core/errors.js';
import { reportAuthDecision } from './auth-decisions.js';

/** A response to send instead of running the route; thrown by the guards below. */
export class ResponseError extends Error {
  readonly response: HttpResponse;
  constructor(response: HttpResponse) {
    super('response');
    this.response = response;
  }
}

/** A credential found on a request. */
export interface PresentedCredential {
  token: string;
  transport: Transport;
}

// RFC 6750 §2.1 (and RFC 9110 §11.1: the scheme is case-insensitive): `Bearer`, spaces, the token.
const BEARER_SCHEME = /^Bearer +/i;
/** Longest credential read from a request; anything longer is rejected before parsing (8 KiB). */
export const MAX_CREDENTIAL_LENGTH = 8192;

/**
 * The credential of a request: `Authorization: Bearer` wins over cookies (and is exempt from CSRF,
 * since a browser never attaches it on its own). Returns `malformed` for an unusable Authorization header.
 */
export function presentedCredential(request: HttpRequest, cookieName: string): PresentedCredential | 'malformed' | null {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    if (authorization.length > MAX_CREDENTIAL_LENGTH + 16) return 'malformed';
    const token = bearerToken(authorization);
    return token === null ? 'malformed' : { token, transport: 'bearer' };
  }
  const token = parseCookies(request.headers.cookie).get(cookieName);
  if (!token) return null;
  return token.length > MAX_CREDENTIAL_LENGTH ? 'malformed' : { token, transport: 'cookie' };
}

/**
 * The token of an `Authorization: Bearer` value, or null for another scheme or no token. Only the
 * scheme is parsed here: the token's characters are checked by the posture that reads it, as a
 * cookie's value is (a session id is exactly 43 base64url characters; an access token is three
 * base64url parts, or the exact string of one verified before), and anything else is `malformed`
 * there. Scanning every character here too cost more than the rest of a cached token's check.
 */
function bearerToken(authorization: string): string | null {
  const value = authorization.trim();
  if (!BEARER_SCHEME.test(value)) return null;
  let start = 'Bearer '.length;
  while (value.charCodeAt(start) === 0x20) start += 1;
  // Never empty: `value` is trimmed, so a space is always followed by something.
  return value.slice(start);
}

function rejection(reason: RejectReason | 'missing', bearer: boolean): HttpResponse {
  const code = reason === 'expired' ? 'token_expired' : 'unauthenticated';
  const detail = reason === 'missing' ? 'authentication required' : reason === 'expired' ? 'the token has expired' : 'the credential is not valid';
  return problem(code, { detail, bearer, tokenPresented: reason !== 'missing' });
}

/** The name of the cookie that carries the per-request credential in this posture. */
export function credentialCookieName(tessera: Tessera): string {
  return tessera.config.mode === 'session' ? COOKIE_NAMES.session : COOKIE_NAMES.access;
}

/** Options of `requirePrincipal`. */
export interface GuardOptions {
  /** Origins allowed for browser requests (lower-case). */
  origins: ReadonlySet<string>;
  /** Skip the CSRF token check (routes that are safe to call cross-site-free, e.g. none by default). */
  skipCsrf?: boolean;
}

/**
 * Authenticates the request and, for unsafe methods authenticated by cookie, enforces CSRF:
 * Fetch Metadata and Origin first, then the session-bound `X-CSRF-Token` (constant time).
 * @throws ResponseError with the 401 / 403 problem response.
 */
export async function requirePrincipal(tessera: Tessera, request: HttpRequest, options: GuardOptions): Promise<Principal> {
  const presented = guardedCredential(tessera, request, options);
  // A store failure here propagates (503) and is not a decision.
  const result = await tessera.authenticate(presented.token, presented.transport);
  if (!result.ok) throw refused(tessera, result.reason, presented.transport === 'bearer');
  const principal = result.principal;
  const csrfToken = csrfTokenToCheck(request, presented, options);
  if (csrfToken !== undefined && !(await tessera.verifyCsrf(principal.session.id, csrfToken))) throw csrfRejected(tessera);
  reportAuthDecision(tessera, 'ok');
  return principal;
}

/**
 * Ends the session / refresh family of the request's credential, with the checks, answers and
 * decisions of `requirePrincipal` (CSRF before anything ends), in one step of the library
 * (`logoutCredential`: in the jwt postures the revocation goes out as soon as the token verifies).
 * @throws ResponseError with the 401 / 403 problem response.
 */
export async function logoutPresented(tessera: Tessera, request: HttpRequest, options: GuardOptions): Promise<void> {
  const presented = guardedCredential(tessera, request, options);
  const result = await tessera.logoutCredential(presented.token, presented.transport, { csrfToken: csrfTokenToCheck(request, presented, options) });
  if (result.ok) reportAuthDecision(tessera, 'ok');
  else if (result.reason === 'csrf_rejected') throw csrfRejected(tessera);
  else throw refused(tessera, result.reason, presented.transport === 'bearer');
}

/** An unsafe request a browser may have sent on its own (no Authorization header), on a route that checks CSRF. */
function isUnsafeBrowserRequest(request: HttpRequest, options: GuardOptions): boolean {
  return isUnsafeMethod(request.method) && request.headers.authorization === undefined && !options.skipCsrf;
}

/**
 * The request's `X-CSRF-Token` (or '') when its credential came in a cookie on an unsafe request:
 * the caller checks it against the credential's session before anything else happens. Undefined
 * when no check applies (a bearer token, a safe method).
 */
function csrfTokenToCheck(request: HttpRequest, presented: PresentedCredential, options: GuardOptions): string | undefined {
  return presented.transport === 'cookie' && isUnsafeBrowserRequest(request, options) ? presentedCsrfToken(request) : undefined;
}

/**
 * The guard's checks before a credential is read by the posture: a cross-site unsafe request is
 * refused before anything else, and a missing or malformed credential is a 401.
 */
function guardedCredential(tessera: Tessera, request: HttpRequest, options: GuardOptions): PresentedCredential {
  // Whether or not the browser attached a cookie (SameSite may have withheld it): the rejection is
  // explicit and logged.
  if (isUnsafeBrowserRequest(request, options)) {
    try {
      assertSameOrigin(request, options.origins);
    } catch (err) {
      reportAuthDecision(tessera, 'csrf_rejected');
      throw err;
    }
  }
  const presented = presentedCredential(request, credentialCookieName(tessera));
  if (presented === null) {
    reportAuthDecision(tessera, 'missing');
    throw new ResponseError(rejection('missing', request.headers.authorization !== undefined));
  }
  if (presented === 'malformed') throw refused(tessera, 'malformed', true);
  return presented;
}

/** The 401 of a credential that was not accepted, counted as its decision. */
function refused(tessera: Tessera, reason: RejectReason, bearer: boolean): ResponseError {
  reportAuthDecision(tessera, reason);
  return new ResponseError(rejection(reason, bearer));
}

/**
 * The refusal of an unsafe cookie request without its session's `X-CSRF-Token` (the credential
 * cookie's here, the refresh cookie's in the jwt routes), counted as an auth decision.
 */
export function csrfRejected(tessera: Tessera): TesseraError {
  reportAuthDecision(tessera, 'csrf_rejected');
  return new TesseraError('csrf_rejected', 'missing or invalid X-CSRF-Token');
}

/** @throws TesseraError `forbidden` unless the principal holds the role. */
export function assertRole(principal: Principal, role: string): void {
  if (!principal.user.roles.includes(role)) throw new TesseraError('forbidden', `requires the ${role} role`);
}
