import type { IssuedCredentials } from '../core/engine.js';
import type { ResolvedConfig } from '../core/config.js';
import { clearCookies, COOKIE_NAMES, serializeCookie } from './cookies.js';

const ACCESS_COOKIE = { name: COOKIE_NAMES.access, path: '/', sameSite: 'Lax' } as const;
const SESSION_COOKIE = { name: COOKIE_NAMES.session, path: '/', sameSite: 'Lax' } as const;
// The refresh cookie goes only to /auth and never on cross-site navigations (RFC 6265bis §8.8.2).
const REFRESH_COOKIE = { name: COOKIE_NAMES.refresh, path: '/auth', sameSite: 'Strict' } as const;

/** The Set-Cookie values that hand credentials to a browser. */
export function credentialCookies(credentials: IssuedCredentials, config: ResolvedConfig, now: number): string[] {
  if (credentials.kind === 'session') {
    // The cookie lives as long as the absolute expiry; the server enforces the sliding idle expiry.
    return [serializeCookie(SESSION_COOKIE.name, credentials.token, { ...SESSION_COOKIE, maxAgeSeconds: config.session.absoluteTtlSeconds })];
  }
  return [
    serializeCookie(ACCESS_COOKIE.name, credentials.accessToken, {
      ...ACCESS_COOKIE,
      maxAgeSeconds: Math.ceil((credentials.accessExpiresAt - now) / 1000),
    }),
    serializeCookie(REFRESH_COOKIE.name, credentials.refreshToken, {
      ...REFRESH_COOKIE,
      maxAgeSeconds: Math.ceil((credentials.refreshExpiresAt - now) / 1000),
    }),
  ];
}

/** Set-Cookie values that delete the credential cookies of the posture. */
export function clearCredentialCookies(config: ResolvedConfig): string[] {
  return config.mode === 'session' ? clearCookies(SESSION_COOKIE) : clearCookies(ACCESS_COOKIE, REFRESH_COOKIE);
}
