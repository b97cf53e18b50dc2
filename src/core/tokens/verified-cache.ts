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
 * The map is keyed by the token's last `KEY_LENGTH` characters, the end of its signature, and the
 * entry holds the whole token, compared on every hit: a map lookup hashes its key afresh for every
 * request's new string, and hashing a 400-character token cost more than the rest of the check (the
 * whole signature part still ~0.4 µs more than this key, on 10 000 tokens). The key only finds the
 * entry, the comparison decides: a token that shares the key and differs elsewhere is a miss, and
 * only a token that passed every check is ever stored, so nobody can displace an entry without a
 * valid signature ending the same way (94 bits of it). The comparison is plain string equality: it
 * only runs for a caller who already presents the end of a cached token's signature (the
 * unforgeable part of it), and what its timing could tell is the header and payload, which the
 * token holder reads in clear anyway.
 */
export interface VerifiedTokenCache {
  get(token: string, nowMs: number): { kid: string; claims: AccessClaims } | undefined;
  set(token: string, kid: string, claims: AccessClaims, nowMs: number): void;
  clear(): void;
  readonly size: number;
}

/** Creates the cache with at most `maxEntries` entries (0 disables it). */
export function createVerifiedTokenCache(maxEntries: number): VerifiedTokenCache {
  // The token's lookup key → the whole token and what it verified to.
  const entries = new Map<string, { token: string; kid: string; claims: AccessClaims; expMs: number }>();
  let lastSweepMs = -Infinity;
  const SWEEP_INTERVAL_MS = 1000;
  return {
    get(token, nowMs) {
      const key = lookupKey(token);
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
      entries.set(lookupKey(token), { token, kid, claims, expMs: claims.exp * 1000 });
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}

/**
 * Characters of a token's end that key the map: at least 94 bits of its EdDSA, ECDSA, RSA or HMAC
 * signature (the last character of unpadded base64url may carry only 2 or 4 bits).
 */
const KEY_LENGTH = 16;

/** A token's map key: its last `KEY_LENGTH` characters (the whole token if shorter). */
function lookupKey(token: string): string {
  return token.slice(-KEY_LENGTH);
}
