/**
 * The admin table in real Chromium: an admin changes a user's roles and disables / enables the
 * account; the user's page (another browser context) reflects it as the posture says — on the next
 * request where a lookup happens (session, jwt-denylist, jwt-push), at access-token expiry in jwt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { ADMIN, checkAgain, isSignedIn, launchChromium, MODES, openDemo, POLL, screenshot, signUp, startDemoServer, submitCredentials } from './demo-support.js';

const ACCESS_TTL_SECONDS = 60;
const USER = 'member@example.com';

async function roles(page: Page): Promise<string | null> {
  return page.locator('#user-roles').textContent();
}

async function say(page: Page, text: string): Promise<void> {
  await expect.poll(() => page.locator('#status').textContent(), POLL).toBe(text);
}

describe('demo page: admin actions in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 900_000);
  afterAll(async () => {
    await browser?.close();
  });

  for (const mode of MODES) {
    const atOnce = mode !== 'jwt';
    it(`${mode}: a role change and a disable reach the user's page ${atOnce ? 'on the next request' : 'when the access token expires'}`, async () => {
      const server: TestServer = await startDemoServer(mode, { accessTtlSeconds: ACCESS_TTL_SECONDS });
      const contexts = [await browser.newContext(), await browser.newContext()];
      try {
        const member = await openDemo(contexts[0]!, server);
        const admin = await openDemo(contexts[1]!, server);
        await signUp(member.page, USER);
        expect(await roles(member.page)).toBe('none');
        await submitCredentials(admin.page, 'Log in', ADMIN.email, ADMIN.password);
        expect(await roles(admin.page)).toBe('admin');
        await expect.poll(() => admin.page.locator('#users-body tr').count(), POLL).toBe(2);
        await screenshot(admin.page, `demo-${mode}-admin`);

        // Role change.
        await admin.page.getByLabel(`Roles of ${USER}`, { exact: true }).fill('editor, auditor');
        await admin.page.getByRole('button', { name: `Save the roles of ${USER}` }).click();
        await say(admin.page, `Roles of ${USER}: auditor, editor.`);
        await checkAgain(member.page);
        if (!atOnce) {
          // jwt: the member's access token still carries the old roles until it expires.
          expect(await roles(member.page)).toBe('none');
          server.clock.advance((ACCESS_TTL_SECONDS + 1) * 1000);
          await checkAgain(member.page); // 401 token_expired → refresh → a token with the new roles
        }
        expect(await roles(member.page)).toBe('auditor, editor');
        expect(await isSignedIn(member.page)).toBe(true);

        // Disable: a revocation like logout-all.
        await admin.page.getByRole('button', { name: `Disable ${USER}` }).click();
        await say(admin.page, `${USER} is disabled.`);
        await expect.poll(() => admin.page.locator(`#users-body tr[data-email="${USER}"] td:nth-child(3)`).textContent(), POLL).toBe('disabled');
        await checkAgain(member.page);
        if (!atOnce) {
          expect(await isSignedIn(member.page)).toBe(true);
          server.clock.advance((ACCESS_TTL_SECONDS + 1) * 1000);
          await checkAgain(member.page);
        }
        expect(await isSignedIn(member.page)).toBe(false);
        member.allowNetworkError(403, '/auth/login');
        await member.page.getByLabel(/^Password/).fill('correct horse battery staple');
        await member.page.getByRole('button', { name: 'Log in', exact: true }).click();
        await say(member.page, 'this account is disabled');

        // Enable: the member can log in again.
        await admin.page.getByRole('button', { name: `Enable ${USER}` }).click();
        await say(admin.page, `${USER} is enabled.`);
        await submitCredentials(member.page, 'Log in', USER);
        expect(await roles(member.page)).toBe('auditor, editor');

        expect(member.errors).toEqual([]);
        expect(admin.errors).toEqual([]);
      } finally {
        for (const context of contexts) await context.close();
        await server.close();
      }
    }, 60_000);
  }
});
