import type { LoggerOptions } from 'pino';

/**
 * Paths pino redacts from every log line: credentials in headers, cookies, bodies and replies.
 * Bodies are never logged by Tessera; these are a second line of defence.
 */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.access_token',
  '*.refresh_token',
  '*.token',
  '*.csrf_token',
  '*.passwordHash',
];

/** Pino options for the reference server. */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
  };
}
