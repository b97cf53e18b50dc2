import type { Feed, Revocation, RevocationCheck, RevocationStore } from '../types.js';
import { encodeFeedMessage } from '../feed-message.js';
import { CorruptRecordError, decoding, defineScript, jsonArrayReply, type RedisContext } from './context.js';
import { decodeRevocation, isEmpty, parseTime } from './records.js';
import { compareText } from '../common.js';
import { createBatcher } from '../batch.js';
import { EXPIRY_SLACK_MS, REMOVE_IF_DUE } from './scripts.js';

/**
 * Records a revocation, merging with the stored one: the later notBefore and the later expiry win,
 * userId/familyId/createdAt of the first entry stay, and the native TTL only ever grows.
 * KEYS[1] the entry; ARGV kind, userId, notBefore (user) or familyId (family), expiresAt,
 * createdAt, slack ms.
 */
const PUT_BODY = `
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then
  redis.call('HSET', key, 'userId', ARGV[2], 'createdAt', ARGV[5])
  if ARGV[1] == 'family' then redis.call('HSET', key, 'familyId', ARGV[3]) end
end
if ARGV[1] == 'user' then
  local notBefore = redis.call('HGET', key, 'notBefore')
  if not notBefore or tonumber(ARGV[3]) > tonumber(notBefore) then redis.call('HSET', key, 'notBefore', ARGV[3]) end
end
local expiresAt = redis.call('HGET', key, 'expiresAt')
if not expiresAt or tonumber(ARGV[4]) > tonumber(expiresAt) then
  expiresAt = ARGV[4]
  redis.call('HSET', key, 'expiresAt', expiresAt)
end
local ttl = math.floor(tonumber(expiresAt) - tonumber(ARGV[5]) + tonumber(ARGV[6]))
if ttl < 1 then ttl = 1 end
if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
`;
const PUT_REVOCATION = defineScript(`${PUT_BODY}return 1\n`);

/**
 * PUT_REVOCATION with its index entry and the feed message, in one step, for a single server or
 * Sentinel only (the index and the entry are on different slots): the index entry first, then the
 * entry, then PUBLISH, so a message is never about an entry a reload could miss, and nothing is
 * published if the write fails. KEYS[1] the entry, KEYS[2] the index; ARGV as PUT_REVOCATION, then
 * the index member, the channel and the message.
 */
const PUT_INDEX_AND_PUBLISH = defineScript(`
redis.call('ZADD', KEYS[2], 'GT', ARGV[4], ARGV[7])
${PUT_BODY}redis.call('PUBLISH', ARGV[8], ARGV[9])
return 1
`);

/**
 * Deletes an entry if it has expired at ARGV[1] (now). KEYS[1] the entry. Returns 1 when deleted,
 * 0 when it is gone, or its expiry (a string) when it is live.
 */
const SWEEP_REVOCATION = defineScript(`
local expiresAt = redis.call('HGET', KEYS[1], 'expiresAt')
if not expiresAt then return 0 end
if (tonumber(expiresAt) or 0) > tonumber(ARGV[1]) then return expiresAt end
redis.call('DEL', KEYS[1])
return 1
`);

/**
 * jwt-denylist's per-request checks of one event-loop turn (single server or Sentinel). KEYS are
 * pairs: a user's entry, then a family's. Answers one JSON array with three values per pair: the
 * user entry's notBefore and expiresAt, the family entry's expiresAt (false where absent).
 *
 * One script for the turn instead of two native reads per check: ioredis spends some 25 µs of the
 * server's CPU per check on two commands and their replies, and about 4 µs per check on its share
 * of one script and one bulk string, while Redis spends about 1.5 µs more per check in the script
 * (measured side by side, 100 checks per turn; docs/benchmarks.md). A turn holds at most
 * `MAX_BATCH_KEYS` checks, so the script's time on the server stays bounded.
 */
