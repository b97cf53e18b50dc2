import type { UserStore } from '../types.js';
import { defineScript, type RedisContext } from './context.js';
import { decodeUser, encodeUser, encodeUserPatch, isEmpty, toHash } from './records.js';
import { COMPARE_AND_DELETE, CREATE_HASH_IF_ABSENT } from './scripts.js';

/** Applies HSET ARGV to KEYS[1] if the user exists; returns the user's HGETALL, or nil. */
const UPDATE_USER = defineScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if #ARGV > 0 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return redis.call('HGETALL', KEYS[1])
`);

/** Re-points KEYS[1] from ARGV[1] to ARGV[2] if it still holds ARGV[1]. Returns 1 or 0. */
const COMPARE_AND_SET = defineScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`);

/**
 * The Redis user store: a hash per user (`P{u:<id>}:user`), a unique email index
 * (`P email:<email>` → id, claimed with SET NX) and a sorted set of ids by `createdAt` for listing.
 * The three keys live on different Cluster slots, so `create` is a sequence rather than one script:
 * the user hash first (only if the id is free), then the email claim, which decides the race between
 * concurrent creates with one email (exactly one SET NX succeeds), then the listing entry. A loser,
 * or a create that fails half-way, removes what it wrote.
 *
 * Because the hash is written before the claim and users are never deleted, an email claimed by an
 * id that has no user can only be left over from a failed create whose clean-up failed too; the
 * next create with that email takes the claim over (compare-and-set, so of several only one does).
 * A listing entry whose user is missing has the same origin and is skipped.
 */
export function createRedisUserStore(context: RedisContext): UserStore {
  const { client, keys, run, evaluate } = context;

  /** Claims an email whose current holder has no user record (see above); true if this call did. */
  async function takeOverOrphanedClaim(emailKey: string, id: string): Promise<boolean> {
    const holder = await client.get(emailKey);
    if (holder === null || (await client.exists(keys.user(holder))) === 1) return false;
    return (await evaluate(COMPARE_AND_SET, [emailKey], [holder, id])) === 1;
  }

  return {
    create: (user) =>
      run('users.create', async () => {
        const userKey = keys.user(user.id);
        const emailKey = keys.userEmail(user.email);
        if ((await evaluate(CREATE_HASH_IF_ABSENT, [userKey], ['0', ...encodeUser(user)])) !== 1) return false;
        try {
          if ((await client.set(emailKey, user.id, 'NX')) === null && !(await takeOverOrphanedClaim(emailKey, user.id))) {
            await client.del(userKey);
            return false;
          }
          await client.zadd(keys.usersByCreation, user.createdAt, user.id);
          return true;
        } catch (error) {
          // Best effort: the caller is told the create failed, so it must not half-exist.
          await Promise.all([evaluate(COMPARE_AND_DELETE, [emailKey], [user.id]), client.del(userKey)]).catch(() => undefined);
          throw error;
        }
      }),

    getById: (id) =>
      run('users.getById', async () => {
        const hash = await client.hgetall(keys.user(id));
        return isEmpty(hash) ? null : decodeUser(hash);
      }),

    getByEmail: (email) =>
      run('users.getByEmail', async () => {
        const id = await client.get(keys.userEmail(email));
        if (id === null) return null;
        const hash = await client.hgetall(keys.user(id));
        if (isEmpty(hash)) return null;
        const user = decodeUser(hash);
        return user.email === email ? user : null;
      }),

    list: ({ limit, offset = 0 }) =>
      run('users.list', async () => {
        const count = Math.floor(limit);
        if (!(count > 0)) return [];
        const start = Math.max(0, Math.floor(offset));
        // Equal scores order by member, byte-wise: createdAt, then id, as in the SQL stores.
        const ids = await client.zrange(keys.usersByCreation, start, Number.isFinite(count) ? start + count - 1 : -1);
        const hashes = await Promise.all(ids.map((id) => client.hgetall(keys.user(id))));
        return hashes.filter((hash) => !isEmpty(hash)).map(decodeUser);
      }, { bulk: true }),

    update: (id, patch) =>
      run('users.update', async () => {
        const reply = await evaluate(UPDATE_USER, [keys.user(id)], encodeUserPatch(patch));
        return reply === null ? null : decodeUser(toHash(reply));
      }),
  };
}
