/**
 * Cross-tab coordination of `POST /auth/refresh`, so that ten open tabs refresh once, not ten
 * times. Only a completion timestamp is ever shared between tabs, never a token.
 * Browser-only code: no imports.
 */

/** The slice of the browser globals used here (declared locally: no DOM lib needed to compile). */
interface Channel {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
}
interface BrowserGlobals {
  navigator?: { locks?: { request<T>(name: string, callback: () => Promise<T>): Promise<T> } };
  localStorage?: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  BroadcastChannel?: new (name: string) => Channel;
}
type Message = { t: 'done' | 'claim' | 'abandon'; id: string; at: number };

const STORAGE_KEY = 'tessera-refresh-at';
/** Fallback election: how long claims are collected, and when a silent claimant is given up on. */
const CLAIM_WINDOW_MS = 100;
const CLAIM_STALE_MS = 10_000;

/**
 * Returns `refreshAfter(sentAt)`: makes sure the credentials were refreshed after `sentAt` (when
 * the request that got a 401 was sent), calling `refresh` at most once across tabs for one expiry.
 * With the Web Locks API the refresh runs under an exclusive lock; the tab that gets the lock
 * second sees the newer timestamp and only retries. Without it, tabs elect the lowest claim over a
 * BroadcastChannel. Resolves to whether fresh credentials are now in the cookie jar.
 */
export function createRefreshCoordinator(refresh: () => Promise<boolean>, name = 'tessera-refresh'): (sentAt: number) => Promise<boolean> {
  const g = globalThis as unknown as BrowserGlobals;
  const tabId = Math.random().toString(36).slice(2);
  const claims = new Map<string, number>();
  const wakers = new Set<() => void>();
  let lastDoneAt = 0;
  let inFlight: Promise<boolean> | null = null;
  let channel: Channel | null = null;
  try {
    channel = g.BroadcastChannel ? new g.BroadcastChannel(name) : null;
  } catch {
    channel = null;
  }
  if (channel) {
    channel.onmessage = ({ data }) => {
      const m = data as Message;
      if (m.t === 'claim') claims.set(m.id, m.at);
      else claims.delete(m.id);
      if (m.t === 'done') lastDoneAt = Math.max(lastDoneAt, m.at);
      for (const wake of wakers) wake();
    };
  }
  const post = (t: Message['t'], at: number) => channel?.postMessage({ t, id: tabId, at } satisfies Message);
  const refreshedAt = (): number => {
    let stored = 0;
    try {
      stored = Number(g.localStorage?.getItem(STORAGE_KEY)) || 0;
    } catch {
      // Storage can be blocked (privacy settings); the channel still carries the timestamp.
    }
    return Math.max(lastDoneAt, stored);
  };
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakers.add(done);
    });

  /** Refreshes unless a tab already did so after `sentAt`; publishes the completion time. */
  async function refreshUnlessDone(sentAt: number): Promise<boolean> {
    if (refreshedAt() > sentAt) return true;
    const ok = await refresh();
    if (ok) {
      const at = Date.now();
      lastDoneAt = Math.max(lastDoneAt, at);
      try {
        g.localStorage?.setItem(STORAGE_KEY, String(at));
      } catch {
        // See above: the channel message suffices.
      }
      post('done', at);
    }
    return ok;
  }

  /** Fallback without Web Locks: the lowest (time, id) claim refreshes, the others wait for it. */
  async function elect(sentAt: number): Promise<boolean> {
    if (!channel) return refreshUnlessDone(sentAt);
    const at = Date.now();
    claims.set(tabId, at);
    post('claim', at);
    await new Promise((resolve) => setTimeout(resolve, CLAIM_WINDOW_MS));
    try {
      for (;;) {
        if (refreshedAt() > sentAt) return true;
        const now = Date.now();
        for (const [id, claimedAt] of claims) if (id !== tabId && now - claimedAt > CLAIM_STALE_MS) claims.delete(id);
        const [winner] = [...claims].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
        if (!winner || winner[0] === tabId) return await refreshUnlessDone(sentAt);
        await wait(winner[1] + CLAIM_STALE_MS - now);
      }
    } finally {
      // A `done` was already posted on success; this only withdraws the claim.
      claims.delete(tabId);
      post('abandon', at);
    }
  }

  return (sentAt) => {
    // Within a tab, every request waiting on the same expiry shares one refresh.
    inFlight ??= (g.navigator?.locks ? g.navigator.locks.request(name, () => refreshUnlessDone(sentAt)) : elect(sentAt)).finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
}
