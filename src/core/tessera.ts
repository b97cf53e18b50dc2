import { hashToken, hmac, randomToken, safeEqual } from './crypto.js';
import { onceUntilSuccess } from './once.js';
import { resolveConfig, type ResolvedConfig, type TesseraOptions } from './config.js';
import { TesseraError } from './errors.js';
import type { IssuedCredentials, PostureEngine } from './engine.js';
import { describePosture, type PostureReport } from './posture.js';
import { assertUnderLimits, releaseHit, takeHit, type Limit } from './rate-limit.js';
import { createSessionEngine } from './session/engine.js';
import { createJwtEngine, type JwtEngine, type RefreshResult } from './jwt/engine.js';
import { createDenylist, createNoRevocation } from './jwt/revocation-check.js';
import { createPushRevocations, type PushRevocations } from './jwt/push-revocations.js';
import type { AdminUser, AuthResult, ClientInfo, LogoutResult, Principal, PublicUser, SessionInfo, Transport } from './types.js';
import { normalizeEmail } from './users/email.js';
import { createPasswordHasher } from './users/password.js';
import { MAX_ROLES, newUserRecord, normalizeRoles, ROLE_SHAPE, toAdminUser, toPublicUser } from './users/users.js';

/**
 * How a refresh token (or, to `logoutCredential`, an access credential) was presented: `csrfToken`
 * when it came in a cookie (the request's `X-CSRF-Token`, or '').
 */
export interface RefreshTokenOptions {
  csrfToken?: string;
}

/** The result of a successful login. */
export interface LoginResult {
  user: PublicUser;
  credentials: IssuedCredentials;
}

