import { ALGORITHMS, MODES, type Algorithm, type Mode } from '../core/config.js';
import type { ServerOptions } from '../server/start.js';
import { normalizeEmail } from '../core/users/email.js';
import { UsageError } from './args.js';

export { UsageError };

/** Raw values of the serve flags (strings as typed), before validation. */
export type RawServeFlags = Partial<Record<'mode' | 'store' | 'port' | 'host' | 'origin' | 'access-ttl' | 'admin-email' | 'admin-password' | 'signup' | 'alg' | 'log-level' | 'metrics', string>> & {
  demo?: boolean;
};

const ENV: Record<keyof Omit<RawServeFlags, 'demo'>, string> = {
  mode: 'TESSERA_MODE',
  store: 'TESSERA_STORE',
  port: 'TESSERA_PORT',
  host: 'TESSERA_HOST',
  origin: 'TESSERA_ORIGIN',
  'access-ttl': 'TESSERA_ACCESS_TTL',
  'admin-email': 'TESSERA_ADMIN_EMAIL',
  'admin-password': 'TESSERA_ADMIN_PASSWORD',
  signup: 'TESSERA_SIGNUP',
  alg: 'TESSERA_ALG',
  'log-level': 'TESSERA_LOG_LEVEL',
  metrics: 'TESSERA_METRICS',
};

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag}`, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

function integer(flag: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`--${flag}`, `must be a whole number from ${min} to ${max}`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`--${flag}`, `must be a whole number from ${min} to ${max}`);
  return n;
}

function storeUrl(value: string): string {
  const ok = value === 'memory:' || /^sqlite:.+/.test(value) || /^(redis|rediss|postgres|postgresql):\/\/[^\s]+$/.test(value);
  if (!ok) throw new UsageError('--store', 'must be memory:, sqlite:PATH, redis://… or postgres://…');
  if (/^(redis|rediss|postgres|postgresql):/.test(value)) {
    try {
      new URL(value);
    } catch {
      throw new UsageError('--store', 'is not a valid URL');
    }
  }
  return value;
}

/** The flags every command that configures Tessera shares (serve, posture, the operator commands). */
export type RawCommonFlags = Pick<RawServeFlags, 'mode' | 'store' | 'access-ttl' | 'alg' | 'demo'>;

/** The validated shared configuration: posture, store, token settings. */
export interface CommonOptions {
  mode: Mode;
  /** A store URL, validated in shape (not opened). */
  store: string;
  accessTtlSeconds?: number;
  algorithm?: Algorithm;
  /** From `TESSERA_JWT_SECRET` only, never a flag. */
  jwtSecret?: string;
  demo: boolean;
}

/**
 * Resolves the shared flags (`--mode`, `--store`, `--access-ttl`, `--alg`, `--demo`) and
 * `TESSERA_JWT_SECRET` exactly as `serve` does: flags win over env vars, invalid values throw
 * `UsageError` naming the flag.
 */
export function resolveCommonOptions(flags: RawCommonFlags, env: NodeJS.ProcessEnv): CommonOptions {
  const get = (name: keyof typeof ENV): string | undefined => (flags as RawServeFlags)[name] ?? (env[ENV[name]] || undefined);
  const mode: Mode = oneOf('mode', get('mode') ?? 'session', MODES);
  const options: CommonOptions = { mode, store: storeUrl(get('store') ?? 'sqlite:./tessera.db'), demo: false };
  const ttl = get('access-ttl');
  if (ttl !== undefined) options.accessTtlSeconds = integer('access-ttl', ttl, 1, 86_400);
  const alg = get('alg');
  if (alg !== undefined) options.algorithm = oneOf<Algorithm>('alg', alg, ALGORITHMS);
  const secret = env.TESSERA_JWT_SECRET;
  if (secret) options.jwtSecret = secret;
  if (mode !== 'session' && options.algorithm === 'HS256') {
    if (!secret) throw new UsageError('--alg', 'HS256 needs TESSERA_JWT_SECRET (at least 32 bytes) in the environment');
    if (Buffer.byteLength(secret, 'utf8') < 32) throw new UsageError('TESSERA_JWT_SECRET', 'must be at least 32 bytes');
  }
  const demoEnv = env.TESSERA_DEMO;
  options.demo = flags.demo ?? (demoEnv !== undefined && ['1', 'true', 'yes', 'on'].includes(demoEnv.toLowerCase()));
  return options;
}

/**
 * Turns flags and environment into server options: flags win over env vars, a flag that does not
 * apply to the mode is accepted and ignored, and an invalid value throws `UsageError` naming the flag.
 */
export function resolveServeOptions(flags: RawServeFlags, env: NodeJS.ProcessEnv): ServerOptions {
  const get = (name: keyof typeof ENV): string | undefined => flags[name] ?? (env[ENV[name]] || undefined);
  const common = resolveCommonOptions(flags, env);
  const port = integer('port', get('port') ?? '3000', 0, 65535);
  const host = get('host') ?? '127.0.0.1';
  const options: ServerOptions = { mode: common.mode, store: common.store, host, port, demo: common.demo };
  if (common.accessTtlSeconds !== undefined) options.accessTtlSeconds = common.accessTtlSeconds;
  if (common.algorithm !== undefined) options.algorithm = common.algorithm;
  if (common.jwtSecret !== undefined) options.jwtSecret = common.jwtSecret;
  const origin = get('origin');
  if (origin !== undefined) {
    options.origins = origin.split(',').map((o) => o.trim()).filter(Boolean).map((o) => {
      try {
        const url = new URL(o);
        if (url.origin === 'null') throw new Error('opaque');
        return url.origin;
      } catch {
        throw new UsageError('--origin', `"${o}" is not an origin like https://app.example.com`);
      }
    });
    if (options.origins.length === 0) throw new UsageError('--origin', 'needs at least one origin');
  }
  const signup = get('signup');
  if (signup !== undefined) options.signup = oneOf('signup', signup, ['open', 'closed'] as const);
  const adminEmail = get('admin-email');
  const adminPassword = get('admin-password');
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    throw new UsageError(adminEmail === undefined ? '--admin-email' : '--admin-password', 'the admin email and password go together');
  }
  if (adminEmail !== undefined && adminPassword !== undefined) {
    if (!normalizeEmail(adminEmail)) throw new UsageError('--admin-email', 'is not a valid email address');
    const bytes = Buffer.byteLength(adminPassword, 'utf8');
    if ([...adminPassword].length < 8 || bytes > 1024) throw new UsageError('--admin-password', 'must be 8 characters to 1024 bytes');
    options.adminEmail = adminEmail;
    options.adminPassword = adminPassword;
  }
  options.logLevel = oneOf('log-level', get('log-level') ?? 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const);
  options.metrics = oneOf('metrics', get('metrics') ?? 'loopback', ['loopback', 'open', 'off'] as const);
  return options;
}
