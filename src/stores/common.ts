import { StoreError } from '../core/errors.js';
import type { Feed, Revocation, RevocationCheck, RevocationStore, StoredSession } from './types.js';

// Small rules every store applies the same way (the SQL stores in their queries).

/** A session is live until the earlier of its idle and absolute expiry. */
export function isSessionLive(session: Pick<StoredSession, 'idleExpiresAt' | 'absoluteExpiresAt'>, now: number): boolean {
  return session.idleExpiresAt > now && session.absoluteExpiresAt > now;
}

/** A SQL store's revocation entry as the per-request check reads it: key, kind, not_before (user entries), expires_at. */
export type RevocationCheckRow = [key: string, kind: string, notBefore: number | null, expiresAt: number];

/**
 * A revocation check's answer at `now`, from the user's entry and the family's (undefined where there
 * is none). A live user entry without its not-before is not one the store wrote: a StoreError (the
 * request fails closed), never "not revoked".
 */
export function revocationCheckFrom(store: string, user: RevocationCheckRow | undefined, family: RevocationCheckRow | undefined, now: number): RevocationCheck {
  const userLive = user !== undefined && user[1] === 'user' && user[3] > now;
  if (userLive && typeof user[2] !== 'number') throw new StoreError(`${store} store: revocations.check failed (corrupt record)`);
  return {
    userNotBefore: userLive ? (user[2] as number) : null,
    familyRevoked: family !== undefined && family[1] === 'family' && family[3] > now,
  };
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
