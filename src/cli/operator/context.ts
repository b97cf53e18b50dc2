import { createTessera, type Tessera } from '../../core/tessera.js';
import { TesseraError } from '../../core/errors.js';
import { normalizeEmail } from '../../core/users/email.js';
import type { StoredUser, Store } from '../../stores/types.js';
import { openStore } from '../../stores/open-store.js';
import { UsageError } from '../args.js';
import { formatDuration } from '../output.js';
import { resolveCommonOptions, type CommonOptions, type RawCommonFlags } from '../serve-options.js';

/** A Tessera instance on the configured store, for one operator command. */
export interface OperatorContext {
  options: CommonOptions;
  store: Store;
  tessera: Tessera;
  /** The user with this email. @throws TesseraError `not_found` (exit 1). */
  userByEmail(email: string): Promise<StoredUser>;
  /** One line on when a revocation of `event` reaches credentials already issued, per the posture. */
  takesEffect(event: 'logout' | 'logout_all' | 'disable' | 'role_change'): string;
  close(): Promise<void>;
}

/**
 * Opens the store named by `--store` / `TESSERA_STORE` (parsed exactly as `serve` does) and
 * builds `createTessera({ mode, store, ... })`, so revocations follow the posture of `--mode`.
 * @throws UsageError for an invalid flag or a `memory:` store (it keeps nothing between runs).
 */
export async function openOperatorContext(flags: RawCommonFlags): Promise<OperatorContext> {
  const options = resolveCommonOptions(flags, process.env);
  if (options.store === 'memory:') {
    throw new UsageError('--store', 'memory: keeps nothing between runs; operator commands need sqlite:PATH, redis://… or postgres://…');
  }
  const store = await openStore(options.store);
  let tessera: Tessera;
  try {
    tessera = createTessera({
      mode: options.mode,
      store,
      // The operator creates accounts whatever the public signup setting of the servers.
      signup: 'open',
      jwt: {
        ...(options.accessTtlSeconds !== undefined ? { accessTtlSeconds: options.accessTtlSeconds } : {}),
        ...(options.algorithm !== undefined ? { algorithm: options.algorithm } : {}),
        ...(options.jwtSecret !== undefined ? { secrets: [options.jwtSecret] } : {}),
      },
    });
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  return {
    options,
    store,
    tessera,
    async userByEmail(email) {
      const normalized = normalizeEmail(email);
      if (!normalized) throw new UsageError('email', `"${email.slice(0, 80)}" is not a valid email address`);
      const user = await store.users.getByEmail(normalized);
      if (!user) throw new TesseraError('not_found', `no user with email ${normalized}`);
      return user;
    },
    takesEffect(event) {
      const report = tessera.posture();
      const ms = report.revocation.events[event];
      let text: string;
      if (report.mode === 'session' || report.mode === 'jwt-denylist') text = 'on the next request (posture: per-request lookup)';
      else if (report.mode === 'jwt') text = `access tokens already issued keep working up to ${formatDuration(ms)} (posture jwt: until they expire); refresh is refused now`;
      else if (store.kind === 'memory') {
        text = `the ${store.kind} feed is in-process: a running jwt-push server on this store does not hear of it and its access tokens keep working up to ${formatDuration((report.access_ttl_s ?? 0) * 1000)} (until they expire); refresh is refused now`;
      } else if (store.kind === 'sqlite') {
        text = 'within the feed poll interval (posture jwt-push: a running server on this SQLite file polls its feed every 50 ms by default); refresh is refused now';
      } else text = 'within the feed propagation delay (posture jwt-push); refresh is refused now';
      return `takes effect: ${text}`;
    },
    async close() {
      await tessera.close().catch(() => {});
      await store.close();
    },
  };
}

/** Runs `body` with an operator context and always closes it. */
export async function withOperatorContext<T>(flags: RawCommonFlags, body: (ctx: OperatorContext) => Promise<T>): Promise<T> {
  const ctx = await openOperatorContext(flags);
  try {
    return await body(ctx);
  } finally {
    await ctx.close();
  }
}