export const CHECK_REVOCATIONS = defineScript(`
local out = {}
for i = 1, #KEYS, 2 do
  local user = redis.call('HMGET', KEYS[i], 'notBefore', 'expiresAt')
  out[#out + 1] = user[1]
  out[#out + 1] = user[2]
  out[#out + 1] = redis.call('HGET', KEYS[i + 1], 'expiresAt')
end
return cjson.encode(out)
`);

/** The three values a check reads: the user entry's notBefore and expiresAt, the family entry's expiresAt. */
type CheckValues = [notBefore: unknown, userExpiresAt: unknown, familyExpiresAt: unknown];

/** A read value that exists: ioredis answers null for an absent field, the script's JSON false. */
const present = (value: unknown): boolean => value !== null && value !== false && value !== undefined;

/** A check's answer from its three values (null or false where absent); a value this store did not write is a CorruptRecordError. */
function checkResult([notBefore, userExpiresAt, familyExpiresAt]: CheckValues, now: number): RevocationCheck {
  // A user entry is written with both fields in one script: one without the other is not this store's.
  if (present(notBefore) !== present(userExpiresAt)) throw new CorruptRecordError('revocation');
  const userLive = present(userExpiresAt) && parseTime(userExpiresAt, 'revocation') > now;
  return {
    userNotBefore: userLive ? parseTime(notBefore, 'revocation') : null,
    familyRevoked: present(familyExpiresAt) && parseTime(familyExpiresAt, 'revocation') > now,
  };
}

/** CHECK_REVOCATIONS's JSON answer as one triple per check. @throws CorruptRecordError for any other reply */
function tripleOf(reply: unknown, count: number): CheckValues[] {
  const values = jsonArrayReply(reply, 3 * count);
  const triples: CheckValues[] = [];
  for (let i = 0; i < values.length; i += 3) triples.push([values[i], values[i + 1], values[i + 2]]);
  return triples;
}

/**
 * The Redis revocation store. A user's not-before entry is `P{u:<id>}:revoked` (on the user's
 * slot); a family's is `P revoked-family:<id>` (keyed by the family alone, as in every store). Both
 * have a native TTL. `P revocations:expiry` indexes every entry (`u:<id>`, `f:<id>`) by expiry, so
 * `listActive` reads only live entries (ZRANGEBYSCORE, never KEYS or SCAN) and the sweep finds the
 * expired ones. The index entry is written first and only ever moves later (ZADD GT): every stored
 * entry is in the index, so a jwt-push reload never misses one.
 */
