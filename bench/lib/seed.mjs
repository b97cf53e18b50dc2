// Seeding through the library itself (dist/), never through the HTTP API: signup is rate-limited per
// IP, and 10 000 argon2id hashes at the default cost would take minutes. Users share ONE password
// hash computed at a low argon2 cost (seeding only; the server under test keeps the default config).
// Credentials are issued by the same code `tessera.login` runs after the password check:
// `createSessions().create` (session posture) and the jwt engine's `issue` (refresh family + access
// token), so the server accepts them exactly as it accepts a login's.
import { createHmac, randomBytes } from 'node:crypto';
import { load } from './dist.mjs';


export const SEED_PASSWORD = 'bench-password-1';
const CLIENT = { ip: null, userAgent: 'tessera-bench' };

/** Runs `task(i)` for i in [0, count) with at most `width` in flight. */
export async function inBatches(count, width, task) {
  const results = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, worker));
  return results;
}

/** The resolved Tessera configuration the server under test also uses (library defaults). */
export async function benchConfig(store, { mode, algorithm, jwtSecret }) {
  const { resolveConfig } = await load('core/config.js');
  const jwt = {};
  if (algorithm) jwt.algorithm = algorithm;
  if (jwtSecret) jwt.secrets = [jwtSecret];
  return resolveConfig({ mode, store, origins: ['http://127.0.0.1'], jwt });
}

/** Creates `count` users (`user{i}@bench.test`) sharing one low-cost argon2id hash. */
export async function seedUsers(store, count, { prefix = 'user', passwordHash } = {}) {
  const { newUserRecord } = await load('core/users/users.js');
  let hash = passwordHash;
  if (hash === undefined) {
    const { createPasswordHasher } = await load('core/users/password.js');
    const hasher = createPasswordHasher({ minLength: 8, maxBytes: 1024, memoryKiB: 1024, timeCost: 1, parallelism: 1 });
    hash = await hasher.hash(SEED_PASSWORD);
  }
  const now = Date.now();
  return inBatches(count, 64, async (i) => {
    const user = newUserRecord(`${prefix}${i}@bench.test`, hash, [], now);
    if (!(await store.users.create(user))) throw new Error(`seed: user ${user.email} exists`);
    return user;
  });
}

/** Issues session-posture credentials: `count` sessions, round-robin over `users`; returns the tokens. */
export async function issueSessions(config, users, count) {
  const { createSessions } = await load('core/session/sessions.js');
  const sessions = createSessions(config);
  return inBatches(count, 64, async (i) => (await sessions.create(users[i % users.length], CLIENT)).token);
}

/**
 * A jwt-posture issuer on the same store and configuration as the server: `issue` is what login
 * does after the password check (a refresh family in the store, then the access token); `mint` signs
 * an access token for a fresh family id without writing the family row (cold pools: the
 * verification path never reads it). Both use the key ring the server loads from the store.
 */
export async function jwtIssuer(config) {
  const { createJwtEngine } = await load('core/jwt/engine.js');
  const { createNoRevocation, createDenylist } = await load('core/jwt/revocation-check.js');
  const { createPushRevocations } = await load('core/jwt/push-revocations.js');
  const { loadKeyRing } = await load('core/tokens/keys.js');
  const { createAccessTokenSigner } = await load('core/tokens/sign-access.js');
  const policy =
    config.mode === 'jwt' ? createNoRevocation(config) : config.mode === 'jwt-denylist' ? createDenylist(config) : createPushRevocations(config);
  const engine = createJwtEngine(config, policy);
  const ring = await loadKeyRing(config);
  const sign = createAccessTokenSigner(config, ring);
  return {
    engine,
    /** Full issue: refresh family + access token. */
    async issue(user) {
      const credentials = await engine.issue(user, CLIENT);
      return { accessToken: credentials.accessToken, familyId: credentials.sessionId, refreshToken: credentials.refreshToken };
    },
    /** Access token only, for a fresh family id. */
    async mint(user) {
      const { token } = await sign({ sub: user.id, sid: randomBytes(16).toString('base64url'), roles: user.roles });
      return token;
    },
  };
}

// ---- peers ---------------------------------------------------------------------------------------

/**
 * Sessions in connect-redis's format, written through its own `RedisStore.set`, with the cookie
 * express-session expects (`connect.sid=s:<sid>.<HMAC>`, cookie-signature).
 */
export async function seedExpressSessions(redisUrl, secret, count, usersCount) {
  const { RedisStore } = await import('connect-redis');
  const { Redis } = await import('ioredis');
  const client = new Redis(redisUrl, { enableAutoPipelining: true });
  const store = new RedisStore({ client, prefix: 'sess:' });
  const maxAge = 7 * 24 * 3600 * 1000;
  try {
    return await inBatches(count, 128, async (i) => {
      const sid = randomBytes(24).toString('base64url');
      const data = {
        cookie: { originalMaxAge: maxAge, expires: new Date(Date.now() + maxAge).toISOString(), httpOnly: true, path: '/', sameSite: 'lax' },
        userId: `u${i % usersCount}`,
        email: `user${i % usersCount}@bench.test`,
        roles: [],
      };
      await new Promise((resolve, reject) => store.set(sid, data, (err) => (err ? reject(err) : resolve())));
      // cookie-signature's sign(): value.base64(HMAC-SHA256) without padding.
      const mac = createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '');
      return `connect.sid=${encodeURIComponent(`s:${sid}.${mac}`)}`;
    });
  } finally {
    client.disconnect();
  }
}

/**
 * better-auth users and sessions in its SQLite schema (rows as its Kysely adapter writes them:
 * ISO dates, 32-character ids and tokens), and the signed cookie its `getSession` accepts:
 * `better-auth.session_token=<token>.<base64 HMAC-SHA256(secret, token)>`, URI-encoded.
 * The first row is cross-checked against `auth.api.getSession` by the caller.
 */
export function seedBetterAuth(db, secret, { users, sessions, prefix = 'user', offset = 0 }) {
  const id = () => randomBytes(24).toString('base64url').slice(0, 32);
  const now = new Date();
  const iso = now.toISOString();
  const expires = new Date(now.getTime() + 7 * 24 * 3600 * 1000).toISOString();
  const insertUser = db.prepare('INSERT INTO "user" (id, name, email, emailVerified, image, createdAt, updatedAt) VALUES (?, ?, ?, 0, NULL, ?, ?)');
  const insertSession = db.prepare(
    'INSERT INTO "session" (id, expiresAt, token, createdAt, updatedAt, ipAddress, userAgent, userId) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const userIds = [];
  const cookies = [];
  db.transaction(() => {
    if (users > 0) {
      for (let i = 0; i < users; i++) {
        const userId = id();
        insertUser.run(userId, `${prefix}${i}`, `${prefix}${i}@bench.test`, iso, iso);
        userIds.push(userId);
      }
    } else {
      for (const row of db.prepare('SELECT id FROM "user" ORDER BY email').all()) userIds.push(row.id);
    }
    for (let i = 0; i < sessions; i++) {
      const token = id();
      insertSession.run(id(), expires, token, iso, iso, '', 'tessera-bench', userIds[(i + offset) % userIds.length]);
      const mac = createHmac('sha256', secret).update(token).digest('base64');
      cookies.push(`better-auth.session_token=${encodeURIComponent(`${token}.${mac}`)}`);
    }
  })();
  return cookies;
}
