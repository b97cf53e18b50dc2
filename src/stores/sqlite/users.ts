import type Database from 'better-sqlite3';
import type { UserStore } from '../types.js';
import { toFlag, toUser, USER_COLUMNS, type UserRow } from './rows.js';
import type { Run } from './run.js';

/** The SQLite user store; statements are prepared here, once. */
export function createSqliteUserStore(db: Database.Database, run: Run): UserStore {
  // ON CONFLICT DO NOTHING (not INSERT OR IGNORE) so only uniqueness conflicts are ignored.
  const insert = db.prepare<[string, string, string, string, number, number]>(
    `INSERT INTO users (${USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  const selectById = db.prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`);
  const selectByEmail = db.prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE email = ?`);
  const selectPage = db.prepare<[number, number], UserRow>(
    `SELECT ${USER_COLUMNS} FROM users ORDER BY created_at, id LIMIT ? OFFSET ?`,
  );
  const update = db.prepare<[string | null, number | null, string | null, string], UserRow>(
    `UPDATE users SET roles = coalesce(?, roles), disabled = coalesce(?, disabled), password_hash = coalesce(?, password_hash)
     WHERE id = ? RETURNING ${USER_COLUMNS}`,
  );

  return {
    create: (user) =>
      run('users.create', () =>
        insert.run(user.id, user.email, user.passwordHash, JSON.stringify(user.roles), toFlag(user.disabled), user.createdAt).changes === 1,
      ),

    getById: (id) =>
      run('users.getById', () => {
        const row = selectById.get(id);
        return row === undefined ? null : toUser(row);
      }),

    getByEmail: (email) =>
      run('users.getByEmail', () => {
        const row = selectByEmail.get(email);
        return row === undefined ? null : toUser(row);
      }),

    // A negative LIMIT means "no limit" to SQLite; clamp so it means "nothing", as in every store.
    list: ({ limit, offset = 0 }) =>
      run('users.list', () => selectPage.all(Math.max(0, limit), Math.max(0, offset)).map(toUser)),

    update: (id, patch) =>
      run('users.update', () => {
        const row = update.get(
          patch.roles === undefined ? null : JSON.stringify(patch.roles),
          patch.disabled === undefined ? null : toFlag(patch.disabled),
          patch.passwordHash ?? null,
          id,
        );
        return row === undefined ? null : toUser(row);
      }),
  };
}
