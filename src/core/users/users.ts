import { randomUUID } from 'node:crypto';
import type { ActiveUser, StoredUser } from '../../stores/types.js';
import type { AdminUser, PublicUser } from '../types.js';

/** A role name: lower-case letters, digits, `_`, `-`, `:`; starts with a letter. */
export const ROLE_SHAPE = /^[a-z][a-z0-9_:-]{0,63}$/;
/** The most roles one user may hold. */
export const MAX_ROLES = 32;

/** The public view of a stored user. */
export function toPublicUser(user: Pick<StoredUser, 'id' | 'email' | 'roles'>): PublicUser {
  return { id: user.id, email: user.email, roles: [...user.roles] };
}

/** The admin view of a stored user. */
export function toAdminUser(user: ActiveUser): AdminUser {
  return { ...toPublicUser(user), disabled: user.disabled };
}

/** A new stored user record with an opaque id. */
export function newUserRecord(email: string, passwordHash: string, roles: string[], now: number): StoredUser {
  return { id: randomUUID(), email, passwordHash, roles: normalizeRoles(roles), disabled: false, createdAt: now };
}

/** Sorted, de-duplicated roles. */
export function normalizeRoles(roles: readonly string[]): string[] {
  return [...new Set(roles)].sort();
}
