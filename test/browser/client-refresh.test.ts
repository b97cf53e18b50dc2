/**
 * `tessera/client` in real Chromium: several tabs of one profile hit an expired access token at
 * the same moment, and the server sees exactly one `POST /auth/refresh` (Web Locks, and the
 * BroadcastChannel fallback when `navigator.locks` is missing).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ensureChromium } from '../services/chromium.js';
import { ACCESS_TTL_SECONDS, launchBrowser, startClientTestApp, type ClientTestApp } from './client-support.js';

const EMAIL = 'tab@example.com';
const PASSWORD = 'correct horse battery';

async function openTab(pageUrl: string, open: () => Promise<Page>): Promise<Page> {
  const page = await open();
  await page.goto(pageUrl);
  await page.waitForFunction('document.title === "ready"', undefined, { timeout: 10_000 });
  return page;
}

function count(app: ClientTestApp, entry: string): number {
  return app.log.filter((line) => line === entry).length;
}

async function refreshOnceAcrossTabs(query: string, tabs: number): Promise<void> {
  const app = await startClientTestApp();
  const browser = await launchBrowser();
  try {
    const pages: Page[] = [];
    for (let i = 0; i < tabs; i++) pages.push(await openTab(`${app.origin}/${query}`, () => browser.context.newPage()));
    const [first] = pages as [Page];
    await first.evaluate(`tessera.signup(${JSON.stringify(EMAIL)}, ${JSON.stringify(PASSWORD)})`);
    await first.evaluate(`tessera.login(${JSON.stringify(EMAIL)}, ${JSON.stringify(PASSWORD)})`);
    // Every tab shares the profile's cookies; none has seen a token.
    for (const page of pages) expect(await page.evaluate('tessera.me().then((r) => r.user.email)')).toBe(EMAIL);
    expect(count(app, 'GET /auth/me 200')).toBe(tabs);

    app.clock.advance((ACCESS_TTL_SECONDS + 1) * 1000);
    const emails = await Promise.all(pages.map((page) => page.evaluate('tessera.me().then((r) => r.user.email)')));

    expect(emails).toEqual(pages.map(() => EMAIL));
    // Each tab's first call was refused (the access token expired), then retried once.
    expect(count(app, 'GET /auth/me 401')).toBe(tabs);
    expect(count(app, 'GET /auth/me 200')).toBe(2 * tabs);
    expect(app.log.filter((line) => line.startsWith('POST /auth/refresh'))).toEqual(['POST /auth/refresh 200']);
    for (const page of pages) {
      // Tokens stay in HttpOnly cookies; tabs share only a timestamp.
      expect(await page.evaluate('document.cookie')).toBe('');
      expect(await page.evaluate('JSON.stringify(Object.entries(localStorage))')).toMatch(/^\[\["tessera-refresh-at","\d{13}"\]\]$/);
      expect(await page.evaluate("'locks' in navigator")).toBe(query !== '?nolocks');
    }
  } finally {
    await browser.close();
    await app.close();
  }
}

describe('tessera/client in Chromium', () => {
  beforeAll(() => {
    ensureChromium();
  }, 900_000);

  it('is browser-only code: imports nothing but its own sibling modules', () => {
    const dir = fileURLToPath(new URL('../../src/client/', import.meta.url));
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(`${dir}${file}`, 'utf8');
      const specifiers = [...source.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
      for (const specifier of specifiers) expect(specifier, `${file} imports ${specifier}`).toMatch(/^\.\/[a-z-]+\.js$/);
    }
  });

  it('two tabs hitting an expired access token refresh once (Web Locks)', () => refreshOnceAcrossTabs('', 2), 60_000);

  it('two tabs refresh once without navigator.locks (BroadcastChannel fallback)', () => refreshOnceAcrossTabs('?nolocks', 2), 60_000);

  it('five tabs refresh once (Web Locks)', () => refreshOnceAcrossTabs('', 5), 60_000);

  it('five tabs refresh once without navigator.locks (BroadcastChannel fallback)', () => refreshOnceAcrossTabs('?nolocks', 5), 60_000);
});
