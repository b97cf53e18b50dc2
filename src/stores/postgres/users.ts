import type { UserStore } from '../types.js';
import { toUser, USER_COLUMNS } from './rows.js';
import { affected, all, one, statement, type Run } from './run.js';

/** The PostgreSQL user store; statement texts are built here, once. */
export function createPostgresUserStore(schema: string, run: Run): UserStore {
  // Atomic on the unique email (and id): of concurrent creates, exactly one inserts a row.
  const insert = statement(`INSERT INTO ${schema}.users (${USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`);
  const selectById = statement(`SELECT ${USER_COLUMNS} FROM ${schema}.users WHERE id = $1`);
  const selectByEmail = statement(`SELECT ${USER_COLUMNS} FROM ${schema}.users WHERE email = $1`);
  const selectPage = statement(`SELECT ${USER_COLUMNS} FROM ${schema}.users ORDER BY created_at, id LIMIT $1 OFFSET $2`);
  const update = statement(
    `UPDATE ${schema}.users
     SET roles = coalesce($1::text[], roles), disabled = coalesce($2::boolean, disabled), password_hash = coalesce($3::text, password_hash)
     WHERE id = $4
     RETURNING ${USER_COLUMNS}`,
  );

  return {
    create: (user) =>
      run('users.create', insert, [user.id, user.email, user.passwordHash, user.roles, user.disabled, user.createdAt], (result) => affected(result) === 1),

    getById: (id) => run('users.getById', selectById, [id], one(toUser)),

    getByEmail: (email) => run('users.getByEmail', selectByEmail, [email], one(toUser)),

    // LIMIT and OFFSET take non-negative integers; clamp so a negative limit means "nothing", as in every store.
    list: ({ limit, offset = 0 }) => run('users.list', selectPage, [count(limit), count(offset)], all(toUser)),

    update: (id, patch) =>
      run('users.update', update, [patch.roles ?? null, patch.disabled ?? null, patch.passwordHash ?? null, id], one(toUser)),
  };
}

/** A non-negative integer for LIMIT or OFFSET: NaN and negatives become 0, fractions are floored. */
function count(value: number): number {
  if (Number.isNaN(value) || value <= 0) return 0;
  return Math.min(Math.floor(value), Number.MAX_SAFE_INTEGER);
}
