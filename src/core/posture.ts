import type { ResolvedConfig, Mode } from './config.js';

/** How fast one kind of revocation takes effect, in ms (0 = the next request). */
export interface RevocationWindows {
  logout: number;
  logout_all: number;
  disable: number;
  role_change: number;
}

/** The honest report of what the running configuration does; served by `GET /auth/posture`. */
export interface PostureReport {
  mode: Mode;
  /** Access-token lifetime in seconds (jwt postures); null in the session posture. */
  access_ttl_s: number | null;
  revocation: {
    mechanism: string;
    per_request_lookup: boolean;
    /** Longest time a revoked credential can still be used, in ms. */
    window_ms: number;
    events: RevocationWindows;
  };
  /** Signature algorithms the verifier accepts (empty in the session posture). */
  algorithms: string[];
  store: string;
  credential: { browser: string; non_browser: string; lifetime_s: number };
  csrf: { same_site: 'Lax'; token: string; origin_check: boolean; fetch_metadata: boolean };
  /** jwt-push only: what this instance has observed of its revocation feed. */
  feed?: { status: string; stale: boolean; stale_after_ms: number; p50_ms: number | null; p99_ms: number | null; samples: number; entries: number };
  warnings: string[];
}

/** Measured propagation of the jwt-push feed, when there is one. */
export interface FeedObservation {
  p50Ms: number | null;
  p99Ms: number | null;
  stale: boolean;
  samples: number;
  entries: number;
  status: 'up' | 'down' | 'syncing';
}

const MECHANISMS: Record<Mode, string> = {
  session: 'server-side session: every request looks the session up in the store; revocation deletes it',
  jwt: 'none for access tokens: they stay valid until exp; logout revokes only the refresh token',
  'jwt-denylist': 'per-request denylist lookup (user not-before epoch and revoked refresh families)',
  'jwt-push': 'in-memory revocation set fed by the store publish/subscribe; store checked per request while the feed is stale',
};

/**
 * Describes what a configuration actually guarantees. Pure: the same facts the CLI prints.
 * @example describePosture(config).revocation.window_ms // 600000 in jwt mode with the default TTL
 */
export function describePosture(config: ResolvedConfig, feed?: FeedObservation): PostureReport {
  const { mode } = config;
  const jwtMode = mode !== 'session';
  const accessTtl = config.jwt.accessTtlSeconds;
  const warnings: string[] = [];
  let windowMs = 0;
  if (mode === 'jwt') {
    // An access token already issued lives until exp (plus any allowed clock skew).
    windowMs = (accessTtl + config.jwt.clockToleranceSeconds) * 1000;
    warnings.push(
      `logout, logout-all, disable and role changes take up to ${accessTtl} s to reach access tokens already issued`,
    );
  } else if (mode === 'jwt-denylist') {
    warnings.push('every request looks up the denylist in the store: this is a session lookup with extra steps');
  } else if (mode === 'jwt-push') {
    // The window is what this instance has measured, not a hoped-for constant.
    windowMs = Math.ceil(feed?.p99Ms ?? 0);
    if (feed?.stale) warnings.push('the revocation feed is stale: checking the store on every request until it resyncs');
    if (feed && feed.samples === 0) warnings.push('no revocation has been observed on the feed yet: window_ms is not measured');
  }
  if (jwtMode && accessTtl > 900) {
    warnings.push(`access tokens live ${accessTtl} s; keep them at 5–15 minutes (≤ 900 s)`);
  }
  if (jwtMode && config.jwt.algorithm === 'HS256') {
    warnings.push('HS256 is symmetric: no JWKS is published and every verifier holds the signing secret');
  }
  if (config.demo) warnings.push('demo endpoints are enabled (--demo): do not run this in production');

  const events: RevocationWindows = { logout: windowMs, logout_all: windowMs, disable: windowMs, role_change: windowMs };
  return {
    mode,
    access_ttl_s: jwtMode ? accessTtl : null,
    revocation: {
      mechanism: MECHANISMS[mode],
      per_request_lookup: mode === 'session' || mode === 'jwt-denylist',
      window_ms: windowMs,
      events,
    },
    algorithms: jwtMode ? [config.jwt.algorithm] : [],
    store: config.store.kind,
    credential: jwtMode
      ? {
          browser: 'HttpOnly cookies __Host-tessera_at (access JWT) and __Secure-tessera_rt (refresh, Path=/auth)',
          non_browser: 'Authorization: Bearer access JWT; refresh token in the body',
          lifetime_s: accessTtl,
        }
      : {
          browser: 'HttpOnly cookie __Host-tessera_sid (opaque id; the store keeps only its SHA-256)',
          non_browser: 'Authorization: Bearer opaque session token',
          lifetime_s: config.session.idleTtlSeconds,
        },
    csrf: { same_site: 'Lax', token: 'X-CSRF-Token bound to the session (HMAC)', origin_check: true, fetch_metadata: true },
    ...(mode === 'jwt-push' && feed
      ? {
          feed: {
            status: feed.status,
            stale: feed.stale,
            stale_after_ms: config.jwt.feedStaleAfterMs,
            p50_ms: feed.p50Ms,
            p99_ms: feed.p99Ms,
            samples: feed.samples,
            entries: feed.entries,
          },
        }
      : {}),
    warnings,
  };
}
