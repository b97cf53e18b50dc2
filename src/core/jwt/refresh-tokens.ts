import { createHmac, randomBytes } from 'node:crypto';
import { hashToken, randomToken } from '../crypto.js';
import type { ResolvedConfig } from '../config.js';
import type { StoredRefreshFamily } from '../../stores/types.js';
import type { ClientInfo } from '../types.js';
import { onceUntilSuccess } from '../once.js';

/**
 * A refresh token is 32 bytes, base64url: the family's 16-byte id, then a 16-byte (128-bit)
 * secret. The id lets a replayed old generation be traced to its family; the secret is what
 * authenticates, and only its SHA-256 (of the whole token) is stored.
 */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const ID_BYTES = 16;
/** Most generations walked back when deciding whether an unknown token is an old one of a family. */
const MAX_GENERATIONS = 20_000;
const DERIVE_KEY_NAME = 'refresh-derive-key-v1';

/** The outcome of presenting a refresh token. */
export type ExchangeResult =
  | { ok: true; family: StoredRefreshFamily; refreshToken: string }
  /** Unknown, expired or malformed: nothing to revoke. */
  | { ok: false; reason: 'invalid' }
  /** A rotated token replayed after the grace window (RFC 9700 §4.14.2): the family must be revoked. */
  | { ok: false; reason: 'reused'; family: StoredRefreshFamily }
  /** A live token whose request `authorize` refused (a cookie refresh without its CSRF token): nothing rotated. */
  | { ok: false; reason: 'csrf_rejected' };

/** Decides, before a live family's token is exchanged, whether this request may do it. */
export type AuthorizeExchange = (family: StoredRefreshFamily) => boolean | Promise<boolean>;

/** Refresh-token families: issue, rotate with a grace window, detect reuse. */
export interface RefreshTokens {
  issue(userId: string, client: ClientInfo): Promise<{ family: StoredRefreshFamily; refreshToken: string }>;
  /**
   * Rotates a presented token. The successor is derived deterministically (HMAC of the presented
   * token under a per-deployment key), so concurrent refreshes of one token (two tabs) all receive
   * the same successor: exactly one request rotates in the store (rotate-if-current), the others
   * find the family already rotated within the grace window and get the same new token.
   */
  exchange(token: string, authorize?: AuthorizeExchange): Promise<ExchangeResult>;
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
  /** The next generation: same family id, secret = HMAC(key, previous token) truncated to 16 bytes. */
  const successorOf = (key: Buffer, token: string): string => {
    const id = Buffer.from(token, 'base64url').subarray(0, ID_BYTES);
    const secret = createHmac('sha256', key).update(`refresh:${token}`, 'utf8').digest().subarray(0, ID_BYTES);
    return Buffer.concat([id, secret]).toString('base64url');
  };
  const familyIdOf = (token: string): string => Buffer.from(token, 'base64url').subarray(0, ID_BYTES).toString('base64url');
  // A family refreshes at most about once per access TTL; walk a little further than its lifetime allows.
  const maxGenerations = Math.min(MAX_GENERATIONS, Math.ceil(config.jwt.refreshTtlSeconds / config.jwt.accessTtlSeconds) * 2 + 16);

  /**
   * True if `token` is a genuine ancestor of the family's current token: its successors, derived
   * with the deployment key, reach the current or previous hash. A forged token never does.
   */
  function isAncestor(key: Buffer, family: StoredRefreshFamily, token: string): boolean {
    let t = token;
    for (let i = 0; i < maxGenerations; i++) {
      t = successorOf(key, t);
      const h = hashToken(t);
      if (h === family.currentHash || h === family.previousHash) return true;
    }
    return false;
  }

  return {
    async issue(userId, client) {
      const now = clock.now();
      const idBytes = randomBytes(ID_BYTES);
      const id = idBytes.toString('base64url');
      const refreshToken = Buffer.concat([idBytes, randomBytes(ID_BYTES)]).toString('base64url');
      const family: StoredRefreshFamily = {
        id,
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

    async exchange(token, authorize) {
      if (!TOKEN_SHAPE.test(token)) return { ok: false, reason: 'invalid' };
      const familyId = familyIdOf(token);
      const now = clock.now();
      const key = await getDeriveKey();
      const presentedHash = hashToken(token);
      const successor = successorOf(key, token);
      const successorHash = hashToken(successor);
      for (let attempt = 0; attempt < 2; attempt++) {
        const found = await store.refresh.findByTokenHash(presentedHash, now);
        if (!found) {
          // Not current, not previous: an older generation of a live family is a replay (theft);
          // anything else is simply invalid.
          const family = await store.refresh.getById(familyId, now);
          if (family && isAncestor(key, family, token)) return { ok: false, reason: 'reused', family };
          return { ok: false, reason: 'invalid' };
        }
        const { family, match } = found;
        const withinGrace = family.rotatedAt !== null && now - family.rotatedAt <= graceMs;
        const wouldSucceed = match === 'current' || (withinGrace && family.currentHash === successorHash);
        // Only a request that would get new tokens is asked for more than the token; a replay
        // beyond the grace window is theft whoever sends it, and revokes below.
        if (wouldSucceed && authorize && !(await authorize(family))) return { ok: false, reason: 'csrf_rejected' };
        if (match === 'current') {
          const rotated = await store.refresh.rotate(family.id, presentedHash, successorHash, now);
          if (rotated) return { ok: true, family: rotated, refreshToken: successor };
          continue; // another request rotated it first: look again, it is now the previous token
        }
        // The presented token was already rotated out.
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
