import type { DestinationStream, LoggerOptions } from 'pino';

/**
 * Paths pino redacts from every log line: credentials in headers, cookies, bodies and replies.
 * Bodies, headers and URLs are never logged by the reference server (its one line per request
 * carries the route pattern, see `request-log.ts`); these are a second line of defence.
 */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-csrf-token"]',
  'headers["set-cookie"]',
  '*.password',
  '*.access_token',
  '*.refresh_token',
  '*.token',
  '*.csrf_token',
  '*.passwordHash',
  '*.cookie',
  '*.authorization',
];

/** The message of the Tessera routes' own rejection events (`http/routes/index.ts`). */
const REJECTION_EVENT = 'request rejected: ';
const WARN = 40;

/** Pino options for the reference server; `stream` replaces stdout (tests capture lines with it). */
export function loggerOptions(level: string, stream?: DestinationStream): LoggerOptions & { stream?: DestinationStream } {
  return {
    level,
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    hooks: {
      // One line per request: a CSRF or rate-limit rejection is already that request's line, at
      // warn with its `code` (request-log.ts), so the routes' separate event line is dropped here.
      logMethod(args, method, levelValue) {
        if (levelValue === WARN && typeof args[1] === 'string' && args[1].startsWith(REJECTION_EVENT)) return;
        method.apply(this, args);
      },
    },
    ...(stream === undefined ? {} : { stream }),
  };
}
