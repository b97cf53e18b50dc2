/**
 * The stolen-credential panel (demo only). The server keeps a copy of the credential cookie this
 * browser sent (`POST /demo/stolen` answers with a handle, never the credential) and replays it on
 * request (`GET /demo/stolen/:handle`). After logout the panel polls the copy and shows, live,
 * whether a thief holding it could still get in.
 */
import { ApiError, call } from './api.js';
import type { PageControl } from './browser.js';
import { byId, count, duration } from './dom.js';
import type { Posture } from './posture.js';

/** The answer of `GET /demo/stolen/:handle` (times in the server's clock). */
interface Replay {
  works: boolean;
  reason?: string;
  mode: string;
  now: string;
  copied_at: string;
  expires_at?: string;
  window_ms: number;
}

const POLL_MS = 1000;

const EXPECTED: Record<string, string> = {
  session: 'Expected in the session posture: the copy dies at once on logout, because every request looks the session up and logout deleted it.',
  'jwt-denylist': 'Expected in the jwt-denylist posture: the copy dies at once on logout, because every request checks the denylist.',
  jwt: 'Expected in the jwt posture: the copy keeps working after logout until its access token expires. Nothing checks it before exp.',
  'jwt-push': 'Expected in the jwt-push posture: the copy dies once the revocation has reached this instance over the feed (the propagation delay).',
};

/** m:ss */
function clock(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

/** The panel's controller. */
export interface StolenPanel {
  signedIn(): Promise<void>;
  signedOut(): void;
}

/** Sets up the panel; `loadPosture` re-reads `/auth/posture` (the jwt-push feed's measured delay). */
export function createStolenPanel(mode: string, loadPosture: () => Promise<Posture>): StolenPanel {
  const status = byId('stolen-status');
  // Outside the live region: a screen reader announces state changes, not every tick.
  const countdown = byId('stolen-countdown');
  const button = byId<PageControl>('steal');
  byId('stolen').hidden = false;
  byId('stolen-expect').textContent = EXPECTED[mode] ?? '';
  let handle: string | null = null;
  /** `performance.now()` when this page saw the logout; null while signed in. */
  let loggedOutAt: number | null = null;
  let pollsAfterLogout = 0;
  /** The server's clock at the first replay after logout (the jwt countdown runs on server time). */
  let loggedOutServerAt: number | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped by every poll: an answer to an older poll is ignored, so only one chain of polls runs. */
  let generation = 0;

  const show = (state: 'none' | 'works' | 'dead', text: string, expiry = '') => {
    status.dataset.state = state;
    if (status.textContent !== text) status.textContent = text;
    countdown.textContent = expiry;
    countdown.hidden = expiry === '';
  };

  async function describeDeath(replay: Replay, elapsedMs: number): Promise<string> {
    const reason = replay.reason ?? 'refused';
    if (loggedOutAt === null) return `This copy no longer works (${reason}). Copy the credential again to watch the next logout.`;
    if (mode === 'jwt') {
      const serverElapsedMs = Date.parse(replay.now) - (loggedOutServerAt ?? Date.parse(replay.now));
      return `The copy is dead now (${reason}): its access token reached exp, ${duration(serverElapsedMs)} after you logged out (server time).`;
    }
    if (mode === 'jwt-push') {
      const feed = (await loadPosture().catch(() => null))?.feed;
      const measured = feed && feed.samples > 0
        ? `This instance measures its feed at p50 ${duration(feed.p50_ms ?? 0)}, p99 ${duration(feed.p99_ms ?? 0)} over ${count(feed.samples, 'revocation')}.`
        : 'This instance has not measured its feed yet.';
      return `The copy is dead (${reason}): the revocation arrived, and the copy was refused ${duration(elapsedMs)} after the logout. ${measured}`;
    }
    const when = pollsAfterLogout === 1 ? 'at once: refused on the first try after logout' : `after ${pollsAfterLogout} tries`;
    return `The copy is dead ${when} (${reason}, ${duration(elapsedMs)} after the logout).`;
  }

  async function poll(): Promise<void> {
    clearTimeout(timer);
    if (handle === null) return;
    const polled = handle;
    const mine = ++generation;
    let replay: Replay;
    try {
      replay = await call<Replay>('GET', `/demo/stolen/${encodeURIComponent(polled)}`);
    } catch (err) {
      if (mine !== generation) return;
      if (err instanceof ApiError && err.status === 404) {
        handle = null;
        show('none', 'The server forgot this copy (it keeps the latest 100).');
        return;
      }
      timer = setTimeout(() => void poll(), POLL_MS);
      return;
    }
    if (mine !== generation || polled !== handle) return;
    if (loggedOutAt !== null && pollsAfterLogout++ === 0) loggedOutServerAt = Date.parse(replay.now);
    const elapsedMs = loggedOutAt === null ? 0 : performance.now() - loggedOutAt;
    if (!replay.works) {
      show('dead', await describeDeath(replay, elapsedMs));
      return; // A refused copy never works again: stop polling.
    }
    const left = replay.expires_at ? Date.parse(replay.expires_at) - Date.parse(replay.now) : null;
    const expiry = left === null ? '' : `Its access token expires in ${clock(left)} (server time).`;
    if (loggedOutAt === null) {
      show('works', 'The copy works, as expected while you are logged in. Log out and watch it.', expiry);
    } else if (mode === 'jwt') {
      show('works', 'You logged out, and the copy STILL WORKS: nothing checks an access token before its exp.', expiry);
    } else {
      show('works', 'You logged out; the copy still works for now, waiting for the revocation to arrive…', expiry);
    }
    timer = setTimeout(() => void poll(), POLL_MS);
  }

  async function copy(): Promise<void> {
    const { handle: fresh } = await call<{ handle: string }>('POST', '/demo/stolen');
    handle = fresh;
    loggedOutAt = null;
    loggedOutServerAt = null;
    pollsAfterLogout = 0;
    await poll();
  }

  button.addEventListener('click', () => {
    copy().catch(() => show('none', 'Could not copy the credential; try again.'));
  });

  return {
    async signedIn() {
      button.disabled = false;
      if (handle === null || loggedOutAt !== null || status.dataset.state === 'dead') await copy();
    },
    signedOut() {
      button.disabled = true;
      if (handle === null || loggedOutAt !== null) return;
      loggedOutAt = performance.now();
      pollsAfterLogout = 0;
      void poll();
    },
  };
}
