/**
 * The stolen-credential panel in each posture, in real Chromium: after logout the server-side copy
 * of the browser's credential dies at once (session, jwt-denylist), lives until exp with a
 * countdown (jwt), or dies once the revocation crossed the feed (jwt-push, delay shown).
 * Also saves a screenshot of the main page per posture to test/browser/artifacts/.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Mode } from '../../src/core/config.js';
import { expectNoCredentialInBodies, launchChromium, MODES, openDemo, POLL, screenshot, signUp, startDemoServer } from './demo-support.js';

const ACCESS_TTL_SECONDS = 60;
const README_IMAGE_DIR = fileURLToPath(new URL('../../docs/img/', import.meta.url));

function stolenState(page: Page): Promise<string | null> {
  return page.locator('#stolen-status').getAttribute('data-state');
}

function stolenText(page: Page): Promise<string | null> {
  return page.locator('#stolen-status').textContent();
}

function countdown(page: Page): Promise<string | null> {
  return page.locator('#stolen-countdown').textContent();
}

/** What each posture must show once the user has logged out. */
const AFTER_LOGOUT: Record<Mode, RegExp> = {
  session: /^The copy is dead at once: refused on the first try after logout \(invalid, \d+ ms after the logout\)\.$/,
  'jwt-denylist': /^The copy is dead at once: refused on the first try after logout \(revoked, \d+ ms after the logout\)\.$/,
  'jwt-push': /^The copy is dead \(revoked\): the revocation arrived, and the copy was refused \d+ ms after the logout\. This instance measures its feed at p50 \d+ ms, p99 \d+ ms over \d+ revocations?\.$/,
  jwt: /^You logged out, and the copy STILL WORKS: nothing checks an access token before its exp\.$/,
};

describe('demo page: the stolen-credential panel in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 900_000);
  afterAll(async () => {
    await browser?.close();
  });

  for (const mode of MODES) {
    it(`${mode}: after logout the copy ${mode === 'jwt' ? 'works until exp, with a countdown' : 'dies as the posture says'}`, async () => {
      const server = await startDemoServer(mode, { accessTtlSeconds: ACCESS_TTL_SECONDS });
      const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
      try {
        const demo = await openDemo(context, server);
        const { page } = demo;
        expect(await page.locator('#stolen').isVisible()).toBe(true);
        expect(await page.locator('#stolen-expect').textContent()).toContain(`Expected in the ${mode} posture`);
        await signUp(page, `${mode}@example.com`);
        await expect.poll(() => stolenState(page), POLL).toBe('works');
        expect(await stolenText(page)).toBe('The copy works, as expected while you are logged in. Log out and watch it.');
        expect(await countdown(page)).toBe(mode === 'session' ? '' : 'Its access token expires in 1:00 (server time).');
        await expect.poll(() => page.locator('#posture-body tr').count(), POLL).toBeGreaterThan(10);
        const shot = await screenshot(page, `demo-${mode}`);
        // The README's picture: written when missing, refreshed with UPDATE_DOCS_IMAGES=1 (not on every run).
        const readmeImage = `${README_IMAGE_DIR}demo-session.png`;
        if (mode === 'session' && (!existsSync(readmeImage) || process.env.UPDATE_DOCS_IMAGES === '1')) {
          mkdirSync(README_IMAGE_DIR, { recursive: true });
          copyFileSync(shot, readmeImage);
        }

        await page.getByRole('button', { name: 'Log out', exact: true }).click();
        await expect.poll(() => stolenText(page), POLL).toMatch(AFTER_LOGOUT[mode]);
        if (mode === 'jwt') {
          expect(await stolenState(page)).toBe('works');
          expect(await countdown(page)).toBe('Its access token expires in 1:00 (server time).');
          server.clock.advance(30_000);
          await expect.poll(() => countdown(page), POLL).toBe('Its access token expires in 0:30 (server time).');
          server.clock.advance(30_000);
          await expect.poll(() => stolenState(page), POLL).toBe('dead');
          expect(await page.locator('#stolen-countdown').isVisible()).toBe(false);
          expect(await stolenText(page)).toMatch(/^The copy is dead now \(expired\): its access token reached exp, 60 s after you logged out \(server time\)\.$/);
        } else {
          expect(await stolenState(page)).toBe('dead');
        }
        await screenshot(page, `demo-${mode}-after-logout`);
        // The replays answered about the copy, never with it.
        expect(await expectNoCredentialInBodies(demo, context)).toBeGreaterThanOrEqual(mode === 'session' ? 1 : 2);
        expect(demo.errors).toEqual([]);
      } finally {
        await context.close();
        await server.close();
      }
    }, 60_000);
  }

  it('session: logging in again takes a fresh copy, which dies on "Log out everywhere" too', async () => {
    const server = await startDemoServer('session');
    const context = await browser.newContext();
    try {
      const demo = await openDemo(context, server);
      const { page } = demo;
      await signUp(page, 'again@example.com');
      await expect.poll(() => stolenState(page), POLL).toBe('works');
      await page.getByRole('button', { name: 'Log out everywhere' }).click();
      await expect.poll(() => stolenState(page), POLL).toBe('dead');
      expect(await page.getByRole('button', { name: "Copy this browser's credential again" }).isDisabled()).toBe(true);
      await page.getByLabel(/^Password/).fill('correct horse battery staple');
      await page.getByRole('button', { name: 'Log in', exact: true }).click();
      await expect.poll(() => stolenState(page), POLL).toBe('works');
      expect(demo.errors).toEqual([]);
    } finally {
      await context.close();
      await server.close();
    }
  }, 60_000);
});
