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

// RFC 6750 §2.1: b64token, case-insensitive scheme, one space.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
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
    const match = BEARER.exec(authorization.trim());
    return match ? { token: match[1]!, transport: 'bearer' } : 'malformed';
  }
  const token = parseCookies(request.headers.cookie).get(cookieName);
  if (!token) return null;
  return token.length > MAX_CREDENTIAL_LENGTH ? 'malformed' : { token, transport: 'cookie' };
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
  const unsafeBrowserRequest = isUnsafeMethod(request.method) && request.headers.authorization === undefined && !options.skipCsrf;
  // A cross-site unsafe request is refused before anything else, whether or not the browser
  // attached a cookie (SameSite may have withheld it): the rejection is explicit and logged.
  if (unsafeBrowserRequest) {
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
  if (presented === 'malformed') {
    reportAuthDecision(tessera, 'malformed');
    throw new ResponseError(rejection('malformed', true));
  }
  // A store failure here propagates (503) and is not a decision.
  const result = await tessera.authenticate(presented.token, presented.transport);
  if (!result.ok) {
    reportAuthDecision(tessera, result.reason);
    throw new ResponseError(rejection(result.reason, presented.transport === 'bearer'));
  }
  const principal = result.principal;
  if (presented.transport === 'cookie' && unsafeBrowserRequest && !(await tessera.verifyCsrf(principal.session.id, presentedCsrfToken(request)))) {
    throw csrfRejected(tessera);
  }
  reportAuthDecision(tessera, 'ok');
  return principal;
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
