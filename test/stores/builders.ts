import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { ActiveSession, ActiveUser, Revocation, RevocationCheck, SessionWithUser, Store, StoredRefreshFamily, StoredSession, StoredSigningKey, StoredUser } from '../../src/stores/types.js';

/** The fixed base time of every store test; tests pass explicit `now`s relative to it. */
export const T0 = Date.parse('2026-01-01T00:00:00Z');
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A random SHA-256-sized value, base64url, like a token hash. */
export function randomHash(): string {
  return randomBytes(32).toString('base64url');
}

/** A user with a random id and email. */
export function buildUser(overrides: Partial<StoredUser> = {}): StoredUser {
  const id = randomUUID();
  return {
    id,
    email: `${id}@example.test`,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA',
    roles: ['user'],
    disabled: false,
    createdAt: T0,
    ...overrides,
  };
}

/** A session of `userId`, live from T0 for 7 days idle and 30 days absolute. */
export function buildSession(userId: string, overrides: Partial<StoredSession> = {}): StoredSession {
  return {
    id: randomUUID(),
    tokenHash: randomHash(),
    userId,
    createdAt: T0,
    lastSeenAt: T0,
    idleExpiresAt: T0 + 7 * DAY,
    absoluteExpiresAt: T0 + 30 * DAY,
    userAgent: 'vitest',
    ip: '192.0.2.1',
    ...overrides,
  };
}

/** A fresh refresh family of `userId`, expiring 30 days after T0. */
export function buildFamily(userId: string, overrides: Partial<StoredRefreshFamily> = {}): StoredRefreshFamily {
  return {
    id: randomUUID(),
    userId,
    currentHash: randomHash(),
    previousHash: null,
    rotatedAt: null,
    createdAt: T0,
    lastSeenAt: T0,
    expiresAt: T0 + 30 * DAY,
    userAgent: 'vitest',
    ip: '192.0.2.1',
    ...overrides,
  };
}

/** A per-user revocation, kept for an hour after T0 unless told otherwise. */
export function buildUserRevocation(userId: string, notBefore: number, expiresAt = T0 + HOUR): Revocation {
  return { kind: 'user', userId, notBefore, expiresAt, createdAt: T0 };
}

/** A per-family revocation, kept for an hour after T0 unless told otherwise. */
export function buildFamilyRevocation(userId: string, familyId: string, expiresAt = T0 + HOUR): Revocation {
  return { kind: 'family', familyId, userId, expiresAt, createdAt: T0 };
}

/** An active signing key with a random kid. */
export function buildKey(overrides: Partial<StoredSigningKey> = {}): StoredSigningKey {
  const kid = randomUUID();
  return {
    kid,
    alg: 'EdDSA',
    privateJwk: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: randomHash(), d: randomHash(), kid }),
    publicJwk: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: randomHash(), kid }),
    state: 'active',
    createdAt: T0,
    retireAt: null,
    ...overrides,
  };
}

/** What `getWithUser` answers for a stored session: the fields authentication needs, nothing else. */
export function active(session: StoredSession): ActiveSession {
  const { id, userId, createdAt, lastSeenAt, idleExpiresAt, absoluteExpiresAt } = session;
  return { id, userId, createdAt, lastSeenAt, idleExpiresAt, absoluteExpiresAt };
}

/** What `getWithUser` answers for a stored user: no password hash. */
export function activeUser(user: StoredUser): ActiveUser {
  const { id, email, roles, disabled, createdAt } = user;
  return { id, email, roles, disabled, createdAt };
}

/**
 * One event-loop turn of session lookups for the stores that batch them (SQLite, PostgreSQL): 300
 * live sessions (more than one batch holds), one of them asked twice, an unknown hash, a session
 * live at one call's `now` and idled out at another's, one past its absolute expiry. `check`
 * asserts that each call got its own answer, at its own `now`.
 */
export async function seedOneTurnOfLookups(store: Store): Promise<{
  live: StoredSession[];
  calls: Array<[string, number]>;
  check(results: ReadonlyArray<SessionWithUser | null>): void;
}> {
  const user = buildUser();
  await store.users.create(user);
  const live = Array.from({ length: 300 }, () => buildSession(user.id));
  const idling = buildSession(user.id, { idleExpiresAt: T0 + DAY });
  for (const session of [...live, idling]) await store.sessions.create(session);
  const calls: Array<[string, number]> = [
    ...live.map((s): [string, number] => [s.tokenHash, T0 + MINUTE]),
    [live[0]!.tokenHash, T0 + MINUTE], // the same session twice in one batch
    [randomHash(), T0 + MINUTE], // unknown
    [idling.tokenHash, T0 + MINUTE], // live at this call's now…
    [idling.tokenHash, T0 + 2 * DAY], // …and expired at this one's, in the same batch
    [live[1]!.tokenHash, T0 + 31 * DAY], // past its absolute expiry
  ];
  const answer = (session: StoredSession) => ({ session: active(session), user: activeUser(user) });
  return {
    live,
    calls,
    check(results) {
      expect(results).toHaveLength(calls.length);
      live.forEach((session, i) => expect(results[i]).toStrictEqual(answer(session)));
      expect(results[300]).toStrictEqual(answer(live[0]!));
      expect(results[300]).not.toBe(results[0]);
      expect(results.slice(301)).toStrictEqual([null, answer(idling), null, null]);
    },
  };
}

/**
 * One event-loop turn of revocation checks for the stores that batch them (Redis, PostgreSQL): 300
 * checks of nothing (more than one batch holds), then a user entry and a family entry each checked
 * at a `now` where it is live and at one where it has expired, and both at once. Returns the calls
 * with the answer each must get, at its own `now`.
 */
export async function seedOneTurnOfChecks(store: Store): Promise<Array<[userId: string, familyId: string, now: number, expected: RevocationCheck]>> {
  const revokedUser = randomUUID();
  const revokedFamily = randomUUID();
  await store.revocations.put(buildUserRevocation(revokedUser, T0 + 5, T0 + MINUTE));
  await store.revocations.put(buildFamilyRevocation(randomUUID(), revokedFamily, T0 + MINUTE));
  const none: RevocationCheck = { userNotBefore: null, familyRevoked: false };
  return [
    ...Array.from({ length: 300 }, (): [string, string, number, RevocationCheck] => [randomUUID(), randomUUID(), T0, none]),
    [revokedUser, randomUUID(), T0, { userNotBefore: T0 + 5, familyRevoked: false }],
    // The same entries at another call's now: expired there.
    [revokedUser, randomUUID(), T0 + MINUTE, none],
    [randomUUID(), revokedFamily, T0, { userNotBefore: null, familyRevoked: true }],
    [randomUUID(), revokedFamily, T0 + MINUTE, none],
    [revokedUser, revokedFamily, T0 + MINUTE - 1, { userNotBefore: T0 + 5, familyRevoked: true }],
  ];
}
