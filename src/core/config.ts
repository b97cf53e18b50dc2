import { z } from 'zod';
import { ConfigError } from './errors.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import type { Store } from '../stores/types.js';

/** The four postures of DESIGN.md. */
export const MODES = ['session', 'jwt', 'jwt-denylist', 'jwt-push'] as const;
export type Mode = (typeof MODES)[number];

/** Signature algorithms Tessera can pin. */
export const ALGORITHMS = ['EdDSA', 'ES256', 'RS256', 'HS256'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** Claim names that look like secrets; refused in `jwt.extraClaims` (RFC 8725 §3.x: JWS is signed, not encrypted). */
const SECRET_LOOKING = /pass|secret|hash|ssn|card|cvv|pin$|token|private|credential|iban|salt/i;

const RESERVED_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'sid', 'roles', 'typ', 'cnf', '__proto__', 'constructor', 'prototype']);

const positiveSeconds = z.number().int().positive().max(10 * 365 * 24 * 3600);

const schema = z.object({
  mode: z.enum(MODES).default('session'),
  issuer: z.string().min(1).max(512).default('tessera'),
  audience: z.string().min(1).max(512).default('tessera'),
  origins: z.array(z.string().url()).max(64).default([]),
  signup: z.enum(['open', 'closed']).default('open'),
  session: z
    .object({
      idleTtlSeconds: positiveSeconds.default(7 * 24 * 3600),
      absoluteTtlSeconds: positiveSeconds.default(30 * 24 * 3600),
      touchIntervalSeconds: z.number().int().min(0).max(3600).default(60),
    })
    .prefault({}),
  jwt: z
    .object({
      accessTtlSeconds: positiveSeconds.default(600),
      algorithm: z.enum(ALGORITHMS).default('EdDSA'),
      /** HS256 secrets, newest first: sign with the first, verify with all. Each ≥ 32 bytes. */
      secrets: z.array(z.string()).default([]),
      refreshTtlSeconds: positiveSeconds.default(30 * 24 * 3600),
      refreshGraceSeconds: z.number().int().min(0).max(300).default(10),
      /** Allowed clock skew between instances (RFC 7519 §4.1.4); counted in the posture's window. */
      clockToleranceSeconds: z.number().int().min(0).max(30).default(0),
      extraClaims: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/)).max(16).default([]),
      /** jwt-push: how long the feed may be down before the instance checks the store per request. */
      feedStaleAfterMs: z.number().int().positive().max(600_000).default(2000),
    })
    .prefault({}),
  rateLimit: z
    .object({
      loginPerAccount: z.number().int().positive().default(10),
      loginPerIp: z.number().int().positive().default(100),
      loginWindowSeconds: positiveSeconds.default(15 * 60),
      signupPerIp: z.number().int().positive().default(20),
      signupWindowSeconds: positiveSeconds.default(60 * 60),
    })
    .prefault({}),
  password: z
    .object({
      minLength: z.number().int().min(8).max(128).default(8),
      maxBytes: z.number().int().min(64).max(4096).default(1024),
      /** argon2id cost; the defaults are OWASP's minimum (m=19 MiB, t=2, p=1). Lower only in tests. */
      memoryKiB: z.number().int().min(1024).default(19_456),
      timeCost: z.number().int().min(1).default(2),
      parallelism: z.number().int().min(1).max(16).default(1),
    })
    .prefault({}),
  /** Peers (IP addresses) whose `X-Forwarded-For` is believed. Empty: the socket address is the client. */
  trustProxy: z.array(z.string().min(1)).default([]),
  /** Enables the demo-only endpoints of the demo page. */
  demo: z.boolean().default(false),
});

/** The user-facing configuration accepted by `createTessera`. */
export type TesseraOptions = z.input<typeof schema> & {
  /** Where state lives; see `tessera/stores/*`. */
  store: Store;
  /** Time source; inject a manual clock in tests. */
  clock?: Clock;
};

/** The validated, frozen configuration. */
export type ResolvedConfig = Readonly<z.output<typeof schema>> & { readonly store: Store; readonly clock: Clock };

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Validates the whole configuration once and freezes it. The caller's object is never mutated.
 * @throws ConfigError naming the first offending option.
 */
export function resolveConfig(options: TesseraOptions): ResolvedConfig {
  const { store, clock, ...rest } = options;
  if (!store || typeof store !== 'object' || typeof store.ping !== 'function') {
    throw new ConfigError('store', 'a Store instance is required (see tessera/stores/*)');
  }
  const parsed = schema.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const option = issue ? issue.path.join('.') || '(root)' : '(root)';
    throw new ConfigError(option, issue ? issue.message : 'invalid');
  }
  const cfg = parsed.data;
  if (cfg.session.absoluteTtlSeconds < cfg.session.idleTtlSeconds) {
    throw new ConfigError('session.absoluteTtlSeconds', 'must be at least session.idleTtlSeconds');
  }
  if (cfg.jwt.algorithm === 'HS256' && cfg.mode !== 'session') {
    if (cfg.jwt.secrets.length === 0) {
      throw new ConfigError('jwt.secrets', 'HS256 needs an explicit secret (TESSERA_JWT_SECRET)');
    }
  }
  cfg.jwt.secrets.forEach((s, i) => {
    if (Buffer.byteLength(s, 'utf8') < 32) throw new ConfigError(`jwt.secrets.${i}`, 'must be at least 32 bytes');
  });
  for (const claim of cfg.jwt.extraClaims) {
    if (RESERVED_CLAIMS.has(claim)) throw new ConfigError('jwt.extraClaims', `"${claim}" is a registered claim`);
    if (SECRET_LOOKING.test(claim)) {
      throw new ConfigError('jwt.extraClaims', `"${claim}" looks like a secret; a JWT payload is readable by anyone`);
    }
  }
  deepFreeze(cfg);
  return Object.freeze({ ...cfg, store, clock: clock ?? systemClock });
}
