import { StoreError } from '../../core/errors.js';
import type { ActiveSession, SessionStore, SessionWithUser } from '../types.js';
import { CorruptRecordError, decoding, defineScript, jsonArrayReply, ttlMs, type RedisContext } from './context.js';
import {
  ACTIVE_SESSION_FIELDS,
  ACTIVE_USER_FIELDS,
  decodeActiveSession,
  decodeActiveUser,
  decodeSession,
  encodeSession,
  fromValues,
  isEmpty,
  parseTime,
  type Hash,
} from './records.js';
import { isSessionLive, newestFirst } from '../common.js';
import { createBatcher } from '../batch.js';
import { ADD_TO_USER_INDEX, CREATE_HASH_IF_ABSENT, EXPIRY_SLACK_MS, REMOVE_IF_DUE } from './scripts.js';

const HMGET_SESSION = ACTIVE_SESSION_FIELDS.map((field) => `'${field}'`).join(', ');
const HMGET_USER = ACTIVE_USER_FIELDS.map((field) => `'${field}'`).join(', ');

/**
 * The sessions of one event-loop turn and their users in one round trip, for a single server or
 * Sentinel only: the script builds each user's key from the session's `userId` (ARGV[1] .. userId ..
 * ARGV[2]), a key it was not given, which Redis Cluster forbids. KEYS the sessions, one per lookup
 * (a key may repeat). Returns one JSON string, an array with one entry per key: `false` for a session
 * that does not exist, else `[session values, user values]`, the HMGETs of the fields authentication
 * needs (`ACTIVE_*_FIELDS`: no password hash), `false` for an absent field, and `{}` for the user of a
 * session without a userId.
 *
 * One script for the turn instead of one per lookup: an EVALSHA costs Redis several µs beyond the
 * reads it runs, and ioredis about as much per command, on the cores the server shares
 * (docs/benchmarks.md, tenth round). One bulk string instead of nested replies: ioredis parses a
 * reply a value at a time (eighth round). A turn holds at most `MAX_BATCH_KEYS` lookups, so the
 * script's time on the server stays bounded (two HMGETs each).
 */
const GET_SESSIONS_WITH_USERS = defineScript(`
local found = {}
for i = 1, #KEYS do
  local session = redis.call('HMGET', KEYS[i], ${HMGET_SESSION})
  if session[2] then
    found[i] = {session, redis.call('HMGET', ARGV[1] .. session[2] .. ARGV[2], ${HMGET_USER})}
  elseif session[1] then
    found[i] = {session, {}}
  else
    found[i] = false
  end
end
return cjson.encode(found)
`);

/**
 * Slides a live session. KEYS[1] the session; ARGV lastSeenAt, idleExpiresAt, slack ms. A session
 * already expired at lastSeenAt (or gone) is left alone, so touching never revives one.
 */
const TOUCH_SESSION = defineScript(`
local v = redis.call('HMGET', KEYS[1], 'idleExpiresAt', 'absoluteExpiresAt')
local last = tonumber(ARGV[1])
if not v[1] or not v[2] or tonumber(v[1]) <= last or tonumber(v[2]) <= last then return 0 end
redis.call('HSET', KEYS[1], 'lastSeenAt', ARGV[1], 'idleExpiresAt', ARGV[2])
local ttl = math.floor(math.min(tonumber(ARGV[2]), tonumber(v[2])) - last + tonumber(ARGV[3]))
if ttl < 1 then ttl = 1 end
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
`);

/**
 * Deletes a session. KEYS[1] the session; ARGV[1] `1` to delete only if its userId is ARGV[2].
 * Returns {userId, id} of the deleted session, or nil.
 */
const DELETE_SESSION = defineScript(`
local v = redis.call('HMGET', KEYS[1], 'userId', 'id')
if not v[1] then return false end
if ARGV[1] == '1' and v[1] ~= ARGV[2] then return false end
redis.call('DEL', KEYS[1])
return {v[1], v[2]}
`);

/**
 * Deletes a session if it has expired at ARGV[1] (now). KEYS[1] the session. Returns nil when it is
 * gone, else {deleted 1|0, idleExpiresAt, absoluteExpiresAt, userId, id}.
 */
const SWEEP_SESSION = defineScript(`
local v = redis.call('HMGET', KEYS[1], 'idleExpiresAt', 'absoluteExpiresAt', 'userId', 'id')
if not v[1] then return false end
local now = tonumber(ARGV[1])
if (tonumber(v[1]) or 0) > now and (tonumber(v[2]) or 0) > now then return {0, v[1], v[2]} end
redis.call('DEL', KEYS[1])
return {1, v[1], v[2], v[3], v[4]}
`);

