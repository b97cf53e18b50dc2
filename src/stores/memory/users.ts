import type { StoredUser, UserStore } from '../types.js';
import type { MemoryContext } from './context.js';
import { copyUser } from './state.js';
import { compareText } from '../common.js';

/** The memory user store: users by id plus a unique email index. */
export function createMemoryUserStore(context: MemoryContext): UserStore {
  const { state } = context;

  return {
    async create(user) {
      context.assertOpen();
      if (state.userIdByEmail.has(user.email) || state.users.has(user.id)) return false;
      state.users.set(user.id, copyUser(user));
      state.userIdByEmail.set(user.email, user.id);
      context.wrote();
      return true;
    },

    async getById(id) {
      context.assertOpen();
      const user = state.users.get(id);
      return user === undefined ? null : copyUser(user);
    },

    async getByEmail(email) {
      context.assertOpen();
      const id = state.userIdByEmail.get(email);
      const user = id === undefined ? undefined : state.users.get(id);
      return user === undefined ? null : copyUser(user);
    },

    async list({ limit, offset = 0 }) {
      context.assertOpen();
      const start = Math.max(0, offset);
      const sorted = [...state.users.values()].sort(byCreation);
      return sorted.slice(start, start + Math.max(0, limit)).map(copyUser);
    },

    async update(id, patch) {
      context.assertOpen();
      const user = state.users.get(id);
      if (user === undefined) return null;
      const updated: StoredUser = {
        ...user,
        roles: patch.roles === undefined ? user.roles : [...patch.roles],
        disabled: patch.disabled ?? user.disabled,
        passwordHash: patch.passwordHash ?? user.passwordHash,
      };
      state.users.set(id, updated);
      context.wrote();
      return copyUser(updated);
    },
  };
}

function byCreation(a: StoredUser, b: StoredUser): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return compareText(a.id, b.id);
}
