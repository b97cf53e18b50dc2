import { defineScript } from './context.js';

/**
 * Scripts shared by several sub-stores. Each one touches only the keys it is given, all of which
 * hash to one slot, so each runs atomically on a single server and on Redis Cluster alike.
 * Numbers arrive as decimal strings and are stored as received; a script only compares them.
 */

/**
 * Native expiry is garbage collection, not correctness: every read compares the stored expiry with
 * the caller's `now`. Records therefore live this much longer in Redis than their expiry says, so
 * a clock that lags another instance's never sees a record (least of all a revocation) vanish
 * early, and the sweep still finds the record to clean its index entries.
 */
export const EXPIRY_SLACK_MS = 5 * 60_000;

/** Rate-limit windows are many and short: they linger only briefly past their end. */
export const COUNTER_SLACK_MS = 5_000;

/**
 * Writes a hash only if the key does not exist. KEYS[1] the record; ARGV[1] a TTL in ms (`0` for
 * none); ARGV[2..] field, value, … Returns 1 when written, 0 when the key existed.
 */
export const CREATE_HASH_IF_ABSENT = defineScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
if tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1
`);

/**
 * Adds to a per-user index and makes sure the index outlives its newest entry. KEYS[1] the index;
 * ARGV[1] `hash` (HSETNX field ARGV[2] = ARGV[3]) or `set` (SADD ARGV[2]); ARGV[4] a TTL in ms
 * that only ever extends the current one. Returns 1 when added, 0 when the field/member existed.
 */
export const ADD_TO_USER_INDEX = defineScript(`
local added
if ARGV[1] == 'hash' then
  added = redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[3])
else
  added = redis.call('SADD', KEYS[1], ARGV[2])
end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return added
`);

/** Deletes KEYS[1] only if it still holds ARGV[1] (a pointer someone else may have re-pointed). Returns 1 or 0. */
export const COMPARE_AND_DELETE = defineScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/**
 * Removes members of the sorted set KEYS[1] whose score is still at or before ARGV[1] (now):
 * a member re-added meanwhile with a later expiry stays. ARGV[2..] the members. Returns how many went.
 */
export const REMOVE_IF_DUE = defineScript(`
local now = tonumber(ARGV[1])
local removed = 0
for i = 2, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) <= now then removed = removed + redis.call('ZREM', KEYS[1], ARGV[i]) end
end
return removed
`);