export function createRedisRevocationStore(context: RedisContext, feed: Pick<Feed, 'publish'>): RevocationStore {
  const { client, keys, run, evaluate, isCluster } = context;

  // The checks of one turn, one script: two keys per check. The batch is one store operation; each
  // call decodes its own values.
  const checkBatch = createBatcher<[string, string], CheckValues>((pairs) =>
    run('revocations.check', async () => tripleOf(await evaluate(CHECK_REVOCATIONS, pairs.flat(), []), pairs.length)),
  );
  const decodeCheck = decoding('revocations.check', checkResult);

  return {
    put: (revocation, options) =>
      run('revocations.put', async () => {
        const member = revocationMember(revocation);
        const key = revocation.kind === 'user' ? keys.userRevocation(revocation.userId) : keys.familyRevocation(revocation.familyId);
        const args = [
          revocation.kind,
          revocation.userId,
          revocation.kind === 'user' ? revocation.notBefore : revocation.familyId,
          revocation.expiresAt,
          revocation.createdAt,
          EXPIRY_SLACK_MS,
        ];
        if (options?.publish === true && !isCluster) {
          // One server: index, entry and message in one script, one round trip (jwt-push's logout path).
          await evaluate(PUT_INDEX_AND_PUBLISH, [key, keys.revocationExpiry], [...args, member, keys.feedChannel, encodeFeedMessage(revocation)]);
          return;
        }
        const indexed = client.zadd(keys.revocationExpiry, 'GT', revocation.expiresAt, member);
        // Cluster: the index may live on another node, so wait for it before writing the entry. One
        // server: both commands go down the one connection in this order and Redis runs them in
        // order, so the index is still written first, in one round trip instead of two.
        if (isCluster) await indexed;
        const stored = evaluate(PUT_REVOCATION, [key], args);
        await Promise.all([indexed, stored]);
        // Cluster: written, then published (a script may not span the slots).
        if (options?.publish === true) await feed.publish(revocation);
      }),

    check: (userId, familyId, now) =>
      !isCluster
        ? checkBatch([keys.userRevocation(userId), keys.familyRevocation(familyId)]).then((values) => decodeCheck(values, now))
        : run('revocations.check', async () => {
            // Cluster: the two entries live on different slots, out of one script's reach; two native
            // reads in one round trip (auto-pipelining sends them together).
            const [[notBefore, userExpiresAt], familyExpiresAt] = await Promise.all([
              client.hmget(keys.userRevocation(userId), 'notBefore', 'expiresAt'),
              client.hget(keys.familyRevocation(familyId), 'expiresAt'),
            ]);
            return checkResult([notBefore, userExpiresAt, familyExpiresAt], now);
          }),

    listActive: (now) =>
      run('revocations.listActive', async () => {
        const members = await client.zrangebyscore(keys.revocationExpiry, `(${now}`, '+inf');
        const entries = await Promise.all(
          members.map(async (member) => {
            const key = keys.revocationByMember(member);
            if (key === undefined) return undefined;
            const hash = await client.hgetall(key);
            return isEmpty(hash) ? undefined : { member, revocation: decodeRevocation(member.startsWith('u:') ? 'user' : 'family', hash) };
          }),
        );
        // Oldest first, like the SQL stores (ORDER BY created_at, key).
        return entries
          .filter((entry): entry is { member: string; revocation: Revocation } => entry !== undefined && entry.revocation.expiresAt > now)
          .sort((a, b) => a.revocation.createdAt - b.revocation.createdAt || compareText(a.member, b.member))
          .map((entry) => entry.revocation);
      }, { bulk: true }),
  };
}

/** The index member of a revocation, the same as the primary key of the other stores. */
function revocationMember(revocation: Revocation): string {
  return revocation.kind === 'user' ? `u:${revocation.userId}` : `f:${revocation.familyId}`;
}

/** One sweep batch: at most `max` index members expired at `now`; expired entries are deleted. */
export async function sweepRevocations(context: RedisContext, now: number, max: number): Promise<{ processed: number; deleted: number }> {
  const { client, keys, evaluate } = context;
  const due = await client.zrangebyscore(keys.revocationExpiry, '-inf', now, 'LIMIT', 0, max);
  if (due.length === 0) return { processed: 0, deleted: 0 };
  const results = await Promise.all(
    due.map((member) => {
      const key = keys.revocationByMember(member);
      return key === undefined ? Promise.resolve(0) : evaluate(SWEEP_REVOCATION, [key], [now]);
    }),
  );
  const gone: string[] = [];
  const rescored: Array<string | number> = [];
  let deleted = 0;
  results.forEach((result, i) => {
    const member = due[i] as string;
    if (typeof result === 'string') {
      rescored.push(parseTime(result, 'revocation'), member);
      return;
    }
    if (result === 1) deleted += 1;
    else if (result !== 0) throw new CorruptRecordError('reply');
    gone.push(member);
  });
  await Promise.all([
    gone.length > 0 ? evaluate(REMOVE_IF_DUE, [keys.revocationExpiry], [now, ...gone]) : undefined,
    rescored.length > 0 ? client.zadd(keys.revocationExpiry, 'GT', ...rescored) : undefined,
  ]);
  return { processed: due.length, deleted };
}
