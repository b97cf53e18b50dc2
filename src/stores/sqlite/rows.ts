import type { StoredUser } from '../types.js';
import { userFromRow, type UserRowOf } from '../sql-rows.js';

export * from '../sql-rows.js';

/** A `users` row: roles as a JSON array, the disabled flag as 0 or 1. */
export type UserRow = UserRowOf<string, number>;

/** How this store keeps roles (a JSON array) and the disabled flag (0 or 1). */
export const USER_DECODE = { roles: parseRoles, disabled: (disabled: number): boolean => disabled !== 0 };

/** Maps a users row; throws if the roles column is not a JSON array of strings. */
export function toUser(row: UserRow): StoredUser {
  return userFromRow(row, USER_DECODE);
}

/** SQLite has no boolean; 0 and 1 it is. */
export function toFlag(value: boolean): number {
  return value ? 1 : 0;
}

function parseRoles(text: string): string[] {
  const roles: unknown = JSON.parse(text);
  if (!Array.isArray(roles) || !roles.every((role): role is string => typeof role === 'string')) {
    throw new Error('corrupt roles column');
  }
  return roles;
}
