import type { KeyStore, StoredSigningKey } from '../types.js';
import type { MemoryContext } from './context.js';
import { compareText } from '../common.js';

/** The memory key store: signing keys by kid. */
export function createMemoryKeyStore(context: MemoryContext): KeyStore {
  const { state } = context;

  return {
    async list() {
      context.assertOpen();
      return [...state.keys.values()].sort(byCreation).map((key) => ({ ...key }));
    },

    async create(key) {
      context.assertOpen();
      if (state.keys.has(key.kid)) return false;
      state.keys.set(key.kid, { ...key });
      context.wrote();
      return true;
    },

    async retire(kid, retireAt) {
      context.assertOpen();
      const key = state.keys.get(kid);
      if (key === undefined) return;
      state.keys.set(kid, { ...key, state: 'retiring', retireAt });
      context.wrote();
    },

    async delete(kid) {
      context.assertOpen();
      if (state.keys.delete(kid)) context.wrote();
    },
  };
}

function byCreation(a: StoredSigningKey, b: StoredSigningKey): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return compareText(a.kid, b.kid);
}