/**
 * The Redis session store. A session is a hash keyed by its token hash (`P session:<tokenHash>`,
 * native TTL at its expiry plus slack); the user's index `P{u:<id>}:sessions` maps public id →
 * token hash; `P sessions:expiry` holds every token hash scored by its expiry at creation, a lower
 * bound (touch only ever extends it), which the sweep re-checks against the record.
 *
 * The record is written before the user's index entry. So an index entry whose record is missing
 * is garbage that may always be removed, and the only record an index can miss is one whose
 * `create` failed: its token was never handed out. Deleting all of a user's sessions therefore
 * never misses a usable one.
 *
 * `getWithUser` is one round trip on a single server or Sentinel (a script), and two on Cluster
 * (the session, then its user), where a script may not reach the user's slot.
 */
export function createRedisSessionStore(context: RedisContext): SessionStore {
  const { client, keys, run, evaluate, isCluster } = context;

  /** The session from its HMGET reply, or null when it is gone or not live at `now`. */
  function liveSession(values: unknown, now: number): ActiveSession | null {
    const hash = fromValues(ACTIVE_SESSION_FIELDS, values);
    if (isEmpty(hash)) return null;
    const session = decodeActiveSession(hash);
    return isSessionLive(session, now) ? session : null;
  }

  /** The pair, given the user's HMGET reply; null when the user is gone (the script answers an empty list, HMGET all nils). */
  function withUser(session: ActiveSession, userValues: unknown): SessionWithUser | null {
    const hash = Array.isArray(userValues) && userValues.length === 0 ? {} : fromValues(ACTIVE_USER_FIELDS, userValues);
    if (isEmpty(hash)) return null;
    const user = decodeActiveUser(hash);
    return user.id === session.userId ? { session, user } : null;
  }

  // The lookups of one turn, one script (single server or Sentinel): one entry per session key. The
  // batch is one store operation, as the SQL stores' are; each call decodes its own entry.
  const lookup = createBatcher<string, unknown>((sessionKeys) =>
    run('sessions.getWithUser', async () => jsonArrayReply(await evaluate(GET_SESSIONS_WITH_USERS, sessionKeys, keys.userKeyParts), sessionKeys.length)),
  );
  const decodeEntry = decoding('sessions.getWithUser', (entry: unknown, now: number): SessionWithUser | null => {
    if (entry === false) return null;
    const [sessionValues, userValues] = pairOf(entry);
    const session = liveSession(sessionValues, now);
    return session === null ? null : withUser(session, userValues);
  });

  return {
    create: (session) =>
      run('sessions.create', async () => {
        const key = keys.session(session.tokenHash);
        const expiresAt = Math.min(session.idleExpiresAt, session.absoluteExpiresAt);
        const ttl = ttlMs(expiresAt, session.lastSeenAt, EXPIRY_SLACK_MS);
        if ((await evaluate(CREATE_HASH_IF_ABSENT, [key], [ttl, ...encodeSession(session)])) !== 1) {
          throw new StoreError('redis store: sessions.create failed (duplicate session)');
        }
        try {
          const [indexed] = await Promise.all([
            evaluate(ADD_TO_USER_INDEX, [keys.userSessions(session.userId)], [
              'hash', session.id, session.tokenHash, ttlMs(session.absoluteExpiresAt, session.lastSeenAt, EXPIRY_SLACK_MS),
            ]),
            client.zadd(keys.sessionExpiry, expiresAt, session.tokenHash),
          ]);
          if (indexed !== 1) throw new StoreError('redis store: sessions.create failed (duplicate session)');
        } catch (error) {
          // The caller never hands out this token; the record must not outlive the failed create.
          await client.del(key).catch(() => undefined);
          throw error;
        }
      }),

    getWithUser: (tokenHash, now) =>
      !isCluster
        ? lookup(keys.session(tokenHash)).then((entry) => decodeEntry(entry, now))
        : run('sessions.getWithUser', async () => {
            // Cluster: the session, then its user (a script may not reach the user's slot).
            const session = liveSession(await client.hmget(keys.session(tokenHash), ...ACTIVE_SESSION_FIELDS), now);
            return session === null ? null : withUser(session, await client.hmget(keys.user(session.userId), ...ACTIVE_USER_FIELDS));
          }),

    touch: (tokenHash, lastSeenAt, idleExpiresAt) =>
      run('sessions.touch', async () => {
        await evaluate(TOUCH_SESSION, [keys.session(tokenHash)], [lastSeenAt, idleExpiresAt, EXPIRY_SLACK_MS]);
      }),

    listByUser: (userId, now) =>
      run('sessions.listByUser', async () => {
        const tokenHashes = Object.values(await client.hgetall(keys.userSessions(userId)));
        const hashes = await Promise.all(tokenHashes.map((tokenHash) => client.hgetall(keys.session(tokenHash))));
        return hashes
          .filter((hash) => !isEmpty(hash))
          .map(decodeSession)
          .filter((session) => session.userId === userId && isSessionLive(session, now))
          .sort(newestFirst);
      }, { bulk: true }),

    delete: (userId, id) =>
      run('sessions.delete', async () => {
        const index = keys.userSessions(userId);
        const tokenHash = await client.hget(index, id);
        if (tokenHash === null) return false;
        const deleted = await evaluate(DELETE_SESSION, [keys.session(tokenHash)], ['1', userId]);
        await Promise.all([client.hdel(index, id), deleted === null ? undefined : client.zrem(keys.sessionExpiry, tokenHash)]);
        return deleted !== null;
      }),

    deleteByTokenHash: (tokenHash) =>
      run('sessions.deleteByTokenHash', async () => {
        const deleted = await evaluate(DELETE_SESSION, [keys.session(tokenHash)], ['0', '']);
        if (deleted === null) return false;
        const [userId, id] = strings(deleted);
        await Promise.all([
          userId !== undefined && id !== undefined ? client.hdel(keys.userSessions(userId), id) : undefined,
          client.zrem(keys.sessionExpiry, tokenHash),
        ]);
        return true;
      }),

    deleteAllForUser: (userId) =>
      run('sessions.deleteAllForUser', async () => {
        const index = keys.userSessions(userId);
        const entries = Object.entries(await client.hgetall(index));
        if (entries.length === 0) return 0;
        const results = await Promise.all(
          entries.map(([, tokenHash]) => evaluate(DELETE_SESSION, [keys.session(tokenHash)], ['1', userId])),
        );
        const deleted = entries.filter((_, i) => results[i] !== null).map(([, tokenHash]) => tokenHash);
        // Only the fields read above: an entry added meanwhile belongs to a session created after this call.
        await Promise.all([
          client.hdel(index, ...entries.map(([id]) => id)),
          deleted.length > 0 ? client.zrem(keys.sessionExpiry, ...deleted) : undefined,
        ]);
        return deleted.length;
      }, { bulk: true }),
  };
}

