import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { StoreError } from '../../core/errors.js';
import type { KeyLayout } from './key-layout.js';

/** The ioredis client the store talks to: one server (or Sentinel), or a Cluster. */
export type RedisClient = Redis | Cluster;

/** A Lua script, sent by SHA-1 (EVALSHA) and loaded with EVAL when the server does not know it. */
export interface Script {
  readonly lua: string;
  readonly sha: string;
}

/**
 * A script's answer given as one JSON string (ioredis parses a nested reply a value at a time) as
 * the array it encodes, which must hold `length` values; anything else is not a reply this store's
 * scripts give. @throws CorruptRecordError
 */
export function jsonArrayReply(reply: unknown, length: number): unknown[] {
  let values: unknown;
  try {
    values = typeof reply === 'string' ? JSON.parse(reply) : undefined;
  } catch {
    values = undefined;
  }
  if (!Array.isArray(values) || values.length !== length) throw new CorruptRecordError('reply');
  return values;
}

/**
 * `decode`, with its failure turned into `operation`'s StoreError. A batched read runs its batch as
 * one operation (`run`: deadline, connection wait, StoreError) and each call then decodes its own
 * answer outside it, so a record this store did not write fails that call only, and fails closed.
 */
export function decoding<V, R>(operation: string, decode: (value: V, now: number) => R): (value: V, now: number) => R {
  return (value, now) => {
    try {
      return decode(value, now);
    } catch (error) {
      throw toStoreError(operation, error);
    }
  };
}

/** Defines a script. Every script receives all its keys in KEYS, and all of them hash to one slot. */
export function defineScript(lua: string): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** Options of one store operation. */
export interface RunOptions {
  /** A bulk operation (sweep, listing) gets a longer overall deadline than a point operation. */
  bulk?: boolean;
}

/** What every Redis sub-store shares. */
export interface RedisContext {
  readonly client: RedisClient;
  readonly keys: KeyLayout;
  /** True for an ioredis Cluster: then no script ever touches a key it was not given. */
  readonly isCluster: boolean;
  /**
   * Runs one store operation: refuses once the store is closed, waits (bounded) for the connection
   * if it is not ready, bounds the whole operation by a deadline, and turns every failure into a
   * StoreError whose message names only the operation and an error code, never a value.
   */
  run<T>(operation: string, body: () => Promise<T>, options?: RunOptions): Promise<T>;
  /** Runs a script: EVALSHA, falling back to EVAL on NOSCRIPT (first use, or after a restart). */
  evaluate(script: Script, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown>;
  /** Marks the store closed and stops waiting for the connection. */
  close(): void;
}

/** Settings of the context. */
export interface ContextOptions {
  client: RedisClient;
  keys: KeyLayout;
  /** Whether the store created the client (and may reconnect it after a fatal connect error). */
  ownsClient: boolean;
  /** Longest wait for a connection, and the unit of every operation's deadline. */
  commandTimeoutMs: number;
}

/** A point operation may take this many command timeouts in all (the wait for a connection included). */
const POINT_DEADLINE_FACTOR = 2;
/** A bulk operation may take this many. */
const BULK_DEADLINE_FACTOR = 5;

/** Creates the shared context of one Redis store. */
export function createRedisContext(options: ContextOptions): RedisContext {
  const { client, keys, ownsClient, commandTimeoutMs } = options;
  let closed = false;
  const readiness = createReadiness(client, ownsClient);
  // A deadline may fire up to a tick late: a tenth of the command timeout, 5–100 ms.
  const deadlines = createDeadlines(Math.max(5, Math.min(100, commandTimeoutMs / 10)));

  async function evaluate(script: Script, scriptKeys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await client.evalsha(script.sha, scriptKeys.length, ...scriptKeys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return client.eval(script.lua, scriptKeys.length, ...scriptKeys, ...args);
    }
  }

  return {
    client,
    keys,
    isCluster: client.isCluster,
    evaluate,

    async run(operation, body, runOptions = {}) {
      if (closed) throw new StoreError('redis store: the store is closed');
      const deadlineMs = commandTimeoutMs * (runOptions.bulk === true ? BULK_DEADLINE_FACTOR : POINT_DEADLINE_FACTOR);
      const work = client.status === 'ready' ? body() : readiness.wait(commandTimeoutMs).then(body);
      try {
        return await deadlines.within(work, deadlineMs);
      } catch (error) {
        // The work may still settle after the deadline; its outcome is no longer anyone's concern.
        work.catch(() => undefined);
        throw toStoreError(operation, error);
      }
    },

    close() {
      closed = true;
      readiness.dispose();
      deadlines.dispose();
    },
  };
}

/** Waits for the client's next `ready`, sharing one listener among all waiters. */
function createReadiness(client: RedisClient, ownsClient: boolean): { wait(ms: number): Promise<void>; dispose(): void } {
  let pending: Promise<void> | undefined;
  let release: (() => void) | undefined;
  const onReady = (): void => {
    const resolve = release;
    pending = undefined;
    release = undefined;
    resolve?.();
  };
  client.on('ready', onReady);

  return {
    async wait(ms) {
      if (client.status === 'ready') return;
      // A lazy client that never connected, or (ours only) one that gave up after a fatal connect error.
      if (client.status === 'wait' || (ownsClient && client.status === 'end')) client.connect().catch(() => undefined);
      pending ??= new Promise<void>((resolve) => {
        release = resolve;
      });
      await withDeadline(pending, ms, 'not connected');
    },
    dispose() {
      client.off('ready', onReady);
    },
  };
}

/** Thrown when an operation or a wait runs past its deadline. */
class DeadlineError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'DeadlineError';
  }
}

