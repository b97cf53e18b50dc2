/**
 * The demo page in real Chromium: keyboard-only sign up / log in / log out, labels on every
 * control, no credential visible to page script, and the security headers of the page and assets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { COOKIE_NAMES } from '../../src/http/cookies.js';
import { startTestServer } from '../helpers/server.js';
import { ADMIN, expectNoCredentialInBodies, launchChromium, MODES, openDemo, PASSWORD, POLL, startDemoServer, submitCredentials, waitSignedIn } from './demo-support.js';

const AUTH_COOKIES: string[] = Object.values(COOKIE_NAMES);

/** The id of the focused element. */
async function focusedId(page: Page): Promise<string | undefined> {
  return page.evaluate<string | undefined>('document.activeElement?.id');
}

/** Controls without a label or an accessible name, as HTML. */
const UNLABELLED_CONTROLS = `[...document.querySelectorAll('input, button, select, textarea')]
  .filter((control) => {
    if (control.getAttribute('aria-label')?.trim()) return false;
    if (control.tagName === 'BUTTON') return !control.textContent.trim();
    return ![...(control.labels ?? [])].some((label) => label.textContent.trim());
  })
  .map((control) => control.outerHTML)`;

/** Presses Tab until the element with this id has the focus (keyboard only, no clicks). */
async function tabTo(page: Page, id: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    if ((await focusedId(page)) === id) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached #${id}`);
}

