import type { SecretStore } from '../types.js';
import { defineScript, type RedisContext } from './context.js';

/** SET NX then GET, in one script: KEYS[1] the secret, ARGV[1] the candidate. Returns the stored value. */
const GET_OR_CREATE_SECRET = defineScript(`
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
`);

/** The Redis secret store (`P secret:<name>`): the first value stored under a name wins, across instances. */
export function createRedisSecretStore(context: RedisContext): SecretStore {
  const { keys, run, evaluate } = context;

  return {
    getOrCreate: (name, candidate) =>
      run('secrets.getOrCreate', async () => {
        const value = await evaluate(GET_OR_CREATE_SECRET, [keys.secret(name)], [candidate]);
        if (typeof value !== 'string') throw new TypeError('unexpected reply');
        return value;
      }),
  };
}
