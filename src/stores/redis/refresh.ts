import { StoreError } from '../../core/errors.js';
import type { RefreshStore, StoredRefreshFamily } from '../types.js';
import { defineScript, ttlMs, type RedisContext } from './context.js';
import { decodeFamily, encodeFamily, isEmpty, parseTime, toHash } from './records.js';
import { newestFirst } from '../common.js';
import { ADD_TO_USER_INDEX, COMPARE_AND_DELETE, CREATE_HASH_IF_ABSENT, EXPIRY_SLACK_MS, REMOVE_IF_DUE } from './scripts.js';

/**
 * Compare-and-swap of a family's current hash (RFC 9700 §4.14.2 refresh token rotation).
 * KEYS[1] the family; ARGV expectedHash, newHash, now. Only a live family whose current hash is
 * still the expected one rotates; the script runs alone, so of concurrent callers exactly one
 * does. Returns {HGETALL after, the previous hash it replaced or nil}; when it does not rotate,
 * the family's current hash, or nil if there is no live family.
 */
const ROTATE_FAMILY = defineScript(`
local v = redis.call('HMGET', KEYS[1], 'currentHash', 'expiresAt', 'previousHash')
if not v[1] or (tonumber(v[2]) or 0) <= tonumber(ARGV[3]) then return false end
if v[1] ~= ARGV[1] then return v[1] end
redis.call('HSET', KEYS[1], 'currentHash', ARGV[2], 'previousHash', ARGV[1], 'rotatedAt', ARGV[3], 'lastSeenAt', ARGV[3])
return {redis.call('HGETALL', KEYS[1]), v[3]}
`);

/**
 * Deletes a family. KEYS[1] the family; ARGV[1] `1` to delete only if its userId is ARGV[2].
 * Returns {userId, currentHash, previousHash or nil} of the deleted family, or nil.
 */
const DELETE_FAMILY = defineScript(`
local v = redis.call('HMGET', KEYS[1], 'userId', 'currentHash', 'previousHash')
if not v[1] then return false end
if ARGV[1] == '1' and v[1] ~= ARGV[2] then return false end
redis.call('DEL', KEYS[1])
return {v[1], v[2], v[3]}
`);

/**
 * One server (Sentinel included): deletes a family and what points at it in one script, one round
 * trip instead of two: its token-hash pointers that still name it (keys built from ARGV[3], which
 * Redis Cluster forbids: there, DELETE_FAMILY and then the pointers), its entries in the user's
 * index and in the sweep's. KEYS[1] the family, KEYS[2] the user's index, KEYS[3] the sweep's;
 * ARGV[1] the user id, ARGV[2] the family id, ARGV[3] the pointers' key prefix. Returns 1 when the
 * user's family was deleted, else 0 (and only the user's index entry goes, as it may be stale).
 */
const DELETE_FAMILY_AND_POINTERS = defineScript(`
local v = redis.call('HMGET', KEYS[1], 'userId', 'currentHash', 'previousHash')
if not v[1] or v[1] ~= ARGV[1] then
  redis.call('SREM', KEYS[2], ARGV[2])
  return 0
end
redis.call('DEL', KEYS[1])
for i = 2, 3 do
  if v[i] then
    local pointer = ARGV[3] .. v[i]
    if redis.call('GET', pointer) == ARGV[2] then redis.call('DEL', pointer) end
  end
end
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
return 1
`);

/**
 * Deletes a family if it has expired at ARGV[1] (now). KEYS[1] the family. Returns nil when it is
 * gone, {0, expiresAt} when it is live, else {1, expiresAt, userId, currentHash, previousHash or nil}.
 */
const SWEEP_FAMILY = defineScript(`
local v = redis.call('HMGET', KEYS[1], 'expiresAt', 'userId', 'currentHash', 'previousHash')
if not v[1] then return false end
if (tonumber(v[1]) or 0) > tonumber(ARGV[1]) then return {0, v[1]} end
redis.call('DEL', KEYS[1])
return {1, v[1], v[2], v[3], v[4]}
`);

