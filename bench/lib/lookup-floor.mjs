// Section "lookup floor": the reference server's /healthz answer given after one raw operation and
// nothing else, measured like the posture cells (rounds against /healthz, same load, same run). Each
// route is the least a posture's request could cost on this machine: a posture cannot beat the
// floor of the work it must do, so a target above its floor is beyond the machine, not the code.
// One route is of another kind: `cpu` spends as much plain CPU as Tessera's jwt /auth/me handler
// costs in-process, to show what HTTP on this machine makes of that many microseconds.
// The jwt floors (`credentials: 'jwt'`) run on a server of their own, loaded with real EdDSA access
// tokens of the seeded users (the jwt cells' header size); the store floors with random 32-byte tokens.
//
// The parent seeds the data (`seedFloor`); the server process (bench/lib/server.mjs, kind `floor`)
// builds the reference app and adds the routes (`installFloorRoutes`). Every route answers exactly
// what /healthz answers, except `response` and `verified-lookup`, which answer what /auth/me answers;
// a miss is a 500, which the benchmark counts as a failure. Each floor server's rounds also run a
// control, /healthz's twin: where it reads far from 1, that server's floors decide nothing in the run.
import { readFileSync } from 'node:fs';
import { decodeJwt } from 'jose';
import { load } from './dist.mjs';

const PREFIX = 'bench-floor:';
const VALUE = 'v'.repeat(150);
const SESSION_FIELDS = ['id', 'userId', 'createdAt', 'lastSeenAt', 'idleExpiresAt', 'absoluteExpiresAt'];
const USER_FIELDS = ['id', 'email', 'roles', 'disabled'];

/**
 * The shape of the Redis session lookup (src/stores/redis/sessions.ts, GET_SESSIONS_WITH_USERS): for
 * each session of the turn, its fields, then its user's, in one script answering one JSON string.
 * KEYS the sessions; ARGV[1] the user key prefix.
 */
const SESSIONS_WITH_USERS = `
local found = {}
for i = 1, #KEYS do
  local s = redis.call('HMGET', KEYS[i], ${SESSION_FIELDS.map((f) => `'${f}'`).join(', ')})
  if s[2] then found[i] = {s, redis.call('HMGET', ARGV[1] .. s[2], ${USER_FIELDS.map((f) => `'${f}'`).join(', ')})} else found[i] = false end
end
return cjson.encode(found)
`;

/**
 * The floor routes: path, what it does (long and short), which targets it bounds (cell ids of section
 * 1), and what a floor below the target says (`below`).
 */
export const FLOOR_ROUTES = [
  // The controls: /healthz's twin, one in each floor server's rounds. It costs what /healthz costs,
  // so it should read 1; how far it reads from 1 is the spread of that server's rounds in this run.
  {
    id: 'control-store',
    short: 'the control',
    below: '',
    path: '/floor/control/store',
    what: "/healthz's twin (the same handler at another path), in the store floors' rounds: it should read 1",
    bounds: [],
    credentials: 'store',
  },
  {
    id: 'control-jwt',
    short: 'the control',
    below: '',
    path: '/floor/control/jwt',
    what: "/healthz's twin (the same handler at another path), in the jwt floors' rounds: it should read 1",
    bounds: [],
    credentials: 'jwt',
  },
  // Not a floor: the answer of /healthz deferred to the end of the event-loop turn, as a batched
  // session lookup (SQLite, PostgreSQL, Redis) defers it, with no work at all. It shows what answering a
  // turn's requests together does by itself on this machine, apart from the lookup's cost.
  {
    id: 'deferred',
    short: 'the answer deferred to the end of the turn',
    below: '',
    path: '/floor/deferred',
    what: "not a floor: /healthz's answer given at the end of the event-loop turn (through the batcher the SQLite, PostgreSQL and Redis session lookups use), no lookup: what answering a turn's requests together does by itself",
    bounds: [],
    credentials: 'store',
  },
  {
    id: 'response',
    short: 'the answer alone',
    below: 'for any code that answers /auth/me',
    path: '/floor/response',
    what: "/auth/me's answer (its headers, a body of the same shape and length), no authentication",
    bounds: ['jwt/EdDSA/sqlite', 'jwt-push/redis'],
    credentials: 'jwt',
  },
  {
    id: 'verified-lookup',
    short: 'the cached-token lookup alone',
    below: 'for a verifier that answers a warm token from a cache of verified tokens (without one, every request is a signature check: the cold figure)',
    path: '/floor/verified-lookup',
    what:
      "a map of the 10 000 tokens' verified claims: the token found by its last 16 characters (as the verifier's cache keys it) and compared whole, `exp` checked, the user's email found in a map of 10 000, /auth/me's answer built from them (header read without a parse, no other claim rule, no revocation)",
    bounds: ['jwt/EdDSA/sqlite', 'jwt-push/redis'],
    credentials: 'jwt',
  },
  {
    id: 'cpu-like-jwt',
    short: "the handler's in-process CPU, as plain CPU",
    below: 'for a handler that costs what Tessera\'s costs in-process: the check itself would have to get cheaper',
    path: '/floor/cpu',
    what: "/healthz after plain CPU work as long as jwt EdDSA's /auth/me handler costs beyond /healthz's, in-process, in this run: what HTTP makes of that many µs",
    bounds: ['jwt/EdDSA/sqlite', 'jwt-push/redis'],
    credentials: 'jwt',
  },
  {
    id: 'sqlite-read',
    short: 'a bare primary-key read',
    below: 'for any code doing that read',
    path: '/floor/sqlite-read',
    what: 'SHA-256 of the bearer value, then one better-sqlite3 read by primary key (prepared, raw row) in a 10 000-row WAL file, the reads of one event-loop turn in one read transaction (as the session lookup makes them)',
    bounds: ['session/sqlite'],
  },
  {
    id: 'redis-revocation-script',
    short: 'the check script alone',
    below: 'for any code doing those reads',
    path: '/floor/redis-revocation-script',
    what: "SHA-256, then one script per event-loop turn reading, for each request, two fields of one hash and one of another (none of which exist, as for almost every request of the cell), answered as one JSON string: jwt-denylist's per-request check without the JWT",
    bounds: ['jwt-denylist/redis'],
  },
  {
    id: 'redis-session-script',
    short: 'the lookup script alone',
    below: 'for this one-round-trip lookup (a record layout readable with one native read would need copies of the user in every session)',
    path: '/floor/redis-session-script',
    what: "SHA-256, then one script per event-loop turn reading each session hash's 6 fields and its user's 4, answered as one JSON string (Tessera's one-round-trip session lookup)",
    bounds: ['session/redis'],
  },
];

