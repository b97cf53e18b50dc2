import type { ResolvedConfig } from '../config.js';
import type { FeedObservation } from '../posture.js';
import type { Revocation } from '../../stores/types.js';
import type { AccessClaims } from '../tokens/verify-access.js';
import { issuedBefore, minIatAfter, revocationLifetimeMs, type RevocationPolicy } from './revocation-check.js';

/** The jwt-push policy also reports what it has observed of its feed. */
export interface PushRevocations extends RevocationPolicy {
  observe(): FeedObservation;
}

const DELAY_SAMPLES = 1024;
const PRUNE_EVERY_MS = 10_000;

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * `jwt-push`: verification stays local; revocations are written to the store, published on its
 * feed, and kept in memory by every instance only until no token they affect can still be valid.
 * After a start or a reconnect the instance reloads every live revocation from the store before it
 * trusts its memory again, and while the feed is down longer than `feedStaleAfterMs` it checks the
 * store on every request: no revocation is ever missed, and a store that is down too means 503.
 */
export function createPushRevocations(config: ResolvedConfig): PushRevocations {
  const { store, clock } = config;
  const lifetime = revocationLifetimeMs(config);
  const staleAfterMs = config.jwt.feedStaleAfterMs;
  const users = new Map<string, { notBefore: number; expiresAt: number }>();
  const families = new Map<string, number>();
  const delays: number[] = [];
  /** Whether the subscription is live, as the feed last reported. */
  let feedUp = false;
  /** Whether memory holds every revocation up to the moment the feed was last up. */
  let synced = false;
  /** When the feed went down (or the instance started); null while it is up. */
  let downSince: number | null = clock.now();
  let unsubscribe: (() => Promise<void>) | undefined;
  let lastPrune = clock.now();
  let resyncing: Promise<void> | undefined;
  /** Counts the feed's 'up' reports, so a resync can tell whether the feed flapped meanwhile. */
  let upGeneration = 0;

  function remember(r: Revocation): void {
    if (r.kind === 'user') {
      const prev = users.get(r.userId);
      if (!prev || prev.notBefore < r.notBefore) users.set(r.userId, { notBefore: r.notBefore, expiresAt: Math.max(r.expiresAt, prev?.expiresAt ?? 0) });
    } else {
      families.set(r.familyId, Math.max(r.expiresAt, families.get(r.familyId) ?? 0));
    }
  }

  function prune(now: number): void {
    if (now - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = now;
    for (const [k, v] of users) if (v.expiresAt <= now) users.delete(k);
    for (const [k, v] of families) if (v <= now) families.delete(k);
  }

  /** Reloads every live revocation from the store; memory is trusted again only if the feed stayed up. */
  async function resync(): Promise<void> {
    resyncing ??= (async () => {
      // If the feed flaps while we read, what we read may predate a missed message: read again.
      for (let attempt = 0; attempt < 5; attempt++) {
        const generation = upGeneration;
        const entries = await store.revocations.listActive(clock.now());
        for (const r of entries) remember(r);
        if (!feedUp) return;
        if (generation === upGeneration) {
          synced = true;
          downSince = null;
          return;
        }
      }
    })().finally(() => {
      resyncing = undefined;
    });
    return resyncing;
  }

  function onMessage(r: Revocation): void {
    remember(r);
    delays.push(Math.max(0, clock.now() - r.createdAt));
    if (delays.length > DELAY_SAMPLES) delays.splice(0, delays.length - DELAY_SAMPLES);
  }

  function onStatus(next: 'up' | 'down'): void {
    if (next === 'down') {
      feedUp = false;
      downSince ??= clock.now();
    } else {
      feedUp = true;
      upGeneration++;
      // Whatever was published while we were away is in the store: reload before trusting memory.
      synced = false;
      resync().catch(() => {});
    }
  }

  /** Memory is trusted while the feed is up and synced, or for `feedStaleAfterMs` after it dropped. */
  function memoryTrusted(now: number): boolean {
    if (!synced) return false;
    if (feedUp) return true;
    return downSince !== null && now - downSince < staleAfterMs;
  }

  const status = (): 'up' | 'down' | 'syncing' => (!feedUp ? 'down' : synced ? 'up' : 'syncing');

  async function publish(r: Revocation): Promise<void> {
    // Written, then published (one script on a single Redis server): a message is never about an
    // entry that an instance reloading after missing it could not find.
    await store.revocations.put(r, { publish: true });
    remember(r);
  }

  /** Fail closed: the feed is stale, so the store answers (a store error becomes 503 upstream). */
  async function isRevokedInStore(claims: AccessClaims, now: number): Promise<boolean> {
    if (feedUp && !resyncing) resync().catch(() => {});
    const state = await store.revocations.check(claims.sub, claims.sid, now);
    return state.familyRevoked || issuedBefore(claims.iat, state.userNotBefore);
  }

  return {
    isRevoked(claims: AccessClaims) {
      const now = clock.now();
      prune(now);
      if (!memoryTrusted(now)) return isRevokedInStore(claims, now);
      const fam = families.get(claims.sid);
      if (fam !== undefined && fam > now) return true;
      const user = users.get(claims.sub);
      return user !== undefined && user.expiresAt > now && issuedBefore(claims.iat, user.notBefore);
    },

    async revokeFamily(userId, familyId) {
      const now = clock.now();
      await publish({ kind: 'family', familyId, userId, createdAt: now, expiresAt: now + lifetime });
    },

    async revokeUser(userId) {
      const now = clock.now();
      await publish({ kind: 'user', userId, notBefore: now, createdAt: now, expiresAt: now + lifetime });
    },

    async minIssuedAt(userId) {
      const now = clock.now();
      const { userNotBefore } = await store.revocations.check(userId, '', now);
      return minIatAfter(now, userNotBefore);
    },

    async init() {
      if (!unsubscribe) unsubscribe = await store.feed.subscribe(onMessage, onStatus);
      if (!synced) await resync();
    },

    async close() {
      const stop = unsubscribe;
      unsubscribe = undefined;
      if (stop) await stop();
    },

    observe() {
      const sorted = [...delays].sort((a, b) => a - b);
      const now = clock.now();
      return {
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        stale: !memoryTrusted(now),
        samples: sorted.length,
        entries: users.size + families.size,
        status: status(),
      };
    },
  };
}