/**
 * The Redis refresh store. A family is a hash keyed by its id (`P family:<id>`, native TTL);
 * `P refresh:<hash>` points from its current and previous token hashes to the id; the user's
 * `P{u:<id>}:families` set lists its ids; `P families:expiry` orders ids by expiry for the sweep.
 *
 * Pointers are hints: a lookup reads the family and checks that the hash is still its current or
 * previous one, so a stale pointer finds nothing. Writes keep the invariants that matter: a family
 * is findable by its new hash before `rotate` returns (the pointer is claimed before the swap), and
 * a family's user index entry exists before `create` returns (a family missing from its user's
 * index can only be one whose `create` failed, whose token was never handed out).
 */
export function createRedisRefreshStore(context: RedisContext): RefreshStore {
  const { client, keys, run, evaluate, isCluster } = context;

  async function readLive(id: string, now: number): Promise<StoredRefreshFamily | null> {
    const hash = await client.hgetall(keys.family(id));
    if (isEmpty(hash)) return null;
    const family = decodeFamily(hash);
    return family.expiresAt > now ? family : null;
  }

  /** Removes what points at a deleted family: its hash pointers, index entries. */
  async function forget(id: string, userId: string, hashes: Array<string | null | undefined>): Promise<void> {
    await Promise.all([
      ...hashes.filter((hash): hash is string => typeof hash === 'string').map((hash) => evaluate(COMPARE_AND_DELETE, [keys.familyByHash(hash)], [id])),
      client.srem(keys.userFamilies(userId), id),
      client.zrem(keys.familyExpiry, id),
    ]);
  }

  async function deleteFamily(id: string, userId: string): Promise<boolean> {
    if (!isCluster) {
      const keysOfFamily = [keys.family(id), keys.userFamilies(userId), keys.familyExpiry];
      return (await evaluate(DELETE_FAMILY_AND_POINTERS, keysOfFamily, [userId, id, keys.familyByHash('')])) === 1;
    }
    const reply = await evaluate(DELETE_FAMILY, [keys.family(id)], ['1', userId]);
    if (reply === null) {
      // Not (or no longer) this user's: at most a stale entry in the user's index.
      await client.srem(keys.userFamilies(userId), id);
      return false;
    }
    const [, currentHash, previousHash] = Array.isArray(reply) ? (reply as unknown[]) : [];
    await forget(id, userId, [asString(currentHash), asString(previousHash)]);
    return true;
  }

  return {
    create: (family) =>
      run('refresh.create', async () => {
        const key = keys.family(family.id);
        const ttl = ttlMs(family.expiresAt, family.lastSeenAt, EXPIRY_SLACK_MS);
        if ((await evaluate(CREATE_HASH_IF_ABSENT, [key], [ttl, ...encodeFamily(family)])) !== 1) {
          throw new StoreError('redis store: refresh.create failed (duplicate family)');
        }
        try {
          const [current] = await Promise.all([
            client.set(keys.familyByHash(family.currentHash), family.id, 'PX', ttl, 'NX'),
            family.previousHash === null ? undefined : client.set(keys.familyByHash(family.previousHash), family.id, 'PX', ttl, 'NX'),
            evaluate(ADD_TO_USER_INDEX, [keys.userFamilies(family.userId)], ['set', family.id, '', ttl]),
            client.zadd(keys.familyExpiry, family.expiresAt, family.id),
          ]);
          if (current === null) throw new StoreError('redis store: refresh.create failed (duplicate token hash)');
        } catch (error) {
          // The caller never hands out this token. Pointers are removed only where they name this family.
          await Promise.all([
            client.del(key),
            forget(family.id, family.userId, [family.currentHash, family.previousHash]),
          ]).catch(() => undefined);
          throw error;
        }
      }),

    findByTokenHash: (tokenHash, now) =>
      run('refresh.findByTokenHash', async () => {
        const id = await client.get(keys.familyByHash(tokenHash));
        const family = id === null ? null : await readLive(id, now);
        if (family === null) return null;
        if (family.currentHash === tokenHash) return { family, match: 'current' as const };
        if (family.previousHash === tokenHash) return { family, match: 'previous' as const };
        return null;
      }),

    rotate: (familyId, expectedHash, newHash, now) =>
      run('refresh.rotate', async () => {
        const key = keys.family(familyId);
        const expiresAt = await client.hget(key, 'expiresAt');
        if (expiresAt === null || parseTime(expiresAt, 'refresh family') <= now) return null;
        // Claim the new hash first, so the family is findable by it the moment the swap succeeds.
        const pointer = keys.familyByHash(newHash);
        const ttl = ttlMs(parseTime(expiresAt, 'refresh family'), now, EXPIRY_SLACK_MS);
        if ((await client.set(pointer, familyId, 'PX', ttl, 'NX')) === null && (await client.get(pointer)) !== familyId) {
          throw new StoreError('redis store: refresh.rotate failed (duplicate token hash)');
        }
        const reply = await evaluate(ROTATE_FAMILY, [key], [expectedHash, newHash, now]);
        if (!Array.isArray(reply)) {
          // Lost. Concurrent exchanges of one token share one successor: if the winner's new hash is
          // ours, the pointer is the winner's too and stays.
          if (reply !== newHash) await evaluate(COMPARE_AND_DELETE, [pointer], [familyId]);
          return null;
        }
        const [hash, replaced] = Array.isArray(reply) ? (reply as unknown[]) : [];
        // The hash before the previous one no longer finds the family: drop its pointer.
        const stale = asString(replaced);
        if (stale !== undefined && stale !== newHash) await evaluate(COMPARE_AND_DELETE, [keys.familyByHash(stale)], [familyId]);
        return decodeFamily(toHash(hash));
      }),

    getById: (id, now) => run('refresh.getById', () => readLive(id, now)),

    listByUser: (userId, now) =>
      run('refresh.listByUser', async () => {
        const ids = await client.smembers(keys.userFamilies(userId));
        const families = await Promise.all(ids.map((id) => readLive(id, now)));
        return families
          .filter((family): family is StoredRefreshFamily => family !== null && family.userId === userId)
          .sort(newestFirst);
      }, { bulk: true }),

    delete: (userId, id) => run('refresh.delete', () => deleteFamily(id, userId)),

    deleteAllForUser: (userId) =>
      run('refresh.deleteAllForUser', async () => {
        const ids = await client.smembers(keys.userFamilies(userId));
        const results = await Promise.all(ids.map((id) => deleteFamily(id, userId)));
        return results.filter(Boolean).length;
      }, { bulk: true }),
  };
}

