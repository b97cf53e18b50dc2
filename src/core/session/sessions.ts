import { randomToken, hashToken } from '../crypto.js';
import type { ResolvedConfig } from '../config.js';
import type { StoredSession, StoredUser } from '../../stores/types.js';
import type { AuthResult, ClientInfo, SessionInfo } from '../types.js';
import { toPublicUser } from '../users/users.js';

/** A base64url encoding of 32 bytes is exactly 43 characters. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** A freshly created session: the secret token goes to the client once and is never stored. */
export interface CreatedSession {
  token: string;
  session: StoredSession;
}

/** Session-posture operations; created once per instance. */
export interface Sessions {
  create(user: StoredUser, client: ClientInfo): Promise<CreatedSession>;
  /** Validates a presented token: one store round trip, plus a throttled write to slide the idle expiry. */
  validate(token: string, transport: 'cookie' | 'bearer'): Promise<AuthResult>;
  list(userId: string, currentId: string | null): Promise<SessionInfo[]>;
  revoke(userId: string, id: string): Promise<boolean>;
  revokeAll(userId: string): Promise<number>;
}

/** Effective expiry of a session: the earlier of its idle and absolute expiries. */
export function sessionExpiresAt(s: Pick<StoredSession, 'idleExpiresAt' | 'absoluteExpiresAt'>): number {
  return Math.min(s.idleExpiresAt, s.absoluteExpiresAt);
}

/** Creates the session operations for a configuration. */
export function createSessions(config: ResolvedConfig): Sessions {
  const { store, clock } = config;
  const idleMs = config.session.idleTtlSeconds * 1000;
  const absoluteMs = config.session.absoluteTtlSeconds * 1000;
  // Never let the touch interval swallow the idle window: slide at least twice per idle TTL.
  const touchMs = Math.min(config.session.touchIntervalSeconds * 1000, Math.floor(idleMs / 2));

  return {
    async create(user, client) {
      const now = clock.now();
      // A new id at every login: a session id presented before login is never adopted (fixation).
      const token = randomToken(32);
      const session: StoredSession = {
        id: randomToken(16),
        tokenHash: hashToken(token),
        userId: user.id,
        createdAt: now,
        lastSeenAt: now,
        idleExpiresAt: Math.min(now + idleMs, now + absoluteMs),
        absoluteExpiresAt: now + absoluteMs,
        userAgent: client.userAgent,
        ip: client.ip,
      };
      await store.sessions.create(session);
      return { token, session };
    },

    async validate(token, transport) {
      if (!TOKEN_SHAPE.test(token)) return { ok: false, reason: 'malformed' };
      const now = clock.now();
      const tokenHash = hashToken(token);
      const found = await store.sessions.getWithUser(tokenHash, now);
      if (!found) return { ok: false, reason: 'invalid' };
      const { session, user } = found;
      if (user.disabled) return { ok: false, reason: 'revoked' };
      let expiresAt = sessionExpiresAt(session);
      if (now - session.lastSeenAt >= touchMs) {
        // Sliding expiry, written at most once per touch interval, not on every request.
        const idleExpiresAt = Math.min(now + idleMs, session.absoluteExpiresAt);
        await store.sessions.touch(tokenHash, now, idleExpiresAt);
        expiresAt = idleExpiresAt;
      }
      return {
        ok: true,
        principal: {
          user: toPublicUser(user),
          session: { id: session.id, createdAt: session.createdAt, expiresAt },
          transport,
        },
      };
    },

    async list(userId, currentId) {
      const rows = await store.sessions.listByUser(userId, clock.now());
      return rows.map((s) => ({
        id: s.id,
        createdAt: s.createdAt,
        lastSeenAt: s.lastSeenAt,
        expiresAt: sessionExpiresAt(s),
        userAgent: s.userAgent,
        ip: s.ip,
        current: s.id === currentId,
      }));
    },

    revoke: (userId, id) => store.sessions.delete(userId, id),
    revokeAll: (userId) => store.sessions.deleteAllForUser(userId),
  };
}
