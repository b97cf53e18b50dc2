import type { Feed, Revocation, RevocationStore, StoredSession } from './types.js';

// Small rules every store applies the same way (the SQL stores in their queries).

/** A session is live until the earlier of its idle and absolute expiry. */
export function isSessionLive(session: Pick<StoredSession, 'idleExpiresAt' | 'absoluteExpiresAt'>, now: number): boolean {
  return session.idleExpiresAt > now && session.absoluteExpiresAt > now;
}

/** Orders newest first by `createdAt`, then by id descending, like the SQL stores. */
export function newestFirst<T extends { createdAt: number; id: string }>(a: T, b: T): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return compareText(b.id, a.id);
}

/** Binary (code unit) comparison: SQLite's default BINARY collation, close to Redis's byte order. */
export function compareText(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

/**
 * A revocation store whose `put(r, { publish: true })` writes the entry, then publishes it on
 * `feed`: the order jwt-push relies on (a message is never about an entry a reload could miss).
 * For stores whose feed is a separate channel (memory, SQLite).
 */
export function publishingRevocations(
  revocations: Omit<RevocationStore, 'put'> & { put(revocation: Revocation): Promise<void> },
  feed: Pick<Feed, 'publish'>,
): RevocationStore {
  return {
    ...revocations,
    async put(revocation, options) {
      await revocations.put(revocation);
      if (options?.publish === true) await feed.publish(revocation);
    },
  };
}
