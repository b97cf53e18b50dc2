/**
 * The store contracts. The core sees only these interfaces; each backend (memory, SQLite,
 * Redis, PostgreSQL) hides its driver behind them and passes one conformance suite
 * (`test/stores/conformance.ts`). Times are epoch milliseconds and are always passed in by
 * the caller (`now`), so an injected clock governs expiry in every backend. A record whose
 * expiry is at or before `now` is never returned.
 *
 * Every method may throw `StoreError` when the backend cannot answer; callers fail closed.
 */

/** A user as stored. */
export interface StoredUser {
  id: string;
  /** Normalised (trimmed, NFKC, lower-cased); unique. */
  email: string;
  /** argon2id PHC string. */
  passwordHash: string;
  roles: string[];
  disabled: boolean;
  createdAt: number;
}

/** A login session (session posture) as stored. Keyed by SHA-256 of the secret id. */
export interface StoredSession {
  /** Public, non-secret id of the session (shown in lists, used to revoke one). */
  id: string;
  /** SHA-256 of the secret session token, base64url. The secret itself is never stored. */
  tokenHash: string;
  userId: string;
  createdAt: number;
  lastSeenAt: number;
  /** Sliding idle expiry. */
  idleExpiresAt: number;
  /** Hard cap, never extended. */
  absoluteExpiresAt: number;
  userAgent: string | null;
  ip: string | null;
}

/**
 * A live session as authenticating a request needs it (`SessionStore.getWithUser`): no token hash
 * (the caller has it) and no client details (those are for the device list).
 */
export type ActiveSession = Pick<StoredSession, 'id' | 'userId' | 'createdAt' | 'lastSeenAt' | 'idleExpiresAt' | 'absoluteExpiresAt'>;

/** A user as authenticating a request needs it: never the password hash, which no request but a login reads. */
export type ActiveUser = Omit<StoredUser, 'passwordHash'>;

/** What `SessionStore.getWithUser` finds: the live session and its user. */
export interface SessionWithUser {
  session: ActiveSession;
  user: ActiveUser;
}

/** A refresh-token family (jwt postures): one per device. */
export interface StoredRefreshFamily {
  /** Public family id; also the `sid` claim of access tokens minted from it. */
  id: string;
  userId: string;
  /** SHA-256 of the current refresh token. */
  currentHash: string;
  /** SHA-256 of the token it replaced, exchangeable during the grace window. */
  previousHash: string | null;
  /** When `previousHash` was rotated out. */
  rotatedAt: number | null;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  userAgent: string | null;
  ip: string | null;
}

/** Which of a family's hashes a presented refresh token matched. */
export type RefreshMatch = 'current' | 'previous';

/** A revocation entry (jwt-denylist, jwt-push). */
export type Revocation =
  /** Every access token of the user issued before `notBefore` (ms) is invalid. */
  | { kind: 'user'; userId: string; notBefore: number; expiresAt: number; createdAt: number }
  /** Every access token carrying this `sid` is invalid. */
  | { kind: 'family'; familyId: string; userId: string; expiresAt: number; createdAt: number };

/** A signing key as stored (jwt postures). */
export interface StoredSigningKey {
  kid: string;
  alg: string;
  /** Private JWK as JSON text. */
  privateJwk: string;
  /** Public JWK as JSON text. */
  publicJwk: string;
  state: 'active' | 'retiring';
  createdAt: number;
  /** For retiring keys: when they may be deleted (no token they signed can still be valid). */
  retireAt: number | null;
}

export interface UserStore {
  /** Inserts a user. Returns false (and writes nothing) if the email is taken. */
  create(user: StoredUser): Promise<boolean>;
  getById(id: string): Promise<StoredUser | null>;
  getByEmail(email: string): Promise<StoredUser | null>;
  /** All users ordered by `createdAt`, then `id`; at most `limit`. */
  list(options: { limit: number; offset?: number }): Promise<StoredUser[]>;
  /** Applies the patch; returns the updated user, or null if there is none with that id. */
  update(id: string, patch: Partial<Pick<StoredUser, 'roles' | 'disabled' | 'passwordHash'>>): Promise<StoredUser | null>;
}

export interface SessionStore {
  create(session: StoredSession): Promise<void>;
  /**
   * The live session with this token hash and its user, in one round trip where the backend
   * allows: only the fields authentication needs (no password hash, no token hash, no client
   * details), read on every request of the session posture. Null when there is none, it has
   * expired (idle or absolute) at `now`, or its user is gone.
   */
  getWithUser(tokenHash: string, now: number): Promise<SessionWithUser | null>;
  /** Slides the idle expiry and records activity. No-op if the session is gone. */
  touch(tokenHash: string, lastSeenAt: number, idleExpiresAt: number): Promise<void>;
  /** Live sessions of a user, newest first. */
  listByUser(userId: string, now: number): Promise<StoredSession[]>;
  /** Deletes the user's session with this public id. True if one was deleted. */
  delete(userId: string, id: string): Promise<boolean>;
  /** Deletes the session with this token hash. True if one was deleted. */
  deleteByTokenHash(tokenHash: string): Promise<boolean>;
  /** Deletes every session of a user; returns how many. */
  deleteAllForUser(userId: string): Promise<number>;
}

