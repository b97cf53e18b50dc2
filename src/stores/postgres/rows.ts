import type { StoredUser } from '../types.js';
import { userFromRow, type UserRowOf } from '../sql-rows.js';

export * from '../sql-rows.js';

// Row shapes as node-postgres returns them with this store's type parsers: `bigint` columns
// arrive as numbers (see `run.ts`), `text[]` as string arrays, `boolean` as booleans.

/** A `users` row. */
export type UserRow = UserRowOf<string[], boolean>;

/** How this store keeps roles (`text[]`) and the disabled flag (`boolean`). */
export const USER_DECODE = {
  roles(roles: string[]): string[] {
    if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) throw new Error('corrupt roles column');
    return [...roles];
  },
  disabled: (disabled: boolean): boolean => disabled,
};

/** Maps a users row; throws if the roles column is not an array of strings. */
export function toUser(row: UserRow): StoredUser {
  return userFromRow(row, USER_DECODE);
}
