/**
 * `tessera/client` in real Chromium: the CSRF header is handled for the caller on the app's own
 * routes (fetched from `GET /auth/csrf` in a tab that did not log in), a plain `fetch` without it
 * is refused, and logout ends the login for every tab.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ensureChromium } from '../services/chromium.js';
import { launchBrowser, startClientTestApp } from './client-support.js';

const LOGIN = `tessera.signup('csrf@example.com', 'correct horse battery').then(() => tessera.login('csrf@example.com', 'correct horse battery'))`;
const POST_NOTE = `tessera.fetch('/notes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hi' }) })
  .then(async (r) => [r.status, await r.json()])`;
const PLAIN_POST = `fetch('/notes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  .then(async (r) => [r.status, (await r.json()).code])`;
const ME_ERROR = `tessera.me().then(() => 'ok', (e) => [e.name, e.status, e.code])`;

async function openTab(url: string, newPage: () => Promise<Page>): Promise<Page> {
  const page = await newPage();
  await page.goto(url);
  await page.waitForFunction('document.title === "ready"', undefined, { timeout: 10_000 });
  return page;
}

describe('tessera/client CSRF handling in Chromium', () => {
  beforeAll(() => {
    ensureChromium();
  }, 900_000);

  it("adds X-CSRF-Token to the app's own unsafe requests; a plain fetch is refused", async () => {
    const app = await startClientTestApp();
    const browser = await launchBrowser();
    try {
      const first = await openTab(`${app.origin}/`, () => browser.context.newPage());
      const second = await openTab(`${app.origin}/`, () => browser.context.newPage());
      await first.evaluate(LOGIN);
      expect(await first.evaluate(PLAIN_POST)).toEqual([403, 'csrf_rejected']);
      expect(await first.evaluate(POST_NOTE)).toEqual([200, { saved: 1 }]);
      // The second tab never saw the login response: the client asks GET /auth/csrf once.
      expect(await second.evaluate(POST_NOTE)).toEqual([200, { saved: 2 }]);
      expect(await second.evaluate(POST_NOTE)).toEqual([200, { saved: 3 }]);
      expect(app.log.filter((line) => line.startsWith('GET /auth/csrf'))).toEqual(['GET /auth/csrf 200']);
      expect(app.notes).toEqual([1, 2, 3].map(() => ({ by: 'csrf@example.com', body: { text: 'hi' } })));

      await second.evaluate('tessera.logout()');
      expect(await first.evaluate(ME_ERROR)).toEqual(['TesseraClientError', 401, 'unauthenticated']);
      expect(await first.evaluate(POST_NOTE)).toEqual([401, expect.objectContaining({ code: 'unauthenticated' })]);
      expect(app.notes).toHaveLength(3);
    } finally {
      await browser.close();
      await app.close();
    }
  }, 60_000);
});
