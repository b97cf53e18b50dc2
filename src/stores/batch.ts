/** Most calls in one batch (one statement, transaction or script); a larger batch is split into several. */
export const MAX_BATCH_KEYS = 256;

interface Waiter<A, T> {
  arg: A;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

/**
 * Coalesces the calls made in one turn of the event loop into one `fetch` of all their arguments.
 * PostgreSQL: one `WHERE key = ANY($1)` statement instead of one statement per call, so the
 * requests that arrive together cost one round trip, one wake-up and one plan execution. SQLite:
 * one read transaction for all of them instead of one each (each takes and releases the WAL read
 * lock with two `fcntl` calls). Redis: one script for all of them instead of one EVALSHA each.
 * Each way, the answers of one turn leave together, which on a 2-core machine is most of the
 * session posture's cost (docs/benchmarks.md). A lone call waits for the end of the current turn
 * only (`setImmediate`).
 *
 * `fetch` gets at most `MAX_BATCH_KEYS` arguments and returns one result per argument, in order.
 * If it rejects, every call of that batch rejects with the same error, and the next batch starts
 * afresh: a failure never leaks into later calls.
 */
export function createBatcher<A, T>(fetch: (args: A[]) => Promise<T[]>, maxBatch: number = MAX_BATCH_KEYS): (arg: A) => Promise<T> {
  let queue: Array<Waiter<A, T>> = [];

  function flush(): void {
    const waiting = queue;
    queue = [];
    for (let start = 0; start < waiting.length; start += maxBatch) {
      const batch = waiting.slice(start, start + maxBatch);
      let results: Promise<T[]>;
      try {
        results = fetch(batch.map((w) => w.arg));
      } catch (error) {
        results = Promise.reject(error);
      }
      results.then(
        (values) => {
          if (values.length !== batch.length) {
            const error = new Error(`batched fetch returned ${values.length} results for ${batch.length} calls`);
            for (const w of batch) w.reject(error);
            return;
          }
          batch.forEach((w, i) => w.resolve(values[i]!));
        },
        (error: unknown) => {
          for (const w of batch) w.reject(error);
        },
      );
    }
  }

  return (arg) =>
    new Promise<T>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ arg, resolve, reject });
    });
}
