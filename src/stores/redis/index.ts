/** The Redis store (`tessera/stores/redis`). */
export { createRedisStore, type RedisStoreOptions } from './create-redis-store.js';