/**
 * One sweep batch: at most `max` family ids whose expiry is at or before `now`. Expired families
 * are deleted with their pointers and index entries; ids whose record is gone are dropped.
 */
export async function sweepFamilies(context: RedisContext, now: number, max: number): Promise<{ processed: number; deleted: number }> {
  const { client, keys, evaluate } = context;
  const due = await client.zrangebyscore(keys.familyExpiry, '-inf', now, 'LIMIT', 0, max);
  if (due.length === 0) return { processed: 0, deleted: 0 };
  const results = await Promise.all(due.map((id) => evaluate(SWEEP_FAMILY, [keys.family(id)], [now])));
  const gone: string[] = [];
  const rescored: Array<string | number> = [];
  const cleanups: Array<Promise<unknown>> = [];
  let deleted = 0;
  results.forEach((result, i) => {
    const id = due[i] as string;
    const [flag, expiresAt, userId, currentHash, previousHash] = Array.isArray(result) ? (result as unknown[]) : [];
    if (flag === 0) {
      rescored.push(parseTime(expiresAt, 'refresh family'), id);
      return;
    }
    gone.push(id);
    if (flag !== 1) return;
    deleted += 1;
    for (const hash of [asString(currentHash), asString(previousHash)]) {
      if (hash !== undefined) cleanups.push(evaluate(COMPARE_AND_DELETE, [keys.familyByHash(hash)], [id]));
    }
    const owner = asString(userId);
    if (owner !== undefined) cleanups.push(client.srem(keys.userFamilies(owner), id));
  });
  await Promise.all([
    gone.length > 0 ? evaluate(REMOVE_IF_DUE, [keys.familyExpiry], [now, ...gone]) : undefined,
    rescored.length > 0 ? client.zadd(keys.familyExpiry, 'XX', ...rescored) : undefined,
    ...cleanups,
  ]);
  return { processed: due.length, deleted };
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
