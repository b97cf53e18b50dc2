import type {
  CounterStore,
  Feed,
  KeyStore,
  RefreshStore,
  RevocationStore,
  SecretStore,
  SessionStore,
  Store,
  UserStore,
} from '../stores/types.js';

/** What the instrumenting wrapper reports; implemented by the server's metrics. */
export interface StoreObserver {
  /**
   * The recorder of one operation's calls (`sessions.getWithUser`), asked for once per operation
   * when the store is wrapped: each call reports its duration in seconds and whether it threw.
   */
  operation(op: string): (seconds: number, failed: boolean) => void;
  /** Sessions (session posture) or refresh families (jwt postures) created by this instance. */
  sessionsCreated(count: number): void;
  /** Sessions or refresh families this instance deleted (logout, revoke, disable). */
  sessionsEnded(count: number): void;
}

type Method = (...args: never[]) => Promise<unknown>;
/** Every method name of a sub-store, so the compiler checks the lists below are complete. */
type Methods<T> = Record<keyof T, true>;

const USER_OPS: Methods<UserStore> = { create: true, getById: true, getByEmail: true, list: true, update: true };
const SESSION_OPS: Methods<SessionStore> = {
  create: true,
  getWithUser: true,
  touch: true,
  listByUser: true,
  delete: true,
  deleteByTokenHash: true,
  deleteAllForUser: true,
};
const REFRESH_OPS: Methods<RefreshStore> = {
  create: true,
  findByTokenHash: true,
  rotate: true,
  getById: true,
  listByUser: true,
  delete: true,
  deleteAllForUser: true,
};
const REVOCATION_OPS: Methods<RevocationStore> = { put: true, check: true, listActive: true };
const KEY_OPS: Methods<KeyStore> = { list: true, create: true, retire: true, delete: true };
const COUNTER_OPS: Methods<CounterStore> = { increment: true, get: true, release: true, reset: true };
const SECRET_OPS: Methods<SecretStore> = { getOrCreate: true };
const FEED_OPS: Methods<Feed> = { publish: true, subscribe: true };

/** How a call's result changes the count of live sessions / refresh families. */
function sessionDelta(op: string, result: unknown): number {
  switch (op) {
    case 'sessions.create':
    case 'refresh.create':
      return 1;
    case 'sessions.delete':
    case 'sessions.deleteByTokenHash':
    case 'refresh.delete':
      return result === true ? -1 : 0;
    case 'sessions.deleteAllForUser':
    case 'refresh.deleteAllForUser':
      return typeof result === 'number' ? -result : 0;
    default:
      return 0;
  }
}

function timed(op: string, call: (args: unknown[]) => Promise<unknown>, observer: StoreObserver): Method {
  const record = observer.operation(op);
  return async (...args: unknown[]) => {
    const start = performance.now();
    let result: unknown;
    try {
      result = await call(args);
    } catch (err) {
      record((performance.now() - start) / 1000, true);
      throw err;
    }
    record((performance.now() - start) / 1000, false);
    const delta = sessionDelta(op, result);
    if (delta > 0) observer.sessionsCreated(delta);
    else if (delta < 0) observer.sessionsEnded(-delta);
    return result;
  };
}

/**
 * Wraps one sub-store. The real sub-store is looked up on every call (never captured), and each
 * method is called on it, so `this` and any later replacement of the sub-store are respected.
 */
function wrapPart<T extends object>(name: string, get: () => T, ops: Methods<T>, observer: StoreObserver): T {
  const wrapped: Record<string, Method> = {};
  for (const method of Object.keys(ops)) {
    wrapped[method] = timed(
      `${name}.${method}`,
      (args) => {
        const part = get() as Record<string, (...a: unknown[]) => Promise<unknown>>;
        return part[method]!.apply(part, args);
      },
      observer,
    );
  }
  return Object.freeze(wrapped) as unknown as T;
}

/**
 * A Store that forwards every call to `store` and reports its latency, failures, and the sessions
 * it creates and deletes. Store implementations stay untouched; errors are re-thrown unchanged, so
 * the core still fails closed. Only the `Store` interface is forwarded: anything else a backend
 * exposes stays on the original object.
 * @example const store = instrumentStore(await openStore(url), metrics.storeObserver);
 */
export function instrumentStore(store: Store, observer: StoreObserver): Store {
  const wrapped: Store = {
    kind: store.kind,
    users: wrapPart('users', () => store.users, USER_OPS, observer),
    sessions: wrapPart('sessions', () => store.sessions, SESSION_OPS, observer),
    refresh: wrapPart('refresh', () => store.refresh, REFRESH_OPS, observer),
    revocations: wrapPart('revocations', () => store.revocations, REVOCATION_OPS, observer),
    keys: wrapPart('keys', () => store.keys, KEY_OPS, observer),
    counters: wrapPart('counters', () => store.counters, COUNTER_OPS, observer),
    secrets: wrapPart('secrets', () => store.secrets, SECRET_OPS, observer),
    feed: wrapPart('feed', () => store.feed, FEED_OPS, observer),
    ping: timed('ping', () => store.ping(), observer) as Store['ping'],
    sweep: timed('sweep', ([now, limit]) => store.sweep(now as number, limit as number | undefined), observer) as Store['sweep'],
    close: () => store.close(),
  };
  return Object.freeze(wrapped);
}
