import type { SecretStore } from '../types.js';
import type { MemoryContext } from './context.js';

/** The memory secret store: first value wins. */
export function createMemorySecretStore(context: MemoryContext): SecretStore {
  const { state } = context;

  return {
    async getOrCreate(name, candidate) {
      context.assertOpen();
      const existing = state.secrets.get(name);
      if (existing !== undefined) return existing;
      state.secrets.set(name, candidate);
      context.wrote();
      return candidate;
    },
  };
}
