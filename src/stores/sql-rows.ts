import type { Revocation, SessionWithUser, StoredRefreshFamily, StoredSession, StoredSigningKey, StoredUser } from './types.js';

// The row shapes and mappers the two SQL stores (SQLite, PostgreSQL) share: the same tables and
// columns, with epoch-millisecond integers as numbers in both. Only the `users` row differs (how
// roles and the disabled flag are stored), so each store keeps its own `UserRow` and `toUser`.

/** A `users` row with the store's own representation of roles and the disabled flag. */
export interface UserRowOf<Roles, Disabled> {
  id: string;
  email: string;
  password_hash: string;
  roles: Roles;
  disabled: Disabled;
  created_at: number;
}

/** Maps a users row, given how the store decodes its roles and disabled flag. */
export function userFromRow<Roles, Disabled>(
  row: UserRowOf<Roles, Disabled>,
  decode: { roles(value: Roles): string[]; disabled(value: Disabled): boolean },
): StoredUser {
  return {
    id: row.id,
    email: row.email,
    passwordHash: row.password_hash,
    roles: decode.roles(row.roles),
    disabled: decode.disabled(row.disabled),
    createdAt: row.created_at,
  };
}

/** A `sessions` row. */
export interface SessionRow {
  token_hash: string;
  id: string;
  user_id: string;
  created_at: number;
  last_seen_at: number;
  idle_expires_at: number;
  absolute_expires_at: number;
  user_agent: string | null;
  ip: string | null;
}

/** A `refresh_families` row. */
export interface FamilyRow {
  id: string;
  user_id: string;
  current_hash: string;
  previous_hash: string | null;
  rotated_at: number | null;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  user_agent: string | null;
  ip: string | null;
}

/** A `revocations` row. */
export interface RevocationRow {
  key: string;
  kind: string;
  user_id: string;
  family_id: string | null;
  not_before: number | null;
  expires_at: number;
  created_at: number;
}

/** A `signing_keys` row. */
export interface KeyRow {
  kid: string;
  alg: string;
  private_jwk: string;
  public_jwk: string;
  state: string;
  created_at: number;
  retire_at: number | null;
}

/** Column lists in row order, shared by INSERTs, SELECTs and RETURNING clauses. */
export const USER_COLUMNS = 'id, email, password_hash, roles, disabled, created_at';
export const SESSION_COLUMNS = 'token_hash, id, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at, user_agent, ip';
export const FAMILY_COLUMNS = 'id, user_id, current_hash, previous_hash, rotated_at, created_at, last_seen_at, expires_at, user_agent, ip';
export const REVOCATION_COLUMNS = 'key, kind, user_id, family_id, not_before, expires_at, created_at';
export const KEY_COLUMNS = 'kid, alg, private_jwk, public_jwk, state, created_at, retire_at';

/** Maps a sessions row. */
export function toSession(row: SessionRow): StoredSession {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    userId: row.user_id,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    idleExpiresAt: row.idle_expires_at,
    absoluteExpiresAt: row.absolute_expires_at,
    userAgent: row.user_agent,
    ip: row.ip,
  };
}

/**
 * What `getWithUser` selects, in this order: the session's columns, then its user's (the user's id
 * is the session's `user_id`, the join key). Never the password hash, the token hash or the client
 * details: this runs on every request of the session posture.
 */
export const ACTIVE_SESSION_COLUMNS =
  's.id, s.user_id, s.created_at, s.last_seen_at, s.idle_expires_at, s.absolute_expires_at, u.email, u.roles, u.disabled, u.created_at';

/** A `getWithUser` row as an array in `ACTIVE_SESSION_COLUMNS` order, roles and flag as the store keeps them. */
export type ActiveSessionTuple<Roles, Disabled> = [string, string, number, number, number, number, string, Roles, Disabled, number];

/** Maps a `getWithUser` row (extra trailing columns are ignored), given how the store decodes roles and the flag. */
export function toSessionWithUser<Roles, Disabled>(
  row: readonly [...ActiveSessionTuple<Roles, Disabled>, ...unknown[]],
  decode: { roles(value: Roles): string[]; disabled(value: Disabled): boolean },
): SessionWithUser {
  const [id, userId, createdAt, lastSeenAt, idleExpiresAt, absoluteExpiresAt, email, roles, disabled, userCreatedAt] = row;
  return {
    session: { id, userId, createdAt, lastSeenAt, idleExpiresAt, absoluteExpiresAt },
    user: { id: userId, email, roles: decode.roles(roles), disabled: decode.disabled(disabled), createdAt: userCreatedAt },
  };
}

/** Maps a refresh_families row. */
export function toFamily(row: FamilyRow): StoredRefreshFamily {
  return {
    id: row.id,
    userId: row.user_id,
    currentHash: row.current_hash,
    previousHash: row.previous_hash,
    rotatedAt: row.rotated_at,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
    userAgent: row.user_agent,
    ip: row.ip,
  };
}

/** Maps a revocations row; throws on a row that matches neither kind. */
export function toRevocation(row: RevocationRow): Revocation {
  if (row.kind === 'user' && row.not_before !== null) {
    return { kind: 'user', userId: row.user_id, notBefore: row.not_before, expiresAt: row.expires_at, createdAt: row.created_at };
  }
  if (row.kind === 'family' && row.family_id !== null) {
    return { kind: 'family', familyId: row.family_id, userId: row.user_id, expiresAt: row.expires_at, createdAt: row.created_at };
  }
  throw new Error('corrupt revocation row');
}

/** Maps a signing_keys row; throws on an unknown state. */
export function toKey(row: KeyRow): StoredSigningKey {
  if (row.state !== 'active' && row.state !== 'retiring') throw new Error('corrupt signing key row');
  return {
    kid: row.kid,
    alg: row.alg,
    privateJwk: row.private_jwk,
    publicJwk: row.public_jwk,
    state: row.state,
    createdAt: row.created_at,
    retireAt: row.retire_at,
  };
}
