/**
 * Wraps an async initialiser so it runs once and every caller shares the result, but a failure is
 * not cached: the next call tries again (a store that was down at start must not stay "down").
 */
export function onceUntilSuccess<T>(init: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= init().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}
