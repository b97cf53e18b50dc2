import type { ErrorLogger } from '../http/routes/index.js';

/**
 * The logger adapters use when the app gives none: unexpected errors (which become a bare 500)
 * go to `console.error`; they never carry a token or a password.
 */
export const consoleLogger: ErrorLogger = Object.freeze({
  error: (details: { err: unknown; method: string; path: string }, message: string) => {
    console.error(`tessera: ${message} (${details.method} ${details.path})`, details.err);
  },
});