describe('demo page basics in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 900_000);
  afterAll(async () => {
    await browser?.close();
  });

  for (const mode of MODES) {
    it(`${mode}: keyboard only — sign up, see the user, log out, log in again; no token reaches the page`, async () => {
      const server = await startDemoServer(mode);
      const context = await browser.newContext();
      try {
        const demo = await openDemo(context, server);
        const { page } = demo;
        expect(await page.locator('#signed-out').isVisible()).toBe(true);

        await tabTo(page, 'email');
        await page.keyboard.type('Keys@Example.com');
        await page.keyboard.press('Tab');
        await page.keyboard.type(PASSWORD);
        await tabTo(page, 'signup');
        await page.keyboard.press('Enter');
        await waitSignedIn(page, 'keys@example.com');
        expect(await page.locator('#user-roles').textContent()).toBe('none');
        await expect.poll(() => page.locator('#devices-body tr').count(), POLL).toBe(1);
        expect(await page.locator('#admin').isVisible()).toBe(false);

        // HttpOnly: page script cannot read any credential cookie, though the browser holds them.
        const visible = await page.evaluate<string>('document.cookie');
        for (const name of AUTH_COOKIES) expect(visible).not.toContain(name);
        const held = (await context.cookies()).filter((c) => AUTH_COOKIES.includes(c.name));
        expect(held.length).toBe(mode === 'session' ? 1 : 2);
        for (const cookie of held) {
          expect(cookie.httpOnly).toBe(true);
          expect(cookie.secure).toBe(true);
        }

        // The page focused "Log out" after login: Enter logs out, and focus returns to the form.
        await expect.poll(() => focusedId(page), POLL).toBe('logout');
        await page.keyboard.press('Enter');
        await expect.poll(() => page.locator('#signed-out').isVisible(), POLL).toBe(true);
        expect(await page.locator('#status').textContent()).toBe('Logged out.');
        await expect.poll(() => focusedId(page), POLL).toBe('email');

        await page.keyboard.press('ControlOrMeta+A'); // the field still holds the last email
        await page.keyboard.type('keys@example.com');
        await page.keyboard.press('Tab');
        await page.keyboard.type(PASSWORD);
        await page.keyboard.press('Enter'); // the form's first button: "Log in"
        await waitSignedIn(page, 'keys@example.com');

        // No response the page received carries a credential in its body.
        expect(await expectNoCredentialInBodies(demo, context)).toBeGreaterThanOrEqual(mode === 'session' ? 2 : 4);
        expect(demo.errors).toEqual([]);
      } finally {
        await context.close();
        await server.close();
      }
    }, 60_000);
  }

  it('jwt: reloaded after its access token expired, the page gets its CSRF token from the refresh cookie, refreshes with it and stays signed in', async () => {
    const server = await startDemoServer('jwt');
    const context = await browser.newContext();
    try {
      const demo = await openDemo(context, server);
      const { page } = demo;
      // The signed-in view loads the posture last; reloading while that request is in flight would
      // abort it (a requestfailed the page did not cause), so the reload waits for it to finish.
      const postureLoaded = page.waitForEvent('requestfinished', (request) => new URL(request.url()).pathname === '/auth/posture');
      await submitCredentials(page, 'Sign up', 'reload@example.com');
      await postureLoaded;
      const refreshes: Array<{ csrf: string | undefined; status: number }> = [];
      page.on('response', (response) => {
        if (new URL(response.url()).pathname === '/auth/refresh') refreshes.push({ csrf: response.request().headers()['x-csrf-token'], status: response.status() });
      });
      // An hour later the access token is long expired; the refresh family (30 days) is not.
      server.clock.advance(3_600_000);
      await page.reload();
      await page.waitForSelector('body[data-ready="true"]');
      await waitSignedIn(page, 'reload@example.com');
      expect(refreshes).toEqual([{ csrf: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), status: 200 }]);
      expect(demo.errors).toEqual([]);
    } finally {
      await context.close();
      await server.close();
    }
  }, 60_000);

  it('every control has a label or an accessible name (admin view, all panels shown)', async () => {
    const server = await startDemoServer('session');
    const context = await browser.newContext();
    try {
      const demo = await openDemo(context, server);
      const { page } = demo;
      await submitCredentials(page, 'Log in', ADMIN.email, ADMIN.password);
      await expect.poll(() => page.locator('#users-body tr').count(), POLL).toBe(1);
      const unlabelled = await page.evaluate<string[]>(UNLABELLED_CONTROLS);
      expect(unlabelled).toEqual([]);
      expect(await page.getByLabel(`Roles of ${ADMIN.email}`, { exact: true }).inputValue()).toBe('admin');
      expect(demo.errors).toEqual([]);
    } finally {
      await context.close();
      await server.close();
    }
  }, 60_000);

  it('the page and its assets carry the security headers; demo routes need a CSRF token', async () => {
    const server = await startDemoServer('session');
    const context = await browser.newContext();
    try {
      for (const path of ['/', '/assets/app.js', '/assets/api.js', '/assets/app.css', '/assets/icon.svg']) {
        const res = await fetch(`${server.url}${path}`);
        expect(res.status, path).toBe(200);
        const csp = res.headers.get('content-security-policy') ?? '';
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).toContain("script-src 'self'");
        expect(csp).not.toContain('unsafe-inline');
        expect(csp).not.toContain('unsafe-eval');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        expect(res.headers.get('x-frame-options')).toBe('DENY');
        expect(res.headers.get('cache-control')).toBe('no-store');
      }
      expect((await fetch(`${server.url}/`)).headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect((await fetch(`${server.url}/assets/app.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect((await fetch(`${server.url}/assets/app.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
      expect((await fetch(`${server.url}/assets/nope.js`)).status).toBe(404);

      // POST /demo/stolen is an unsafe route like any other: the cookie alone is not enough.
      const demo = await openDemo(context, server);
      await submitCredentials(demo.page, 'Log in', ADMIN.email, ADMIN.password);
      const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
      const headers = { cookie, origin: server.origin };
      const refused = await fetch(`${server.url}/demo/stolen`, { method: 'POST', headers });
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { code: string }).code).toBe('csrf_rejected');
      const csrf = ((await (await fetch(`${server.url}/auth/csrf`, { headers })).json()) as { csrf_token: string }).csrf_token;
      const copied = await fetch(`${server.url}/demo/stolen`, { method: 'POST', headers: { ...headers, 'x-csrf-token': csrf } });
      expect(copied.status).toBe(201);
      const { handle } = (await copied.json()) as { handle: string };
      const replay = await fetch(`${server.url}/demo/stolen/${handle}`);
      const text = await replay.text();
      expect(JSON.parse(text)).toMatchObject({ works: true, mode: 'session', window_ms: 0 });
      for (const c of await context.cookies()) expect(text).not.toContain(c.value);
      expect(demo.errors).toEqual([]);
    } finally {
      await context.close();
      await server.close();
    }
  }, 60_000);

  it('without --demo the page works and the demo routes do not exist', async () => {
    const server = await startTestServer({ mode: 'jwt', demo: false, store: 'memory', tessera: { password: { memoryKiB: 1024, timeCost: 1 } } });
    const context = await browser.newContext();
    try {
      expect((await fetch(`${server.url}/demo/stolen`, { method: 'POST' })).status).toBe(404);
      expect((await fetch(`${server.url}/demo/stolen/abc`)).status).toBe(404);
      const demo = await openDemo(context, server);
      await submitCredentials(demo.page, 'Sign up', 'plain@example.com');
      expect(await demo.page.locator('#stolen').isVisible()).toBe(false);
      expect(demo.errors).toEqual([]);
    } finally {
      await context.close();
      await server.close();
    }
  }, 60_000);
});