/** A configured Tessera instance: every operation of the library. */
export interface Tessera {
  readonly config: ResolvedConfig;
  /** Creates an account. @throws TesseraError `bad_request`, `conflict`, `forbidden` (signup closed), `rate_limited`. */
  signup(input: { email: string; password: string }, client: ClientInfo): Promise<PublicUser>;
  /** Checks a password and issues credentials. @throws TesseraError `invalid_credentials`, `rate_limited`, `forbidden`, `bad_request`. */
  login(input: { email: string; password: string }, client: ClientInfo): Promise<LoginResult>;
  /** Authenticates a presented credential; a rejection is a result, not an exception. */
  authenticate(token: string, transport: Transport): Promise<AuthResult>;
  logout(principal: Principal): Promise<void>;
  /**
   * Authenticates a presented credential and ends its session / refresh family: `authenticate` then
   * `logout` in one step. With `csrfToken` (a credential that came in a cookie: the request's
   * `X-CSRF-Token`, or ''), nothing ends unless it is that login's CSRF token (`csrf_rejected`). A
   * rejection is a result, as in `authenticate`. In the jwt postures the revocation is written as
   * soon as the token has verified, one store round trip sooner than the two calls would.
   */
  logoutCredential(token: string, transport: Transport, options?: RefreshTokenOptions): Promise<LogoutResult>;
  /** Ends every session of a user ("log out everywhere"). */
  revokeAllForUser(userId: string): Promise<void>;
  /** Ends one of the user's sessions. @throws TesseraError `not_found` if the user has none with that id. */
  revokeSession(userId: string, sessionId: string): Promise<void>;
  listSessions(userId: string, currentSessionId: string | null): Promise<SessionInfo[]>;
  /** The CSRF token bound to a session: HMAC of its id under a per-deployment key. */
  csrfToken(sessionId: string): Promise<string>;
  /** Constant-time check of a presented CSRF token against the session's. */
  verifyCsrf(sessionId: string, presented: string): Promise<boolean>;
  listUsers(options?: { limit?: number; offset?: number }): Promise<AdminUser[]>;
  /** @throws TesseraError `not_found`, `bad_request` */
  setRoles(userId: string, roles: readonly string[]): Promise<PublicUser>;
  /** Disables the account and revokes everything it holds. @throws TesseraError `not_found` */
  disableUser(userId: string): Promise<void>;
  /** @throws TesseraError `not_found` */
  enableUser(userId: string): Promise<void>;
  /** Creates or updates an admin account (bootstrap): sets the password, adds `admin`, enables it. */
  ensureAdmin(email: string, password: string): Promise<PublicUser>;
  /**
   * Rotates a refresh token (jwt postures) and mints a new access token. A rotated token replayed
   * after the grace window revokes its whole family. With `csrfToken` (the token came in the refresh
   * cookie), a live login is exchanged only if it is that login's CSRF token (`csrf_rejected`
   * otherwise, nothing rotated). @throws TesseraError `not_found` in the session posture.
   */
  refresh(refreshToken: string, options?: RefreshTokenOptions): Promise<RefreshResult>;
  /**
   * Ends the refresh family a refresh token belongs to (jwt postures; no-op otherwise). With
   * `csrfToken`, a live login ends only if it is that login's CSRF token: false when it was not
   * (nothing revoked), true otherwise.
   */
  logoutByRefreshToken(refreshToken: string, options?: RefreshTokenOptions): Promise<boolean>;
  /**
   * The login a refresh token belongs to, without rotating anything: its session (refresh family)
   * id and user, or null when the token is not the current or previous token of a live family, or
   * in the session posture. A request authenticated by the refresh cookie checks its CSRF token
   * against this session before it changes anything.
   */
  refreshSession(refreshToken: string): Promise<{ sessionId: string; userId: string } | null>;
  /** The public JSON Web Key Set (jwt postures with an asymmetric algorithm), or null. */
  jwks(): Promise<{ keys: object[] } | null>;
  posture(): PostureReport;
  /** Resolves when the store answers and the posture is initialised; throws StoreError otherwise. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

const CSRF_SECRET_NAME = 'csrf-hmac-key-v1';

/**
 * Validates the configuration once (throws `ConfigError` naming the option) and returns the instance.
 * @example
 * const tessera = createTessera({ mode: 'session', store: createSqliteStore({ path: './tessera.db' }) });
 */
export function createTessera(options: TesseraOptions): Tessera {
  const config = resolveConfig(options);
  const { store, clock } = config;
  const passwords = createPasswordHasher(config.password);
  let push: PushRevocations | undefined;
  let jwtEngine: JwtEngine | undefined;
  let engine: PostureEngine;
  if (config.mode === 'session') {
    engine = createSessionEngine(config);
  } else {
    const policy =
      config.mode === 'jwt' ? createNoRevocation(config) : config.mode === 'jwt-denylist' ? createDenylist(config) : (push = createPushRevocations(config));
    engine = jwtEngine = createJwtEngine(config, policy);
  }
  const requireJwt = (): JwtEngine => {
    if (!jwtEngine) throw new TesseraError('not_found', 'refresh tokens belong to the jwt postures');
    return jwtEngine;
  };

  const getCsrfKey = onceUntilSuccess(async () =>
    Buffer.from(await store.secrets.getOrCreate(CSRF_SECRET_NAME, randomToken(32)), 'base64url'),
  );
  /** The CSRF token bound to a session: HMAC of its id under the per-deployment key. */
  async function csrfToken(sessionId: string): Promise<string> {
    return hmac(await getCsrfKey(), `csrf:${sessionId}`);
  }
  /** Constant-time check of a presented CSRF token against the session's. */
  async function verifyCsrf(sessionId: string, presented: string): Promise<boolean> {
    if (presented.length === 0 || presented.length > 128) return false;
    return safeEqual(await csrfToken(sessionId), presented);
  }
  /** The CSRF check of an operation by a presented credential: none for a bearer token, the login's token for a cookie. */
  const csrfCheck = ({ csrfToken }: RefreshTokenOptions) =>
    csrfToken === undefined ? undefined : (family: { id: string }) => verifyCsrf(family.id, csrfToken);
  let initialised = false;
  const init = onceUntilSuccess(async () => {
    await engine.init();
    initialised = true;
  });

  /** Login limits: per account (keyed by a hash of the email, no address in the store) and per IP. */
  const loginLimits = (emailKey: string, ip: string | null): { account: Limit; ip: Limit | null } => {
    const windowMs = config.rateLimit.loginWindowSeconds * 1000;
    return {
      account: { key: `login:acct:${hashToken(emailKey)}`, max: config.rateLimit.loginPerAccount, windowMs },
      ip: ip ? { key: `login:ip:${ip}`, max: config.rateLimit.loginPerIp, windowMs } : null,
    };
  };

  async function requireUser(userId: string) {
    const user = await store.users.getById(userId);
    if (!user) throw new TesseraError('not_found', 'no such user');
    return user;
  }

  const tessera: Tessera = {
    config,

    async signup(input, client) {
      if (config.signup === 'closed') throw new TesseraError('forbidden', 'signup is closed');
      const now = clock.now();
      const limits: Limit[] = client.ip
        ? [{ key: `signup:ip:${client.ip}`, max: config.rateLimit.signupPerIp, windowMs: config.rateLimit.signupWindowSeconds * 1000 }]
        : [];
      await assertUnderLimits(store.counters, limits, now);
      const email = normalizeEmail(input.email);
      if (!email) throw new TesseraError('bad_request', 'email is not a valid address');
      passwords.check(input.password);
      // Counted atomically before the hash: a parallel burst cannot all pass the check above.
      for (const limit of limits) await takeHit(store.counters, limit, now);
      const hash = await passwords.hash(input.password);
      const user = newUserRecord(email, hash, [], clock.now());
      if (!(await store.users.create(user))) throw new TesseraError('conflict', 'an account with this email exists');
      return toPublicUser(user);
    },

    async login(input, client) {
      // Oversize passwords are refused before any hashing (no argon2 over a megabyte).
      if (Buffer.byteLength(input.password, 'utf8') > config.password.maxBytes) {
        throw new TesseraError('bad_request', `password must be at most ${config.password.maxBytes} bytes`);
      }
      const email = normalizeEmail(input.email);
      const now = clock.now();
      const { account: accountLimit, ip: ipLimit } = loginLimits(email ?? input.email.trim().toLowerCase(), client.ip);
      // Both attempts are counted atomically *before* the password is checked, so a burst of parallel
      // guesses cannot all pass the check while argon2 runs. The account's count is reset by a right
      // password; the IP's counts failures only, so a right password takes its own hit back.
      await takeHit(store.counters, accountLimit, now);
      const ipHit = ipLimit ? await takeHit(store.counters, ipLimit, now) : null;
      const user = email ? await store.users.getByEmail(email) : null;
      // Unknown accounts are verified against a dummy hash: same status, same body, about the same time.
      const ok = await passwords.verify(user?.passwordHash ?? null, input.password);
      if (!ok || !user) throw new TesseraError('invalid_credentials', 'email or password is incorrect');
      if (ipHit) await releaseHit(store.counters, ipHit);
      if (user.disabled) throw new TesseraError('forbidden', 'this account is disabled');
      await store.counters.reset(accountLimit.key);
      await init();
      const credentials = await engine.issue(user, client);
      return { user: toPublicUser(user), credentials };
    },

    authenticate(token, transport) {
      // Once initialised, straight to the engine: no settled promise awaited on every request.
      return initialised ? engine.authenticate(token, transport) : init().then(() => engine.authenticate(token, transport));
    },

    logout: (principal) => engine.logout(principal),

    async logoutCredential(token, transport, options = {}) {
      await init();
      return engine.logoutCredential(token, transport, csrfCheck(options));
    },
    revokeAllForUser: (userId) => engine.revokeAll(userId),

    async revokeSession(userId, sessionId) {
      if (!(await engine.revoke(userId, sessionId))) throw new TesseraError('not_found', 'no such session');
    },

    listSessions: (userId, currentSessionId) => engine.list(userId, currentSessionId),

    csrfToken,
    verifyCsrf,

    async listUsers(opts = {}) {
      const limit = Math.min(Math.max(opts.limit ?? 100, 1), 1000);
      const users = await store.users.list({ limit, offset: Math.max(opts.offset ?? 0, 0) });
      return users.map(toAdminUser);
    },

    async setRoles(userId, roles) {
      if (roles.length > MAX_ROLES) throw new TesseraError('bad_request', `at most ${MAX_ROLES} roles`);
      const bad = roles.find((r) => !ROLE_SHAPE.test(r));
      if (bad !== undefined) throw new TesseraError('bad_request', 'roles must match ^[a-z][a-z0-9_:-]{0,63}$');
      const updated = await store.users.update(userId, { roles: normalizeRoles(roles) });
      if (!updated) throw new TesseraError('not_found', 'no such user');
      await engine.rolesChanged(userId);
      return toPublicUser(updated);
    },

    async disableUser(userId) {
      await requireUser(userId);
      await store.users.update(userId, { disabled: true });
      await engine.revokeAll(userId);
    },

    async enableUser(userId) {
      await requireUser(userId);
      await store.users.update(userId, { disabled: false });
    },

    async ensureAdmin(emailInput, password) {
      const email = normalizeEmail(emailInput);
      if (!email) throw new TesseraError('bad_request', 'admin email is not a valid address');
      // The password's policy, then the store, then the hash: a bad flag is refused whatever the
      // store's state, and while the store is down (the server's bootstrap retries every few
      // seconds) an attempt fails before it costs a password hash.
      passwords.check(password);
      const existing = await store.users.getByEmail(email);
      const hash = await passwords.hash(password);
      if (!existing) {
        const user = newUserRecord(email, hash, ['admin'], clock.now());
        if (await store.users.create(user)) return toPublicUser(user);
      }
      const current = existing ?? (await store.users.getByEmail(email));
      if (!current) throw new TesseraError('conflict', 'admin account changed concurrently');
      const updated = await store.users.update(current.id, {
        passwordHash: hash,
        roles: normalizeRoles([...current.roles, 'admin']),
        disabled: false,
      });
      if (!updated) throw new TesseraError('conflict', 'admin account changed concurrently');
      return toPublicUser(updated);
    },

    async refresh(refreshToken, options = {}) {
      const jwt = requireJwt();
      await init();
      return jwt.refresh(refreshToken, csrfCheck(options));
    },

    async logoutByRefreshToken(refreshToken, options = {}) {
      return jwtEngine ? jwtEngine.logoutByRefreshToken(refreshToken, csrfCheck(options)) : true;
    },

    async refreshSession(refreshToken) {
      if (!jwtEngine) return null;
      const family = await jwtEngine.refreshFamily(refreshToken);
      return family ? { sessionId: family.id, userId: family.userId } : null;
    },

    async jwks() {
      if (!jwtEngine || config.jwt.algorithm === 'HS256') return null;
      return jwtEngine.jwks();
    },

    posture: () => describePosture(config, push?.observe()),

    async ready() {
      await store.ping();
      await init();
      await getCsrfKey();
    },

    async close() {
      await engine.close();
    },
  };
  return Object.freeze(tessera);
}
