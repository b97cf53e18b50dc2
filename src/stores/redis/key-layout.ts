/**
 * Every key and channel name of the Redis store, in one place. All names start with the store's
 * prefix. Per-user keys carry the hash tag `{u:<userId>}`, so in Redis Cluster a user's record, its
 * session and family indexes and its revocation entry all live on one slot and every script that
 * touches several of them stays on that slot. Records looked up by something other than the user
 * (a session by token hash, a family by id or by token hash) are keyed by that lookup value and so
 * spread over the cluster; the operations that join them to per-user keys are ordered so that a
 * partial failure can only leave unreachable garbage (see each sub-store), never a live record an
 * index misses.
 *
 * A prefix that itself contains a hash tag (`app{1}:`) pins the whole store to one slot, because
 * Redis hashes only the first `{…}` of a key; that is allowed and stays correct.
 *
 * | key | type | holds |
 * |---|---|---|
 * | `P{u:<id>}:user` | hash | the user |
 * | `P email:<email>` | string | user id (unique email, `SET NX`) |
 * | `P users` | zset | user ids by `createdAt` (ties by id) |
 * | `P session:<tokenHash>` | hash | the session (native TTL) |
 * | `P{u:<id>}:sessions` | hash | public session id → token hash |
 * | `P sessions:expiry` | zset | token hashes by a lower bound of their expiry (sweep) |
 * | `P family:<id>` | hash | the refresh family (native TTL) |
 * | `P refresh:<hash>` | string | family id, for its current and previous hash (native TTL) |
 * | `P{u:<id>}:families` | set | family ids |
 * | `P families:expiry` | zset | family ids by expiry (sweep) |
 * | `P{u:<id>}:revoked` | hash | the user's not-before entry (native TTL) |
 * | `P revoked-family:<id>` | hash | a family revocation (native TTL) |
 * | `P revocations:expiry` | zset | `u:<id>` / `f:<id>` by expiry (listActive, sweep) |
 * | `P{signing-keys}:kids` | set | kids |
 * | `P{signing-keys}:key:<kid>` | hash | a signing key |
 * | `P counter:<key>` | hash | count and window end (native TTL) |
 * | `P secret:<name>` | string | a secret |
 * | channel `P revocations` | pub/sub | the revocation feed |
 */
export interface KeyLayout {
  readonly prefix: string;
  user(userId: string): string;
  /** The two halves around the user id of {@link KeyLayout.user}, for a script that builds the key. */
  readonly userKeyParts: readonly [head: string, tail: string];
  userEmail(email: string): string;
  readonly usersByCreation: string;
  session(tokenHash: string): string;
  userSessions(userId: string): string;
  readonly sessionExpiry: string;
  family(familyId: string): string;
  familyByHash(tokenHash: string): string;
  userFamilies(userId: string): string;
  readonly familyExpiry: string;
  userRevocation(userId: string): string;
  familyRevocation(familyId: string): string;
  /** The record key of a member of {@link KeyLayout.revocationExpiry}; undefined for a malformed member. */
  revocationByMember(member: string): string | undefined;
  readonly revocationExpiry: string;
  readonly signingKids: string;
  signingKey(kid: string): string;
  counter(key: string): string;
  secret(name: string): string;
  readonly feedChannel: string;
}

/** Builds the key layout of a store with this prefix. */
export function createKeyLayout(prefix: string): KeyLayout {
  const userTag = (userId: string): string => `${prefix}{u:${userId}}`;
  const layout: KeyLayout = {
    prefix,
    user: (userId) => `${userTag(userId)}:user`,
    userKeyParts: [`${prefix}{u:`, '}:user'],
    userEmail: (email) => `${prefix}email:${email}`,
    usersByCreation: `${prefix}users`,
    session: (tokenHash) => `${prefix}session:${tokenHash}`,
    userSessions: (userId) => `${userTag(userId)}:sessions`,
    sessionExpiry: `${prefix}sessions:expiry`,
    family: (familyId) => `${prefix}family:${familyId}`,
    familyByHash: (tokenHash) => `${prefix}refresh:${tokenHash}`,
    userFamilies: (userId) => `${userTag(userId)}:families`,
    familyExpiry: `${prefix}families:expiry`,
    userRevocation: (userId) => `${userTag(userId)}:revoked`,
    familyRevocation: (familyId) => `${prefix}revoked-family:${familyId}`,
    revocationByMember: (member) => {
      if (member.startsWith('u:')) return layout.userRevocation(member.slice(2));
      if (member.startsWith('f:')) return layout.familyRevocation(member.slice(2));
      return undefined;
    },
    revocationExpiry: `${prefix}revocations:expiry`,
    signingKids: `${prefix}{signing-keys}:kids`,
    signingKey: (kid) => `${prefix}{signing-keys}:key:${kid}`,
    counter: (key) => `${prefix}counter:${key}`,
    secret: (name) => `${prefix}secret:${name}`,
    feedChannel: `${prefix}revocations`,
  };
  return layout;
}