/**
 * One sweep batch: at most `max` token hashes whose expiry lower bound is at or before `now`.
 * Expired sessions are deleted with their index entries; live ones (touched since) get their real
 * expiry as score; entries whose record is gone are dropped.
 */
export async function sweepSessions(context: RedisContext, now: number, max: number): Promise<{ processed: number; deleted: number }> {
  const { client, keys, evaluate } = context;
  const due = await client.zrangebyscore(keys.sessionExpiry, '-inf', now, 'LIMIT', 0, max);
  if (due.length === 0) return { processed: 0, deleted: 0 };
  const results = await Promise.all(due.map((tokenHash) => evaluate(SWEEP_SESSION, [keys.session(tokenHash)], [now])));
  const gone: string[] = [];
  const rescored: Array<string | number> = [];
  const userFields = new Map<string, string[]>();
  let deleted = 0;
  results.forEach((result, i) => {
    const tokenHash = due[i] as string;
    if (result === null) {
      gone.push(tokenHash);
      return;
    }
    const [flag, idle, absolute, userId, id] = Array.isArray(result) ? (result as unknown[]) : [];
    if (flag === 1) {
      deleted += 1;
      gone.push(tokenHash);
      if (typeof userId === 'string' && typeof id === 'string') userFields.set(userId, [...(userFields.get(userId) ?? []), id]);
    } else {
      rescored.push(Math.min(parseTime(idle, 'session'), parseTime(absolute, 'session')), tokenHash);
    }
  });
  await Promise.all([
    gone.length > 0 ? evaluate(REMOVE_IF_DUE, [keys.sessionExpiry], [now, ...gone]) : undefined,
    rescored.length > 0 ? client.zadd(keys.sessionExpiry, 'XX', ...rescored) : undefined,
    ...[...userFields].map(([userId, ids]) => client.hdel(keys.userSessions(userId), ...ids)),
  ]);
  return { processed: due.length, deleted };
}

/**
 * One entry of the script's answer: the `[session values, user values]` pair. cjson writes the empty
 * table (the user of a session without a userId) as `{}`: an empty list, as the other branch answers
 * for a missing user. Lua's `false` for an absent field is read as absent by `fromValues`.
 */
function pairOf(entry: unknown): [unknown, unknown] {
  if (!Array.isArray(entry) || entry.length !== 2) throw new CorruptRecordError('reply');
  return [entry[0], Array.isArray(entry[1]) ? entry[1] : []];
}

function strings(reply: unknown): Array<string | undefined> {
  return Array.isArray(reply) ? reply.map((value: unknown) => (typeof value === 'string' ? value : undefined)) : [];
}
