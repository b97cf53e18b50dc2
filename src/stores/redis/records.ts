import type { ActiveSession, ActiveUser, Revocation, StoredRefreshFamily, StoredSession, StoredSigningKey, StoredUser } from '../types.js';
import { CorruptRecordError } from './context.js';

/**
 * How records are laid out in Redis hashes: one field per property, numbers in decimal, booleans
 * as `1`/`0`, roles as a JSON array, and a null property as an absent field. Encoders return the
 * flat field/value list HSET takes; decoders take what HGETALL returns (an object, or the flat
 * array a script returns) and throw CorruptRecordError for a hash this store did not write.
 */
export type Hash = Record<string, string>;

/** HSET arguments: field, value, field, value, … */
export type Fields = string[];

/** Turns the flat `[field, value, …]` array of a script's HGETALL into an object. */
export function toHash(reply: unknown): Hash {
  if (!Array.isArray(reply)) throw new CorruptRecordError('reply');
  const hash: Hash = {};
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const field: unknown = reply[i];
    const value: unknown = reply[i + 1];
    if (typeof field !== 'string' || typeof value !== 'string') throw new CorruptRecordError('reply');
    hash[field] = value;
  }
  return hash;
}

/**
 * Turns HMGET's values into a hash of the fields present. An absent field is null as ioredis answers
 * it, or `false` as a script's JSON reply carries it (Lua's nil inside a table).
 */
export function fromValues(fields: readonly string[], reply: unknown): Hash {
  if (!Array.isArray(reply) || reply.length !== fields.length) throw new CorruptRecordError('reply');
  const hash: Hash = {};
  for (let i = 0; i < fields.length; i += 1) {
    const value: unknown = reply[i];
    if (value === null || value === undefined || value === false) continue;
    if (typeof value !== 'string') throw new CorruptRecordError('reply');
    hash[fields[i]!] = value;
  }
  return hash;
}

/** True when HGETALL found nothing. */
export function isEmpty(hash: Hash): boolean {
  return Object.keys(hash).length === 0;
}

export function encodeUser(user: StoredUser): Fields {
  return [
    'id', user.id,
    'email', user.email,
    'passwordHash', user.passwordHash,
    'roles', JSON.stringify(user.roles),
    'disabled', user.disabled ? '1' : '0',
    'createdAt', String(user.createdAt),
  ];
}

/** Fields of a user patch, in HSET form. */
export function encodeUserPatch(patch: Partial<Pick<StoredUser, 'roles' | 'disabled' | 'passwordHash'>>): Fields {
  const fields: Fields = [];
  if (patch.roles !== undefined) fields.push('roles', JSON.stringify(patch.roles));
  if (patch.disabled !== undefined) fields.push('disabled', patch.disabled ? '1' : '0');
  if (patch.passwordHash !== undefined) fields.push('passwordHash', patch.passwordHash);
  return fields;
}

/** The user fields authentication reads (`getWithUser`), in HMGET order: never the password hash. */
export const ACTIVE_USER_FIELDS = Object.freeze(['id', 'email', 'roles', 'disabled', 'createdAt'] as const);

export function decodeActiveUser(hash: Hash): ActiveUser {
  const what = 'user';
  return {
    id: text(hash, 'id', what),
    email: text(hash, 'email', what),
    roles: roles(hash, what),
    disabled: flag(hash, 'disabled', what),
    createdAt: time(hash, 'createdAt', what),
  };
}

export function decodeUser(hash: Hash): StoredUser {
  return { ...decodeActiveUser(hash), passwordHash: text(hash, 'passwordHash', 'user') };
}

export function encodeSession(session: StoredSession): Fields {
  return [
    'id', session.id,
    'tokenHash', session.tokenHash,
    'userId', session.userId,
    'createdAt', String(session.createdAt),
    'lastSeenAt', String(session.lastSeenAt),
    'idleExpiresAt', String(session.idleExpiresAt),
    'absoluteExpiresAt', String(session.absoluteExpiresAt),
    ...optional('userAgent', session.userAgent),
    ...optional('ip', session.ip),
  ];
}

/** The session fields authentication reads (`getWithUser`), in HMGET order. */
export const ACTIVE_SESSION_FIELDS = Object.freeze(['id', 'userId', 'createdAt', 'lastSeenAt', 'idleExpiresAt', 'absoluteExpiresAt'] as const);

