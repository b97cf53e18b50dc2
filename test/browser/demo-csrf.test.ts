/**
 * CSRF for real: an attacker page on another site (http://127.0.0.1:OTHER is cross-site to
 * http://localhost:PORT) posts a form and a no-cors fetch to `/auth/logout-all` in the victim's
 * browser. The victim stays logged in, and the server logged each rejection.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Browser } from 'playwright-core';
import { checkAgain, launchChromium, openDemo, POLL, signUp, startDemoServer } from './demo-support.js';

/** A tiny site on 127.0.0.1 whose pages attack `target` as soon as they load. */
async function startAttacker(target: string): Promise<{ origin: string; close(): Promise<void> }> {
  const pages: Record<string, string> = {
    '/form': `<!doctype html><title>win a prize</title>
<form method="POST" action="${target}/auth/logout-all"><input type="hidden" name="prize" value="1"></form>
<script>document.forms[0].submit();</script>`,
    '/fetch': `<!doctype html><title>loading</title>
<script>
fetch(${JSON.stringify(`${target}/auth/logout-all`)}, { method: 'POST', credentials: 'include', mode: 'no-cors', body: 'x' })
  .then(() => { document.title = 'sent'; }, () => { document.title = 'failed'; });
</script>`,
  };
  const server: Server = createServer((request, response) => {
    const body = pages[request.url ?? ''];
    response.writeHead(body ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' }).end(body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

describe('demo page: cross-site request forgery in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 900_000);
  afterAll(async () => {
    await browser?.close();
  });

  for (const mode of ['session', 'jwt'] as const) {
    it(`${mode}: a cross-site form POST and a no-cors fetch to /auth/logout-all are refused and logged`, async () => {
      const server = await startDemoServer(mode);
      const warn = vi.spyOn(server.app.log, 'warn');
      const attacker = await startAttacker(server.origin);
      const context = await browser.newContext();
      try {
        const victim = await openDemo(context, server);
        await signUp(victim.page, 'victim@example.com');

        // Same browser profile, another tab: the victim visits the attacker's pages.
        const evil = await context.newPage();
        await evil.goto(`${attacker.origin}/fetch`);
        await expect.poll(() => evil.title(), POLL).toBe('sent');
        const formResponse = evil.waitForResponse(`${server.origin}/auth/logout-all`);
        await evil.goto(`${attacker.origin}/form`);
        expect((await formResponse).status()).toBe(403);

        // The victim is still logged in, on the server and on the page.
        await checkAgain(victim.page);
        expect(await victim.page.locator('#signed-in').isVisible()).toBe(true);
        expect(await victim.page.locator('#user-email').textContent()).toBe('victim@example.com');
        expect(await victim.page.evaluate<number>("fetch('/auth/me').then((r) => r.status)")).toBe(200);
        await expect.poll(() => victim.page.locator('#devices-body tr').count(), POLL).toBe(1);

        // The rejection itself (the per-request log line that follows it is checked in test/observability).
        const rejections = warn.mock.calls.filter(([, message]) => message === 'request rejected: csrf_rejected');
        expect(rejections.map(([details, message]) => [details, message])).toEqual([
          [{ code: 'csrf_rejected', method: 'POST', path: '/auth/logout-all' }, 'request rejected: csrf_rejected'],
          [{ code: 'csrf_rejected', method: 'POST', path: '/auth/logout-all' }, 'request rejected: csrf_rejected'],
        ]);
        expect(victim.errors).toEqual([]);
      } finally {
        await context.close();
        await attacker.close();
        await server.close();
      }
    }, 60_000);
  }
});
