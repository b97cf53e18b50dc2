import type { FastifyBaseLogger } from 'fastify';
import { StoreError } from '../core/errors.js';
import type { Tessera } from '../core/tessera.js';

/** First retry delay of the admin bootstrap; doubled after each failure up to {@link MAX_DELAY_MS}. */
const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 5000;

/** A running admin bootstrap. */
export interface AdminBootstrap {
  /** Stops retrying and waits for an attempt in progress to settle. Never rejects. */
  stop(): Promise<void>;
}

/**
 * Creates or updates the admin account (`--admin-email` / `--admin-password`). The first attempt is
 * awaited: an invalid email or any other non-store error rejects, so the server refuses to start with
 * a bad flag. A store that does not answer (`StoreError`) does not stop the server: the attempt is
 * logged as a warning and retried in the background (500 ms doubling to 5 s) until it succeeds or
 * `stop()` is called, so a server started before its database bootstraps its admin once it appears.
 *
 * @throws TesseraError (`bad_request`, `conflict`) from the first attempt; never StoreError.
 */
export async function startAdminBootstrap(
  tessera: Tessera,
  email: string,
  password: string,
  log: FastifyBaseLogger,
): Promise<AdminBootstrap> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let attempt: Promise<void> | undefined;
  let failures = 0;

  const tryOnce = async (): Promise<boolean> => {
    try {
      await tessera.ensureAdmin(email, password);
      if (failures > 0) log.info({ attempts: failures + 1 }, 'admin account bootstrapped after the store came back');
      return true;
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      failures += 1;
      // Once, then quietly: a store down for an hour must not flood the log.
      if (failures === 1) log.warn({ err }, 'store unavailable: admin account not bootstrapped yet; retrying in the background');
      return false;
    }
  };

  const schedule = (): void => {
    if (stopped) return;
    const delay = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** Math.min(failures - 1, 10));
    timer = setTimeout(() => {
      timer = undefined;
      attempt = tryOnce().then(
        (done) => {
          if (!done) schedule();
        },
        (err: unknown) => log.error({ err }, 'admin bootstrap failed; not retrying'),
      );
    }, delay);
    // A pending retry must not keep a process alive that is otherwise done.
    timer.unref();
  };

  if (!(await tryOnce())) schedule();

  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await attempt?.catch(() => undefined);
    },
  };
}
