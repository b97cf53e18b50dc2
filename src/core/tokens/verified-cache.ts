import type { AccessClaims } from './verify-access.js';

/**
 * A bounded cache of access tokens whose signature and claims have already been verified. A hit is
 * an exact match of the whole token string: a token that differs in one byte is a miss and goes
 * through the full verification. It only saves repeating the signature check: the caller still
 * re-applies every time rule (exp, age) and the key's presence on a hit, and every revocation check
 * runs after it. Entries never outlive `exp`. When it is full, expired entries are swept (at most
 * once a second) and a new token is simply not cached if there is still no room: evicting live
 * entries first-in-first-out would make a working set one larger than the cache miss every time.
 *
 * The map is keyed by the token's signature part and the entry holds the whole token, compared on
 * every hit: hashing a 400-character token for each lookup cost more than the rest of the check,
 * the signature is a fraction of it. The comparison is plain string equality: it only runs for a
 * caller who already presents a cached token's exact signature (the unforgeable part of it), and
 * what its timing could tell is the header and payload, which the token holder reads in clear anyway.
 */
export interface VerifiedTokenCache {
  get(token: string, nowMs: number): { kid: string; claims: AccessClaims } | undefined;
  set(token: string, kid: string, claims: AccessClaims, nowMs: number): void;
  clear(): void;
  readonly size: number;
}

/** Creates the cache with at most `maxEntries` entries (0 disables it). */
export function createVerifiedTokenCache(maxEntries: number): VerifiedTokenCache {
  // Signature part → the whole token and what it verified to.
  const entries = new Map<string, { token: string; kid: string; claims: AccessClaims; expMs: number }>();
  let lastSweepMs = -Infinity;
  const SWEEP_INTERVAL_MS = 1000;
  return {
    get(token, nowMs) {
      const key = signaturePart(token);
      const entry = entries.get(key);
      if (entry === undefined || entry.token !== token) return undefined;
      if (entry.expMs <= nowMs) {
        entries.delete(key);
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
      entries.set(signaturePart(token), { token, kid, claims, expMs: claims.exp * 1000 });
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}

/** What follows the last `.` (the JWS signature of a compact token), or the whole string without one. */
function signaturePart(token: string): string {
  return token.slice(token.lastIndexOf('.') + 1);
}
