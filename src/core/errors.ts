/**
 * The one module of Tessera's errors. Every error carries a stable `code` so callers
 * switch on codes, never on messages. No message ever contains a secret.
 */

/** Stable error codes, the same strings as the `code` of the HTTP problem+json body. */
export type ErrorCode =
  | 'bad_request'
  | 'invalid_credentials'
  | 'unauthenticated'
  | 'token_expired'
  | 'forbidden'
  | 'csrf_rejected'
  | 'rate_limited'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unavailable';

/** Base class of every error Tessera throws on purpose. */
export class TesseraError extends Error {
  readonly code: ErrorCode;
  /** Seconds until a retry may succeed (rate limits). */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TesseraError';
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** A store could not answer (down, timed out, corrupt). The HTTP layer turns it into 503: fail closed. */
export class StoreError extends TesseraError {
  constructor(message: string, cause?: unknown) {
    super('unavailable', message, { cause });
    this.name = 'StoreError';
  }
}

/** Misuse of the API or an invalid configuration; thrown at construction, never on the hot path. */
export class ConfigError extends Error {
  /** The option (or CLI flag) the problem is about, e.g. `mode` or `jwt.accessTtlSeconds`. */
  readonly option: string;
  constructor(option: string, message: string) {
    super(`${option}: ${message}`);
    this.name = 'ConfigError';
    this.option = option;
  }
}