export interface RefreshStore {
  create(family: StoredRefreshFamily): Promise<void>;
  /** The live family whose current or previous hash is `tokenHash`, and which one matched. */
  findByTokenHash(tokenHash: string, now: number): Promise<{ family: StoredRefreshFamily; match: RefreshMatch } | null>;
  /**
   * Atomic rotate-if-current: if the family's current hash is still `expectedHash`, makes it
   * `newHash`, moves `expectedHash` to previous with `rotatedAt = now`, sets `lastSeenAt = now`,
   * and returns the updated family. Otherwise changes nothing and returns null. Of two
   * concurrent callers with the same `expectedHash`, exactly one receives the family.
   */
  rotate(familyId: string, expectedHash: string, newHash: string, now: number): Promise<StoredRefreshFamily | null>;
  getById(id: string, now: number): Promise<StoredRefreshFamily | null>;
  listByUser(userId: string, now: number): Promise<StoredRefreshFamily[]>;
  /** Deletes the user's family with this id. True if one was deleted. */
  delete(userId: string, id: string): Promise<boolean>;
  deleteAllForUser(userId: string): Promise<number>;
}

/** Options of `RevocationStore.put`. */
export interface PutRevocationOptions {
  /**
   * Also publish the revocation on the store's feed (jwt-push), only once it is written, so an
   * instance that reloads after missing the message still finds it. One round trip where the
   * backend allows, and nothing published if the write fails: Redis on one server in one script,
   * PostgreSQL in one statement (NOTIFY goes out at commit); memory, SQLite and Redis Cluster
   * write, then publish.
   */
  publish?: boolean;
}

/** What a revocation check answers as of its `now`: the user's not-before (ms), if any, and whether the family is revoked. */
export interface RevocationCheck {
  userNotBefore: number | null;
  familyRevoked: boolean;
}

export interface RevocationStore {
  /** Records a revocation. For `user` entries a later `notBefore` replaces an earlier one, never the reverse. */
  put(revocation: Revocation, options?: PutRevocationOptions): Promise<void>;
  /** The user's not-before (ms) and whether the family is revoked, both as of `now`. */
  check(userId: string, familyId: string, now: number): Promise<RevocationCheck>;
  /** Every unexpired revocation; used by jwt-push to (re)load its memory. */
  listActive(now: number): Promise<Revocation[]>;
}

export interface KeyStore {
  list(): Promise<StoredSigningKey[]>;
  /** Inserts a key; false if the kid exists. */
  create(key: StoredSigningKey): Promise<boolean>;
  /** Marks a key retiring until `retireAt`. */
  retire(kid: string, retireAt: number): Promise<void>;
  delete(kid: string): Promise<void>;
}

export interface CounterStore {
  /**
   * Adds one to the counter `key` in a fixed window of `windowMs` starting at its first hit.
   * Returns the count after the increment and when the window ends.
   */
  increment(key: string, windowMs: number, now: number): Promise<{ count: number; resetAt: number }>;
  /** The current count and window end, or count 0 if there is no live window. */
  get(key: string, now: number): Promise<{ count: number; resetAt: number }>;
  /**
   * Takes back one hit counted by `increment` in the window ending at `resetAt` (a login attempt
   * counted before its password was checked, which turned out right). Nothing if that window has
   * ended or been replaced, or the count is already 0: a hit is never taken from another window.
   */
  release(key: string, resetAt: number): Promise<void>;
  reset(key: string): Promise<void>;
}

export interface SecretStore {
  /**
   * Returns the value stored under `name`, first storing `candidate` if there is none.
   * Of concurrent callers (across instances), all receive the same value.
   */
  getOrCreate(name: string, candidate: string): Promise<string>;
}

/** A message published on the revocation feed. */
export type FeedMessage = Revocation;

export interface Feed {
  publish(message: FeedMessage): Promise<void>;
  /** Subscribes; the handler sees every message published after the subscription is live. */
  subscribe(handler: (message: FeedMessage) => void, onStatus?: (status: 'up' | 'down') => void): Promise<() => Promise<void>>;
}

/** A complete storage backend. */
export interface Store {
  /** Short name for reports: `memory`, `sqlite`, `redis`, `postgres`. */
  readonly kind: string;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly refresh: RefreshStore;
  readonly revocations: RevocationStore;
  readonly keys: KeyStore;
  readonly counters: CounterStore;
  readonly secrets: SecretStore;
  /** Publish/subscribe for the jwt-push feed: in-process for memory; a polled log table for SQLite (every process on the file). */
  readonly feed: Feed;
  /** Throws StoreError when the backend does not answer. */
  ping(): Promise<void>;
  /** Deletes expired rows, at most `limit`; returns how many. Idempotent. */
  sweep(now: number, limit?: number): Promise<number>;
  close(): Promise<void>;
}