/** The floor routes that bound a target cell (none, one, or for jwt three). */
export function floorsFor(cellId) {
  return FLOOR_ROUTES.filter((route) => route.bounds.includes(cellId));
}

/** Busy-waits `us` microseconds: CPU work that allocates nothing and touches no I/O. */
function spin(us) {
  const end = performance.now() + us / 1000;
  while (performance.now() < end);
}

/** Writes the data every floor route reads, keyed by SHA-256 of each token (the bearer value's). */
export async function seedFloor({ sqlitePath, redisUrl, tokens }) {
  const { hashToken } = await load('core/crypto.js');
  const { default: Database } = await import('better-sqlite3');
  const { Redis } = await import('ioredis');
  const hashes = tokens.map((token) => hashToken(token));
  const db = new Database(sqlitePath);
  try {
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO kv (k, v) VALUES (?, ?)');
    db.transaction(() => {
      for (const hash of hashes) insert.run(hash, VALUE);
    })();
  } finally {
    db.close();
  }
  const redis = new Redis(redisUrl);
  try {
    for (let i = 0; i < hashes.length; i += 500) {
      const pipeline = redis.pipeline();
      for (const hash of hashes.slice(i, i + 500)) {
        const userId = `user-${hash.slice(0, 16)}`;
        pipeline.hset(`${PREFIX}s:${hash}`, { id: hash.slice(0, 22), userId, createdAt: 1, lastSeenAt: 1, idleExpiresAt: 9e12, absoluteExpiresAt: 9e12 });
        pipeline.hset(`${PREFIX}u:${userId}`, { id: userId, email: `${userId}@bench.test`, roles: '[]', disabled: '0' });
      }
      await pipeline.exec();
    }
  } finally {
    redis.disconnect();
  }
}

/**
 * The verified-token map of `/floor/verified-lookup`, built from the access tokens in `tokensPath`
 * (a JSON array; the parent minted them): last 16 characters → the token, its claims (decoded, not
 * verified: the floor models a cache hit) and the answer around the email; user id → email.
 */
function verifiedTokenMaps(tokensPath, iso) {
  const tokens = JSON.parse(readFileSync(tokensPath, 'utf8'));
  const entries = new Map();
  const emails = new Map();
  const far = Date.now() + 3_600_000;
  tokens.forEach((token, i) => {
    const claims = decodeJwt(token);
    entries.set(token.slice(-16), {
      token,
      claims,
      expMs: claims.exp * 1000,
      before: `{"user":{"id":${JSON.stringify(claims.sub)},"email":`,
      after: `,"roles":[]},"session":{"id":${JSON.stringify(claims.sid)},"created_at":"${iso(Math.round(claims.iat * 1000))}","expires_at":"${iso(claims.exp * 1000)}"},"mode":"jwt"}`,
    });
    emails.set(claims.sub, { email: JSON.stringify(`user${i}@bench.test`), until: far });
  });
  return { entries, emails };
}

/**
 * Adds the floor routes to the reference app (before it listens). Returns what to close. Each is
 * defined and mounted exactly as Tessera's own routes are (`routeDefiner`, `fastifyHandler`: the
 * request translated, errors caught, security headers added, the answer written), so a floor and
 * the /healthz it is compared with differ only by the floor's work. (Two of them, the answer alone
 * and the cached-token lookup, were bare Fastify routes before, and so skipped plumbing that both
 * /healthz and /auth/me pay.)
 */