/**
 * Deadlines of the operations in flight, on one coarse timer: each operation is an entry of a set,
 * and one interval (running only while operations are in flight, unref'd) rejects the overdue ones
 * every `tickMs`, so a deadline fires between `ms` and `ms + tickMs` after the start. A timer and a
 * racing promise per operation (`withDeadline`) cost about half a microsecond on every store call;
 * this costs a set insertion and a deletion.
 */
export function createDeadlines(tickMs: number): {
  within<T>(work: Promise<T>, ms: number): Promise<T>;
  dispose(): void;
} {
  const pending = new Set<{ at: number; reject(error: Error): void }>();
  let timer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  const tick = (): void => {
    const now = performance.now();
    for (const entry of pending) {
      if (entry.at > now) continue;
      pending.delete(entry);
      entry.reject(new DeadlineError('timeout'));
    }
    if (pending.size === 0) stop();
  };
  return {
    within(work, ms) {
      return new Promise((resolve, reject) => {
        const entry = { at: performance.now() + ms, reject };
        pending.add(entry);
        if (timer === undefined) {
          timer = setInterval(tick, tickMs);
          timer.unref();
        }
        work.then(
          (value) => {
            pending.delete(entry);
            resolve(value);
          },
          (error: unknown) => {
            pending.delete(entry);
            reject(error);
          },
        );
      });
    },
    dispose: stop,
  };
}

/** Settles like `promise`, or rejects with a DeadlineError after `ms`. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, reason = 'timeout'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(reason)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Thrown by decoders when a stored record does not have the shape this store writes. */
export class CorruptRecordError extends Error {
  constructor(what: string) {
    super(`corrupt ${what}`);
    this.name = 'CorruptRecordError';
  }
}

/** Wraps a driver error; the original is kept as `cause` for debugging, never in the message. */
export function toStoreError(operation: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const code = errorCode(error);
  return new StoreError(`redis store: ${operation} failed${code === undefined ? '' : ` (${code})`}`, error);
}

/**
 * A code that says what went wrong without saying anything about the data: `timeout`,
 * `not connected`, `corrupt record`, the first word of a Redis error reply (`WRONGTYPE`, `OOM`,
 * `READONLY`, `CROSSSLOT`, …) or Node's socket error code. Reply texts and command arguments may
 * hold keys (emails, token hashes), so they never reach the message.
 */
function errorCode(error: unknown): string | undefined {
  if (error instanceof DeadlineError) return error.reason;
  if (error instanceof CorruptRecordError) return 'corrupt record';
  if (typeof error !== 'object' || error === null) return undefined;
  const code = 'code' in error ? error.code : undefined;
  if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
  const message = 'message' in error && typeof error.message === 'string' ? error.message : '';
  if (/timed out/i.test(message)) return 'timeout';
  if (/isn't writeable|Connection is closed|max retries per request|not connected/i.test(message)) return 'not connected';
  const word = /^([A-Z]{3,20})\b/.exec(message)?.[1];
  return word;
}

/**
 * Closes a connection this store opened: QUIT (bounded) when it is up, so pending replies arrive,
 * then disconnect, which also stops any reconnection attempt.
 */
export async function closeClient(client: RedisClient, timeoutMs: number): Promise<void> {
  try {
    if (client.status === 'ready') await withDeadline(client.quit(), timeoutMs);
  } catch {
    // Closing regardless.
  } finally {
    client.disconnect();
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** A native TTL (ms) for a record that expires at `expiresAt`, counted from `now`, plus `slackMs`; at least 1. */
export function ttlMs(expiresAt: number, now: number, slackMs: number): number {
  return Math.max(1, Math.ceil(expiresAt - now + slackMs));
}
