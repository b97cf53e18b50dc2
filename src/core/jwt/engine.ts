import type { ResolvedConfig } from '../config.js';
import type { IssuedCredentials, PostureEngine } from '../engine.js';
import type { StoredRefreshFamily, StoredUser } from '../../stores/types.js';
import type { AuthResult, ClientInfo, LogoutResult, SessionInfo } from '../types.js';
import { loadKeyRing, type KeyRing } from '../tokens/keys.js';
import { createAccessTokenSigner } from '../tokens/sign-access.js';
import { createAccessTokenVerifier, type AccessClaims, type AccessRejection } from '../tokens/verify-access.js';
import { createRefreshTokens, type AuthorizeExchange, type ExchangeResult } from './refresh-tokens.js';
import type { RevocationPolicy } from './revocation-check.js';
import { createEmailCache } from './email-cache.js';
import { onceUntilSuccess } from '../once.js';

/** What a refresh returns. */
export type RefreshResult =
  | { ok: true; credentials: Extract<IssuedCredentials, { kind: 'jwt' }> }
  | { ok: false; reason: 'invalid' | 'reused' | 'revoked' | 'csrf_rejected' };

/** The jwt postures' engine, plus what only they have. */
export interface JwtEngine extends PostureEngine {
  /** `authorize` is asked, before a live token is exchanged, whether this request may (CSRF). */
  refresh(refreshToken: string, authorize?: AuthorizeExchange): Promise<RefreshResult>;
  /**
   * Logs out by refresh token (the access token may already have expired). False when `authorize`
   * refused the token's live family (nothing was revoked); true otherwise, whether or not it was live.
   */
  logoutByRefreshToken(refreshToken: string, authorize?: AuthorizeExchange): Promise<boolean>;
  /** The live family whose current or previous token this is, without rotating; null otherwise. */
  refreshFamily(refreshToken: string): Promise<StoredRefreshFamily | null>;
  jwks(): Promise<{ keys: object[] }>;
  keyRing(): Promise<KeyRing>;
}

/** A token's claims once it verified and is not revoked, or why not. */
type LiveClaims = { ok: true; claims: AccessClaims } | { ok: false; reason: AccessRejection | 'revoked' };
const REVOKED: LiveClaims = Object.freeze({ ok: false, reason: 'revoked' });

/**
 * The `jwt`, `jwt-denylist` and `jwt-push` postures: short-lived signed access tokens verified
 * locally, refresh families in the store, and a revocation policy that decides what a revocation
 * does to access tokens already issued.
 */
