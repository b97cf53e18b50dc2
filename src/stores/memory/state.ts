import type { Revocation, StoredRefreshFamily, StoredSession, StoredSigningKey, StoredUser } from '../types.js';

/** A rate-limit window as the memory store keeps it. */
export interface CounterWindow {
  count: number;
  resetAt: number;
}

/** Everything the memory store holds: records keyed by their primary key, plus the indexes. */
export interface MemoryState {
  users: Map<string, StoredUser>;
  userIdByEmail: Map<string, string>;
  /** By token hash. */
  sessions: Map<string, StoredSession>;
  sessionHashById: Map<string, string>;
  sessionHashesByUser: Map<string, Set<string>>;
  /** By family id. */
  families: Map<string, StoredRefreshFamily>;
  familyIdByCurrentHash: Map<string, string>;
  familyIdByPreviousHash: Map<string, string>;
  familyIdsByUser: Map<string, Set<string>>;
  /** By `u:<userId>` or `f:<familyId>`. */
  revocations: Map<string, Revocation>;
  keys: Map<string, StoredSigningKey>;
  counters: Map<string, CounterWindow>;
  secrets: Map<string, string>;
}

/** Creates an empty state. */
export function createMemoryState(): MemoryState {
  return {
    users: new Map(),
    userIdByEmail: new Map(),
    sessions: new Map(),
    sessionHashById: new Map(),
    sessionHashesByUser: new Map(),
    families: new Map(),
    familyIdByCurrentHash: new Map(),
    familyIdByPreviousHash: new Map(),
    familyIdsByUser: new Map(),
    revocations: new Map(),
    keys: new Map(),
    counters: new Map(),
    secrets: new Map(),
  };
}

/** Empties every map of the state. */
export function clearMemoryState(state: MemoryState): void {
  for (const map of Object.values(state) as Array<Map<unknown, unknown>>) map.clear();
}

/** A copy of a user that shares nothing mutable with the original. */
export function copyUser(user: StoredUser): StoredUser {
  return { ...user, roles: [...user.roles] };
}

/** Adds `value` to the set under `key`. */
export function addToIndex(index: Map<string, Set<string>>, key: string, value: string): void {
  const values = index.get(key);
  if (values === undefined) index.set(key, new Set([value]));
  else values.add(value);
}

/** Removes `value` from the set under `key`, dropping the set when it empties. */
export function removeFromIndex(index: Map<string, Set<string>>, key: string, value: string): void {
  const values = index.get(key);
  if (values === undefined) return;
  values.delete(value);
  if (values.size === 0) index.delete(key);
}

/** Deletes a session and its index entries. True if there was one. */
export function removeSession(state: MemoryState, tokenHash: string): boolean {
  const session = state.sessions.get(tokenHash);
  if (session === undefined) return false;
  state.sessions.delete(tokenHash);
  state.sessionHashById.delete(session.id);
  removeFromIndex(state.sessionHashesByUser, session.userId, tokenHash);
  return true;
}

/** Deletes a refresh family and its index entries. True if there was one. */
export function removeFamily(state: MemoryState, id: string): boolean {
  const family = state.families.get(id);
  if (family === undefined) return false;
  state.families.delete(id);
  state.familyIdByCurrentHash.delete(family.currentHash);
  if (family.previousHash !== null && state.familyIdByPreviousHash.get(family.previousHash) === id) {
    state.familyIdByPreviousHash.delete(family.previousHash);
  }
  removeFromIndex(state.familyIdsByUser, family.userId, id);
  return true;
}
