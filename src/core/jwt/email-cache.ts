import type { Clock } from '../clock.js';
import type { UserStore } from '../../stores/types.js';

/**
 * A bounded cache of user id → email, so that `GET /auth/me` in a jwt posture does not need a
 * store round trip per request (the email is not a claim: claims are allow-listed). Emails never
 * authorise anything; roles and revocation come from the token and the posture.
 */
export interface EmailCache {
  /** The email, synchronously when remembered; null for a user that no longer exists. */
  get(userId: string): string | null | Promise<string | null>;
  remember(userId: string, email: string): void;
}

/** Creates the cache with at most `maxEntries`, each trusted for `ttlMs`. */
export function createEmailCache(users: UserStore, maxEntries: number, ttlMs: number, clock: Clock): EmailCache {
  const entries = new Map<string, { email: string; until: number }>();
  const remember = (userId: string, email: string) => {
    entries.delete(userId);
    if (entries.size >= maxEntries) {
      const oldest = entries.keys().next();
      if (!oldest.done) entries.delete(oldest.value);
    }
    entries.set(userId, { email, until: clock.now() + ttlMs });
  };
  return {
    remember,
    get(userId) {
      const hit = entries.get(userId);
      if (hit && hit.until > clock.now()) return hit.email;
      return users.getById(userId).then((user) => {
        if (!user) return null;
        remember(userId, user.email);
        return user.email;
      });
    },
  };
}
