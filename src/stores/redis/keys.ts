import type { KeyStore } from '../types.js';
import { defineScript, type RedisContext } from './context.js';
import { decodeSigningKey, encodeSigningKey, isEmpty } from './records.js';
import { compareText } from '../common.js';

/** KEYS[1] the kid set, KEYS[2] the key hash; ARGV[1] kid, ARGV[2..] fields. Returns 1, or 0 if the kid exists. */
const CREATE_KEY = defineScript(`
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], unpack(ARGV, 2))
return 1
`);

/** KEYS[1] the key hash; ARGV[1] retireAt. Marks an existing key retiring. */
const RETIRE_KEY = defineScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'state', 'retiring', 'retireAt', ARGV[1])
return 1
`);

/** KEYS[1] the kid set, KEYS[2] the key hash; ARGV[1] kid. */
const DELETE_KEY = defineScript(`
redis.call('SREM', KEYS[1], ARGV[1])
return redis.call('DEL', KEYS[2])
`);

/**
 * The Redis signing-key store: a hash per kid (`P{signing-keys}:key:<kid>`) and the set of kids
 * (`P{signing-keys}:kids`). The shared hash tag puts them all on one slot, so create and delete
 * change the set and the hash in one script. Keys never expire by themselves: retiring and
 * deleting them is the key manager's decision.
 */
export function createRedisKeyStore(context: RedisContext): KeyStore {
  const { client, keys, run, evaluate } = context;

  return {
    list: () =>
      run('keys.list', async () => {
        const kids = await client.smembers(keys.signingKids);
        const hashes = await Promise.all(kids.map((kid) => client.hgetall(keys.signingKey(kid))));
        return hashes
          .filter((hash) => !isEmpty(hash))
          .map(decodeSigningKey)
          .sort((a, b) => a.createdAt - b.createdAt || compareText(a.kid, b.kid));
      }),

    create: (key) =>
      run('keys.create', async () =>
        (await evaluate(CREATE_KEY, [keys.signingKids, keys.signingKey(key.kid)], [key.kid, ...encodeSigningKey(key)])) === 1,
      ),

    retire: (kid, retireAt) =>
      run('keys.retire', async () => {
        await evaluate(RETIRE_KEY, [keys.signingKey(kid)], [retireAt]);
      }),

    delete: (kid) =>
      run('keys.delete', async () => {
        await evaluate(DELETE_KEY, [keys.signingKids, keys.signingKey(kid)], [kid]);
      }),
  };
}
