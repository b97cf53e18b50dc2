/** "Your devices": `GET /auth/sessions`, one row per login, each revocable. */
import type { ClientSession } from '../../client/create-client.js';
import { call } from './api.js';
import type { PageControl } from './browser.js';
import { byId, el, onPress, when } from './dom.js';

/** One row of `GET /auth/sessions` (the browser client's type; a type import, nothing is loaded). */
export type Device = ClientSession;

/** A short, readable name for a user agent string. */
function deviceName(userAgent: string | null): string {
  if (!userAgent) return 'unknown client';
  const browser = /(HeadlessChrome|Chrome|Chromium|Firefox|Safari|Edg|curl|node)\/[\d.]+/.exec(userAgent)?.[0];
  return browser ?? userAgent.slice(0, 60);
}

/**
 * Loads and shows the caller's devices. `onRevoke(current)` runs after a revocation, with
 * whether it was this very device (which is then logged out).
 */
export async function renderDevices(onRevoke: (current: boolean) => Promise<void>): Promise<void> {
  const { sessions } = await call<{ sessions: Device[] }>('GET', '/auth/sessions');
  const rows = sessions.map((s, index) => {
    const name = `${deviceName(s.user_agent)}${s.current ? ' (this device)' : ''}`;
    const revoke = el<PageControl>('button', { type: 'button', 'aria-label': `Revoke device ${index + 1}: ${name}, logged in ${when(s.created_at)}` }, 'Revoke');
    onPress(revoke, async () => {
      await call('DELETE', `/auth/sessions/${encodeURIComponent(s.id)}`);
      await onRevoke(s.current);
    });
    return el(
      'tr',
      { 'data-session': s.id, ...(s.current ? { 'data-current': 'true' } : {}) },
      el('td', {}, name),
      el('td', {}, s.ip ?? ''),
      el('td', {}, when(s.created_at)),
      el('td', {}, when(s.last_seen_at)),
      el('td', {}, when(s.expires_at)),
      el('td', {}, revoke),
    );
  });
  byId('devices-body').replaceChildren(...rows);
}