export function createJwtEngine(config: ResolvedConfig, revocation: RevocationPolicy): JwtEngine {
  const { store, clock } = config;
  const refreshTokens = createRefreshTokens(config);
  const emails = createEmailCache(store.users, 10_000, 5 * 60_000, clock);
  let sign: ReturnType<typeof createAccessTokenSigner> | undefined;
  let verify: ReturnType<typeof createAccessTokenVerifier> | undefined;
  // Keys are imported once; the signer and verifier are built once on top of them.
  const getRing = onceUntilSuccess(async () => {
    const ring = await loadKeyRing(config);
    sign = createAccessTokenSigner(config, ring);
    verify = createAccessTokenVerifier(config, ring);
    return ring;
  });

  async function mint(user: StoredUser, family: StoredRefreshFamily, refreshToken: string): Promise<Extract<IssuedCredentials, { kind: 'jwt' }>> {
    await getRing();
    const issuedAtMs = await revocation.minIssuedAt(user.id);
    const access = await sign!({ sub: user.id, sid: family.id, roles: user.roles, issuedAtMs });
    emails.remember(user.id, user.email);
    return {
      kind: 'jwt',
      sessionId: family.id,
      createdAt: family.createdAt,
      expiresAt: family.expiresAt,
      accessToken: access.token,
      accessExpiresAt: access.expiresAt,
      refreshToken,
      refreshExpiresAt: family.expiresAt,
    };
  }

  async function revokeFamily(family: Pick<StoredRefreshFamily, 'id' | 'userId'>): Promise<boolean> {
    // Independent writes, so both in flight at once: the revocation reaches the access tokens
    // already out (denylist / push; sent first), and the refresh family goes (no new access tokens).
    const [, deleted] = await Promise.all([revocation.revokeFamily(family.userId, family.id), store.refresh.delete(family.userId, family.id)]);
    return deleted;
  }

  /** The claims of a token that verifies and is not revoked, or why not: synchronous when both steps are. */
  function liveClaims(token: string): LiveClaims | Promise<LiveClaims> {
    const verifying = verify!(token);
    return verifying instanceof Promise ? verifying.then(unlessRevoked) : unlessRevoked(verifying);
  }
  function unlessRevoked(result: LiveClaims): LiveClaims | Promise<LiveClaims> {
    if (!result.ok) return result;
    const checking = revocation.isRevoked(result.claims);
    return checking instanceof Promise ? checking.then((revoked) => (revoked ? REVOKED : result)) : checking ? REVOKED : result;
  }

  const engine: JwtEngine = {
    async init() {
      await getRing();
      await revocation.init();
    },

    async issue(user: StoredUser, client: ClientInfo) {
      const { family, refreshToken } = await refreshTokens.issue(user.id, client);
      return mint(user, family, refreshToken);
    },

    async authenticate(token, transport): Promise<AuthResult> {
      if (!verify) await getRing();
      // Each step answers synchronously when it can (a token verified before, a revocation set in
      // memory, a remembered email): a promise is awaited only when one is returned.
      const checking = liveClaims(token);
      const result = checking instanceof Promise ? await checking : checking;
      if (!result.ok) return result;
      const { claims } = result;
      const looking = emails.get(claims.sub);
      const email = looking instanceof Promise ? await looking : looking;
      if (email === null) return { ok: false, reason: 'invalid' };
      return {
        ok: true,
        principal: {
          // Roles come from the token: in `jwt` a role change reaches them at the next refresh. The
          // verifier hands out a fresh copy of the claims on every call, so no copy here.
          user: { id: claims.sub, email, roles: claims.roles },
          session: { id: claims.sid, createdAt: Math.round(claims.iat * 1000), expiresAt: claims.exp * 1000 },
          transport,
        },
      };
    },

    async refresh(refreshToken, authorize) {
      const exchanged: ExchangeResult = await refreshTokens.exchange(refreshToken, authorize);
      if (!exchanged.ok) {
        // RFC 9700 §4.14.2: a replayed, rotated refresh token means theft; the whole family goes,
        // the newest token included.
        if (exchanged.reason === 'reused') await revokeFamily(exchanged.family);
        return { ok: false, reason: exchanged.reason };
      }
      // Re-read the user so roles and `disabled` are current in every new access token.
      const user = await store.users.getById(exchanged.family.userId);
      if (!user || user.disabled) {
        await revokeFamily(exchanged.family);
        return { ok: false, reason: 'revoked' };
      }
      return { ok: true, credentials: await mint(user, exchanged.family, exchanged.refreshToken) };
    },

    async logout(principal) {
      await revokeFamily({ id: principal.session.id, userId: principal.user.id });
    },

    async logoutCredential(token, _transport, authorize): Promise<LogoutResult> {
      if (!verify) await getRing();
      const result = await liveClaims(token);
      if (!result.ok) return result;
      const { sub: userId, sid: id } = result.claims;
      if (authorize && !(await authorize({ id }))) return { ok: false, reason: 'csrf_rejected' };
      // The family ends as soon as its token is known good; the user's lookup, which `authenticate`
      // makes before answering (an instance that has not seen this user reads it from the store),
      // goes beside the revocation instead of before it: one store round trip less before the
      // revocation is written and published. A token whose user is gone is still refused (and its
      // family, which nothing can use any more, ended all the same).
      const [, email] = await Promise.all([revokeFamily({ id, userId }), emails.get(userId)]);
      return email === null ? { ok: false, reason: 'invalid' } : { ok: true };
    },

    async logoutByRefreshToken(refreshToken, authorize) {
      const family = await refreshTokens.find(refreshToken);
      if (!family) return true;
      if (authorize && !(await authorize(family))) return false;
      await revokeFamily(family);
      return true;
    },

    refreshFamily: (refreshToken) => refreshTokens.find(refreshToken),

    async revokeAll(userId) {
      const families = await store.refresh.listByUser(userId, clock.now());
      await store.refresh.deleteAllForUser(userId);
      await revocation.revokeUser(userId);
      // Family entries too: they also catch tokens minted in the very second of the revocation.
      await Promise.all(families.map((f) => revocation.revokeFamily(userId, f.id)));
    },

    async revoke(userId, id) {
      const family = await store.refresh.getById(id, clock.now());
      if (!family || family.userId !== userId) return false;
      return revokeFamily(family);
    },

    async list(userId, currentId): Promise<SessionInfo[]> {
      const families = await store.refresh.listByUser(userId, clock.now());
      return families.map((f) => ({
        id: f.id,
        createdAt: f.createdAt,
        lastSeenAt: f.lastSeenAt,
        expiresAt: f.expiresAt,
        userAgent: f.userAgent,
        ip: f.ip,
        current: f.id === currentId,
      }));
    },

    async rolesChanged(userId) {
      await revocation.revokeUser(userId);
    },

    async jwks() {
      return (await getRing()).jwks();
    },

    keyRing: getRing,

    async close() {
      await revocation.close();
    },
  };
  return engine;
}
