import type { AccessClaims } from './verify-access.js';

/**
 * A bounded cache of access tokens whose signature and claims `jose` has already verified, keyed by
 * the whole token string (an exact match: a token that differs in one byte is a miss and goes
 * through the full verification). It only saves repeating the signature check: the caller still
 * re-applies every time rule (exp, age) and the key's presence on a hit, and every revocation check
 * runs after it. Entries never outlive `exp`. When it is full, expired entries are swept (at most
 * once a second) and a new token is simply not cached if there is still no room: evicting live
 * entries first-in-first-out would make a working set one larger than the cache miss every time.
 */
export interface VerifiedTokenCache {
  get(token: string, nowMs: number): { kid: string; claims: AccessClaims } | undefined;
  set(token: string, kid: string, claims: AccessClaims, nowMs: number): void;
  clear(): void;
  readonly size: number;
}

/** Creates the cache with at most `maxEntries` entries (0 disables it). */
export function createVerifiedTokenCache(maxEntries: number): VerifiedTokenCache {
  const entries = new Map<string, { kid: string; claims: AccessClaims; expMs: number }>();
  let lastSweepMs = -Infinity;
  const SWEEP_INTERVAL_MS = 1000;
  return {
    get(token, nowMs) {
      const entry = entries.get(token);
      if (entry === undefined) return undefined;
      if (entry.expMs <= nowMs) {
        entries.delete(token);
        return undefined;
      }
      return entry;
    },
    set(token, kid, claims, nowMs) {
      if (maxEntries <= 0) return;
      if (entries.size >= maxEntries && nowMs - lastSweepMs >= SWEEP_INTERVAL_MS) {
        lastSweepMs = nowMs;
        for (const [key, entry] of entries) if (entry.expMs <= nowMs) entries.delete(key);
      }
      if (entries.size >= maxEntries) return;
      entries.set(token, { kid, claims, expMs: claims.exp * 1000 });
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}
