import type { ResolvedConfig } from '../config.js';
import type { AccessClaims } from '../tokens/verify-access.js';

/**
 * How a posture learns that a verified access token was revoked, and how it records revocations.
 * `jwt` has none (honestly: the window is the access TTL); `jwt-denylist` asks the store on every
 * request; `jwt-push` keeps a pushed in-memory set.
 */
export interface RevocationPolicy {
  /** True if the token must be refused; synchronous when the answer is in memory. */
  isRevoked(claims: AccessClaims): boolean | Promise<boolean>;
  /** Records that every token of the family is revoked. */
  revokeFamily(userId: string, familyId: string): Promise<void>;
  /** Records that every token the user holds, issued before now, is revoked. */
  revokeUser(userId: string): Promise<void>;
  /** The earliest issue time (ms) a token minted now for the user may carry to be accepted. */
  minIssuedAt(userId: string): Promise<number>;
  init(): Promise<void>;
  close(): Promise<void>;
}

/** How long a revocation entry must live: until no token it can affect is still valid. */
export function revocationLifetimeMs(config: ResolvedConfig): number {
  return (config.jwt.accessTtlSeconds + config.jwt.clockToleranceSeconds) * 1000 + 1000;
}

/**
 * Whether a token's `iat` (seconds, millisecond precision) is at or before a user's not-before (ms):
 * a token minted in the very millisecond of a revocation counts as revoked.
 */
export function issuedBefore(iatSeconds: number, notBeforeMs: number | null): boolean {
  return notBeforeMs !== null && Math.round(iatSeconds * 1000) <= notBeforeMs;
}

/** `jwt`: nothing is checked per request; revocation reaches access tokens only at `exp`. */
export function createNoRevocation(config: ResolvedConfig): RevocationPolicy {
  return {
    isRevoked: () => false,
    revokeFamily: async () => {},
    revokeUser: async () => {},
    minIssuedAt: async () => config.clock.now(),
    init: async () => {},
    close: async () => {},
  };
}

/** `jwt-denylist`: one store lookup per request (the user's not-before and the family's entry). */
export function createDenylist(config: ResolvedConfig): RevocationPolicy {
  const { store, clock } = config;
  const lifetime = revocationLifetimeMs(config);
  return {
    async isRevoked(claims) {
      const state = await store.revocations.check(claims.sub, claims.sid, clock.now());
      return state.familyRevoked || issuedBefore(claims.iat, state.userNotBefore);
    },
    async revokeFamily(userId, familyId) {
      const now = clock.now();
      await store.revocations.put({ kind: 'family', familyId, userId, createdAt: now, expiresAt: now + lifetime });
    },
    async revokeUser(userId) {
      const now = clock.now();
      await store.revocations.put({ kind: 'user', userId, notBefore: now, createdAt: now, expiresAt: now + lifetime });
    },
    async minIssuedAt(userId) {
      const now = clock.now();
      const { userNotBefore } = await store.revocations.check(userId, '', now);
      return minIatAfter(now, userNotBefore);
    },
    init: async () => {},
    close: async () => {},
  };
}

/**
 * The issue time (ms) for a token minted at `now`: after the user's not-before, so that a token
 * minted just after a revocation is not mistaken for one minted just before it.
 */
export function minIatAfter(now: number, notBeforeMs: number | null): number {
  return notBeforeMs === null ? now : Math.max(now, notBeforeMs + 1);
}
