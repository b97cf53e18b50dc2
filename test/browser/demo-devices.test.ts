/**
 * Two browser contexts as two devices of one account: "Log out everywhere" and "Revoke" in one
 * end the other as the posture says — at once where a lookup happens, at `exp` in `jwt`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Mode } from '../../src/core/config.js';
import type { TestServer } from '../helpers/server.js';
import { checkAgain, isSignedIn, launchChromium, openDemo, POLL, signUp, startDemoServer, submitCredentials, type DemoPage } from './demo-support.js';

const ACCESS_TTL_SECONDS = 60;
const EMAIL = 'two-devices@example.com';

describe('demo page: two devices in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 900_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** Runs `body` with a server and two logged-in devices (separate contexts) of one account. */
  async function withTwoDevices(mode: Mode, body: (server: TestServer, laptop: Page, phone: Page) => Promise<void>): Promise<void> {
    const server = await startDemoServer(mode, { accessTtlSeconds: ACCESS_TTL_SECONDS });
    const contexts = [await browser.newContext(), await browser.newContext()];
    const pages: DemoPage[] = [];
    try {
      for (const context of contexts) pages.push(await openDemo(context, server));
      const [laptop, phone] = pages as [DemoPage, DemoPage];
      await signUp(laptop.page, EMAIL);
      await submitCredentials(phone.page, 'Log in', EMAIL);
      await checkAgain(laptop.page);
      await expect.poll(() => laptop.page.locator('#devices-body tr').count(), POLL).toBe(2);
      expect(await laptop.page.locator('#devices-body tr[data-current]').count()).toBe(1);
      await body(server, laptop.page, phone.page);
      for (const page of pages) expect(page.errors).toEqual([]);
    } finally {
      for (const context of contexts) await context.close();
      await server.close();
    }
  }

  const AT_ONCE: Mode[] = ['session', 'jwt-denylist', 'jwt-push'];

  for (const mode of AT_ONCE) {
    it(`${mode}: "Log out everywhere" on one device ends the other at once`, async () => {
      await withTwoDevices(mode, async (_server, laptop, phone) => {
        await laptop.getByRole('button', { name: 'Log out everywhere' }).click();
        await expect.poll(() => laptop.locator('#status').textContent(), POLL).toBe('Logged out everywhere.');
        expect(await isSignedIn(laptop)).toBe(false);
        await checkAgain(phone);
        expect(await phone.locator('#status').textContent()).toBe('Your login has ended.');
        expect(await isSignedIn(phone)).toBe(false);
      });
    }, 60_000);
  }

  it('jwt: the other device keeps working until its access token expires', async () => {
    await withTwoDevices('jwt', async (server, laptop, phone) => {
      await laptop.getByRole('button', { name: 'Log out everywhere' }).click();
      await expect.poll(() => laptop.locator('#status').textContent(), POLL).toBe('Logged out everywhere.');
      // The honest jwt trade-off: the phone's access token is still valid…
      server.clock.advance((ACCESS_TTL_SECONDS - 5) * 1000);
      await checkAgain(phone);
      expect(await isSignedIn(phone)).toBe(true);
      // …until exp; then the refresh fails too (its family was revoked) and the phone is out.
      server.clock.advance(6_000);
      await checkAgain(phone);
      expect(await phone.locator('#status').textContent()).toBe('Your login has ended.');
      expect(await isSignedIn(phone)).toBe(false);
    });
  }, 60_000);

  for (const mode of ['session', 'jwt'] as const) {
    it(`${mode}: "Revoke" on the other device's row ends it ${mode === 'session' ? 'at once' : 'at exp'}`, async () => {
      await withTwoDevices(mode, async (server, laptop, phone) => {
        await laptop.locator('#devices-body tr:not([data-current])').getByRole('button', { name: /^Revoke device/ }).click();
        await expect.poll(() => laptop.locator('#devices-body tr').count(), POLL).toBe(1);
        expect(await isSignedIn(laptop)).toBe(true);
        if (mode === 'jwt') {
          await checkAgain(phone);
          expect(await isSignedIn(phone)).toBe(true);
          server.clock.advance((ACCESS_TTL_SECONDS + 1) * 1000);
        }
        await checkAgain(phone);
        expect(await isSignedIn(phone)).toBe(false);
        // The laptop's own login is untouched (in jwt it refreshes transparently after exp).
        await checkAgain(laptop);
        expect(await isSignedIn(laptop)).toBe(true);
      });
    }, 60_000);
  }
});