export async function installFloorRoutes(app, { sqlitePath, redisUrl, spinUs, tokensPath }) {
  const { routeDefiner } = await load('http/routes/index.js');
  const { fastifyHandler } = await load('adapters/fastify/translate.js');
  const { hashToken } = await load('core/crypto.js');
  const { json, jsonText, iso } = await load('http/respond.js');
  const { createBatcher } = await load('stores/batch.js');
  const { default: Database } = await import('better-sqlite3');
  const { Redis } = await import('ioredis');

  const define = routeDefiner();
  const mount = (path, handle) => app.get(path, fastifyHandler(define('GET', path, handle)));
  // What /healthz answers (src/http/routes/health.ts).
  const healthy = () => json(200, { status: 'ok' });
  const db = new Database(sqlitePath, { readonly: true });
  const read = db.prepare('SELECT v FROM kv WHERE k = ?').raw(true);
  // The reads of one turn in one read transaction, as the SQLite session lookup makes them.
  const readAll = db.transaction((keys) => keys.map((k) => read.get(k)));
  const readTurn = createBatcher(async (keys) => readAll(keys));
  const endOfTurn = createBatcher(async (calls) => calls);
  const redis = new Redis(redisUrl, { enableAutoPipelining: true });
  // No fixed number of keys: the first argument says how many (one per lookup of the turn).
  redis.defineCommand('floorSessionsWithUsers', { lua: SESSIONS_WITH_USERS });
  // jwt-denylist's check script itself (src/stores/redis/revocations.ts): for each check of the turn,
  // two fields of the user's entry and one of the family's, answered as one JSON string.
  const { CHECK_REVOCATIONS } = await load('stores/redis/revocations.js');
  redis.defineCommand('floorRevocationChecks', { lua: CHECK_REVOCATIONS.lua });
  const checksTurn = createBatcher(async (pairs) => {
    const values = JSON.parse(await redis.floorRevocationChecks(pairs.length * 2, ...pairs.flat()));
    return pairs.map((_, i) => values.slice(3 * i, 3 * i + 3));
  });
  const sessionsTurn = createBatcher(async (sessionKeys) => JSON.parse(await redis.floorSessionsWithUsers(sessionKeys.length, ...sessionKeys, `${PREFIX}u:`)));
  // An answer of /auth/me's shape and length (ids, email, ISO dates as the route writes them).
  const meText = JSON.stringify({
    user: { id: '0193a0b0-7c1e-7cc2-9a0e-3f1c2b4d5e6f', email: 'user-0000000000001234@bench.test', roles: [] },
    session: { id: 'AbCdEfGhIjKlMnOpQrStUv', created_at: '2026-11-27T17:30:00.000Z', expires_at: '2026-11-27T17:40:00.000Z' },
    mode: 'jwt',
  });

  const tokenHash = (request) => hashToken((request.headers.authorization ?? '').slice('Bearer '.length));
  // A thrown error becomes a 500 (the definer's catch), which the benchmark counts as a failure.
  const miss = () => {
    throw new Error('floor: seeded key not found');
  };

  mount('/floor/control/store', async () => healthy());
  mount('/floor/control/jwt', async () => healthy());
  mount('/floor/response', async () => jsonText(200, meText));
  if (tokensPath) {
    const { entries, emails } = verifiedTokenMaps(tokensPath, iso);
    mount('/floor/verified-lookup', async (request) => {
      const token = (request.headers.authorization ?? '').slice('Bearer '.length);
      const now = Date.now();
      const hit = entries.get(token.slice(-16));
      if (hit === undefined || hit.token !== token || hit.expMs <= now) miss();
      const email = emails.get(hit.claims.sub);
      if (email === undefined || email.until <= now) miss();
      return jsonText(200, hit.before + email.email + hit.after);
    });
  }
  mount('/floor/cpu', async () => {
    spin(spinUs);
    return healthy();
  });
  mount('/floor/deferred', async () => {
    await endOfTurn(undefined);
    return healthy();
  });
  mount('/floor/sqlite-read', async (request) => {
    if ((await readTurn(tokenHash(request))) === undefined) miss();
    return healthy();
  });
  mount('/floor/redis-revocation-script', async (request) => {
    const hash = tokenHash(request);
    // No revocation entry exists, as for almost every request of the jwt-denylist cell.
    const [notBefore, userExpiresAt, familyExpiresAt] = await checksTurn([`${PREFIX}r-user:${hash}`, `${PREFIX}r-family:${hash}`]);
    if (notBefore !== false || userExpiresAt !== false || familyExpiresAt !== false) miss();
    return healthy();
  });
  mount('/floor/redis-session-script', async (request) => {
    const found = await sessionsTurn(`${PREFIX}s:${tokenHash(request)}`);
    if (!Array.isArray(found) || typeof found[1]?.[0] !== 'string') miss();
    return healthy();
  });

  return {
    async close() {
      redis.disconnect();
      db.close();
    },
  };
}
