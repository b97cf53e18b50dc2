import { hashToken, hmac, randomToken } from '../crypto.js';
import type { ResolvedConfig } from '../config.js';
import type { StoredRefreshFamily } from '../../stores/types.js';
import type { ClientInfo } from '../types.js';
import { onceUntilSuccess } from '../once.js';

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const DERIVE_KEY_NAME = 'refresh-derive-key-v1';

/** The outcome of presenting a refresh token. */
export type ExchangeResult =
  | { ok: true; family: StoredRefreshFamily; refreshToken: string }
  /** Unknown, expired or malformed: nothing to revoke. */
  | { ok: false; reason: 'invalid' }
  /** A rotated token replayed after the grace window (RFC 9700 §4.14.2): the family must be revoked. */
  | { ok: false; reason: 'reused'; family: StoredRefreshFamily };

/** Refresh-token families: issue, rotate with a grace window, detect reuse. */
export interface RefreshTokens {
  issue(userId: string, client: ClientInfo): Promise<{ family: StoredRefreshFamily; refreshToken: string }>;
  /**
   * Rotates a presented token. The successor is derived deterministically (HMAC of the presented
   * token under a per-deployment key), so concurrent refreshes of one token (two tabs) all receive
   * the same successor: exactly one request rotates in the store (rotate-if-current), the others
   * find the family already rotated within the grace window and get the same new token.
   */
  exchange(token: string): Promise<ExchangeResult>;
  /** The family a presented token belongs to, without rotating (logout by refresh token). */
  find(token: string): Promise<StoredRefreshFamily | null>;
}

/** Creates the refresh-token operations. */
export function createRefreshTokens(config: ResolvedConfig): RefreshTokens {
  const { store, clock } = config;
  const ttlMs = config.jwt.refreshTtlSeconds * 1000;
  const graceMs = config.jwt.refreshGraceSeconds * 1000;
  const getDeriveKey = onceUntilSuccess(async () =>
    Buffer.from(await store.secrets.getOrCreate(DERIVE_KEY_NAME, randomToken(32)), 'base64url'),
  );
  const successorOf = async (token: string) => hmac(await getDeriveKey(), `refresh:${token}`);

  return {
    async issue(userId, client) {
      const now = clock.now();
      const refreshToken = randomToken(32);
      const family: StoredRefreshFamily = {
        id: randomToken(16),
        userId,
        currentHash: hashToken(refreshToken),
        previousHash: null,
        rotatedAt: null,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: now + ttlMs,
        userAgent: client.userAgent,
        ip: client.ip,
      };
      await store.refresh.create(family);
      return { family, refreshToken };
    },

    async exchange(token) {
      if (!TOKEN_SHAPE.test(token)) return { ok: false, reason: 'invalid' };
      const now = clock.now();
      const presentedHash = hashToken(token);
      const successor = await successorOf(token);
      const successorHash = hashToken(successor);
      for (let attempt = 0; attempt < 2; attempt++) {
        const found = await store.refresh.findByTokenHash(presentedHash, now);
        if (!found) return { ok: false, reason: 'invalid' };
        const { family, match } = found;
        if (match === 'current') {
          const rotated = await store.refresh.rotate(family.id, presentedHash, successorHash, now);
          if (rotated) return { ok: true, family: rotated, refreshToken: successor };
          continue; // another request rotated it first: look again, it is now the previous token
        }
        // The presented token was already rotated out.
        const withinGrace = family.rotatedAt !== null && now - family.rotatedAt <= graceMs;
        if (withinGrace && family.currentHash === successorHash) {
          return { ok: true, family, refreshToken: successor };
        }
        return { ok: false, reason: 'reused', family };
      }
      return { ok: false, reason: 'invalid' };
    },

    async find(token) {
      if (!TOKEN_SHAPE.test(token)) return null;
      const found = await store.refresh.findByTokenHash(hashToken(token), clock.now());
      return found?.family ?? null;
    },
  };
}
