/** The memory store (`tessera/stores/memory`). */
export { createMemoryStore } from './create-memory-store.js';
