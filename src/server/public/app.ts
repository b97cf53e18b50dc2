/**
 * The demo page: sign up, log in and out, the running posture, your devices, the admin table and
 * (with `--demo`) the stolen-credential panel. Cookie transport only: this script never sees a token.
 */
import { ApiError, call, forgetLogin, useMode } from './api.js';
import { renderUsers } from './admin.js';
import { renderDevices } from './devices.js';
import { page, type PageControl } from './browser.js';
import { byId, onActionError, onPress, say } from './dom.js';
import { renderPosture, type Posture } from './posture.js';
import { createStolenPanel, type StolenPanel } from './stolen.js';

/** The answer of `GET /auth/me`. */
interface Me {
  user: { id: string; email: string; roles: string[] };
  session: { id: string; created_at: string; expires_at: string };
  mode: string;
}

const mode = page.body.dataset.mode ?? 'session';
let stolen: StolenPanel | null = null;
let signedIn = false;

async function loadPosture(): Promise<Posture> {
  const posture = await call<Posture>('GET', '/auth/posture');
  renderPosture(posture);
  return posture;
}

function showSignedOut(message?: string): void {
  const wasSignedIn = signedIn;
  signedIn = false;
  forgetLogin();
  for (const id of ['signed-in', 'devices', 'admin']) byId(id).hidden = true;
  byId('signed-out').hidden = false;
  for (const id of ['user-email', 'user-roles', 'user-session', 'devices-body', 'users-body']) byId(id).replaceChildren();
  if (message) say(message);
  if (wasSignedIn) {
    stolen?.signedOut();
    byId('email').focus();
  }
}

/** Reads `/auth/me` and shows what the server says about this login now. */
async function refreshView(): Promise<void> {
  let me: Me;
  try {
    me = await call<Me>('GET', '/auth/me');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return showSignedOut(signedIn ? 'Your login has ended.' : undefined);
    throw err;
  }
  const wasSignedIn = signedIn;
  signedIn = true;
  byId('signed-out').hidden = true;
  byId('signed-in').hidden = false;
  byId('devices').hidden = false;
  byId('user-email').textContent = me.user.email;
  byId('user-roles').textContent = me.user.roles.length ? me.user.roles.join(', ') : 'none';
  byId('user-session').textContent = me.session.id;
  await renderDevices(async (current) => {
    if (current) return showSignedOut('You revoked this device: logged out.');
    say('Device revoked.');
    await refreshView();
    byId('devices-title').focus();
  });
  const admin = me.user.roles.includes('admin');
  byId('admin').hidden = !admin;
  if (admin) await renderUsers(refreshView);
  else byId('users-body').replaceChildren();
  if (!wasSignedIn) await stolen?.signedIn();
  await loadPosture();
}

async function submitAuth(action: string, email: string, password: string): Promise<void> {
  if (action === 'signup') await call('POST', '/auth/signup', { email, password });
  await call('POST', '/auth/login', { email, password, transport: 'cookie' });
  byId<PageControl>('password').value = '';
  say(action === 'signup' ? `Account created; logged in as ${email}.` : `Logged in as ${email}.`);
  await refreshView();
  byId('logout').focus();
}

function wire(): void {
  onActionError((err) => {
    if (err instanceof ApiError && err.status === 401 && signedIn) return showSignedOut('Your login has ended.');
    say(err instanceof ApiError ? `${err.message} (${err.code})` : 'Something went wrong; see the browser console.', 'error');
  });
  const buttons = [byId<PageControl>('login'), byId<PageControl>('signup')];
  byId('auth-form').addEventListener('submit', (event) => {
    event.preventDefault();
    buttons.forEach((b) => (b.disabled = true));
    submitAuth(event.submitter?.value ?? 'login', byId<PageControl>('email').value, byId<PageControl>('password').value)
      .catch((err: unknown) => {
        const messages: Record<string, string> = {
          invalid_credentials: 'Wrong email or password.',
          conflict: 'An account with this email exists: log in instead.',
          rate_limited: 'Too many attempts; wait and try again.',
        };
        const code = err instanceof ApiError ? err.code : '';
        say(messages[code] ?? (err instanceof Error ? err.message : 'Could not log in.'), 'error');
      })
      .finally(() => buttons.forEach((b) => (b.disabled = false)));
  });
  onPress(byId<PageControl>('check'), async () => {
    await refreshView();
    if (signedIn) say('Checked with the server just now.');
  });
  onPress(byId<PageControl>('logout'), async () => {
    await call('POST', '/auth/logout');
    showSignedOut('Logged out.');
  });
  onPress(byId<PageControl>('logout-all'), async () => {
    await call('POST', '/auth/logout-all');
    showSignedOut('Logged out everywhere.');
  });
}

async function start(): Promise<void> {
  wire();
  const posture = await loadPosture();
  useMode(posture.mode);
  if (page.body.dataset.demo === 'on') stolen = createStolenPanel(mode, loadPosture);
  await refreshView();
  page.body.dataset.ready = 'true';
}

start().catch((err: unknown) => {
  say(`The page could not start: ${err instanceof Error ? err.message : String(err)}`, 'error');
});
