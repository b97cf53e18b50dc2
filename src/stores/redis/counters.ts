import type { CounterStore } from '../types.js';
import { defineScript, ttlMs, type RedisContext } from './context.js';
import { parseTime } from './records.js';
import { COUNTER_SLACK_MS } from './scripts.js';

/**
 * Counts one hit in a fixed window. KEYS[1] the counter; ARGV now, the window end if one starts
 * now, its TTL in ms. A missing or ended window restarts at 1 (HSET + PEXPIRE); a live one counts up
 * (HINCRBY, the hash form of INCR). Returns {count, window end}.
 */
const INCREMENT_COUNTER = defineScript(`
local resetAt = redis.call('HGET', KEYS[1], 'resetAt')
if not resetAt or (tonumber(resetAt) or 0) <= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'count', 1, 'resetAt', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {1, ARGV[2]}
end
return {redis.call('HINCRBY', KEYS[1], 'count', 1), resetAt}
`);

/**
 * Takes back one hit. KEYS[1] the counter; ARGV the end of the window the hit was counted in.
 * Only that window, and never below 0; the TTL is left as it is.
 */
const RELEASE_COUNTER = defineScript(`
local resetAt = redis.call('HGET', KEYS[1], 'resetAt')
if resetAt and tonumber(resetAt) == tonumber(ARGV[1]) and (tonumber(redis.call('HGET', KEYS[1], 'count')) or 0) > 0 then
  redis.call('HINCRBY', KEYS[1], 'count', -1)
end
return 0
`);

/**
 * The Redis counter store: one hash per counter (`P counter:<key>`) holding the count and the
 * window end. The window end is stored, not derived from PTTL, because the caller's `now` (an
 * injected clock) need not be the server's time; the native TTL only collects ended windows.
 */
export function createRedisCounterStore(context: RedisContext): CounterStore {
  const { client, keys, run, evaluate } = context;

  return {
    increment: (key, windowMs, now) =>
      run('counters.increment', async () => {
        const resetAt = now + windowMs;
        const reply = await evaluate(INCREMENT_COUNTER, [keys.counter(key)], [now, resetAt, ttlMs(resetAt, now, COUNTER_SLACK_MS)]);
        const [count, end] = Array.isArray(reply) ? (reply as unknown[]) : [];
        if (typeof count !== 'number') throw new TypeError('unexpected reply');
        return { count, resetAt: parseTime(end, 'counter') };
      }),

    get: (key, now) =>
      run('counters.get', async () => {
        const [count, resetAt] = await client.hmget(keys.counter(key), 'count', 'resetAt');
        if (count == null || resetAt == null) return { count: 0, resetAt: now };
        const end = parseTime(resetAt, 'counter');
        return end > now ? { count: parseTime(count, 'counter'), resetAt: end } : { count: 0, resetAt: now };
      }),

    release: (key, resetAt) =>
      run('counters.release', async () => {
        await evaluate(RELEASE_COUNTER, [keys.counter(key)], [resetAt]);
      }),

    reset: (key) =>
      run('counters.reset', async () => {
        await client.del(keys.counter(key));
      }),
  };
}