export function decodeActiveSession(hash: Hash): ActiveSession {
  const what = 'session';
  return {
    id: text(hash, 'id', what),
    userId: text(hash, 'userId', what),
    createdAt: time(hash, 'createdAt', what),
    lastSeenAt: time(hash, 'lastSeenAt', what),
    idleExpiresAt: time(hash, 'idleExpiresAt', what),
    absoluteExpiresAt: time(hash, 'absoluteExpiresAt', what),
  };
}

export function decodeSession(hash: Hash): StoredSession {
  return { ...decodeActiveSession(hash), tokenHash: text(hash, 'tokenHash', 'session'), userAgent: hash.userAgent ?? null, ip: hash.ip ?? null };
}

export function encodeFamily(family: StoredRefreshFamily): Fields {
  return [
    'id', family.id,
    'userId', family.userId,
    'currentHash', family.currentHash,
    ...optional('previousHash', family.previousHash),
    ...optional('rotatedAt', family.rotatedAt === null ? null : String(family.rotatedAt)),
    'createdAt', String(family.createdAt),
    'lastSeenAt', String(family.lastSeenAt),
    'expiresAt', String(family.expiresAt),
    ...optional('userAgent', family.userAgent),
    ...optional('ip', family.ip),
  ];
}

export function decodeFamily(hash: Hash): StoredRefreshFamily {
  const what = 'refresh family';
  return {
    id: text(hash, 'id', what),
    userId: text(hash, 'userId', what),
    currentHash: text(hash, 'currentHash', what),
    previousHash: hash.previousHash ?? null,
    rotatedAt: hash.rotatedAt === undefined ? null : time(hash, 'rotatedAt', what),
    createdAt: time(hash, 'createdAt', what),
    lastSeenAt: time(hash, 'lastSeenAt', what),
    expiresAt: time(hash, 'expiresAt', what),
    userAgent: hash.userAgent ?? null,
    ip: hash.ip ?? null,
  };
}

/** Decodes a revocation hash; `kind` comes from the key it was read from. */
export function decodeRevocation(kind: Revocation['kind'], hash: Hash): Revocation {
  const what = 'revocation';
  const userId = text(hash, 'userId', what);
  const expiresAt = time(hash, 'expiresAt', what);
  const createdAt = time(hash, 'createdAt', what);
  return kind === 'user'
    ? { kind, userId, notBefore: time(hash, 'notBefore', what), expiresAt, createdAt }
    : { kind, familyId: text(hash, 'familyId', what), userId, expiresAt, createdAt };
}

export function encodeSigningKey(key: StoredSigningKey): Fields {
  return [
    'kid', key.kid,
    'alg', key.alg,
    'privateJwk', key.privateJwk,
    'publicJwk', key.publicJwk,
    'state', key.state,
    'createdAt', String(key.createdAt),
    ...optional('retireAt', key.retireAt === null ? null : String(key.retireAt)),
  ];
}

export function decodeSigningKey(hash: Hash): StoredSigningKey {
  const what = 'signing key';
  const state = text(hash, 'state', what);
  if (state !== 'active' && state !== 'retiring') throw new CorruptRecordError(what);
  return {
    kid: text(hash, 'kid', what),
    alg: text(hash, 'alg', what),
    privateJwk: text(hash, 'privateJwk', what),
    publicJwk: text(hash, 'publicJwk', what),
    state,
    createdAt: time(hash, 'createdAt', what),
    retireAt: hash.retireAt === undefined ? null : time(hash, 'retireAt', what),
  };
}

/** Parses a decimal number Redis returned; throws CorruptRecordError when it is not one. */
export function parseTime(value: unknown, what: string): number {
  const number = typeof value === 'string' && value !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(number)) throw new CorruptRecordError(what);
  return number;
}

function optional(field: string, value: string | null): Fields {
  return value === null ? [] : [field, value];
}

function text(hash: Hash, field: string, what: string): string {
  const value = hash[field];
  if (value === undefined) throw new CorruptRecordError(what);
  return value;
}

function time(hash: Hash, field: string, what: string): number {
  return parseTime(hash[field], what);
}

function flag(hash: Hash, field: string, what: string): boolean {
  const value = hash[field];
  if (value !== '0' && value !== '1') throw new CorruptRecordError(what);
  return value === '1';
}

function roles(hash: Hash, what: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text(hash, 'roles', what));
  } catch {
    throw new CorruptRecordError(what);
  }
  if (!Array.isArray(value) || !value.every((role): role is string => typeof role === 'string')) throw new CorruptRecordError(what);
  return value;
}
