/**
 * Set-up of the demo page's browser tests: the real reference server (`--demo`, manual clock),
 * Debian's Chromium driven by playwright-core, and helpers that act like a person on the page.
 * Not a test file itself.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Mode } from '../../src/core/config.js';
import { COOKIE_NAMES } from '../../src/http/cookies.js';
import { ensureChromium } from '../services/chromium.js';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/server.js';

/** Where screenshots go (gitignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('./artifacts/', import.meta.url));
export const PASSWORD = 'correct horse battery staple';
export const ADMIN = { email: 'admin@example.com', password: 'admin password 1234' };
export const MODES: readonly Mode[] = ['session', 'jwt', 'jwt-denylist', 'jwt-push'];
/** For `expect.poll`: the page polls its stolen copy once a second, and machines are busy. */
export const POLL = { timeout: 15_000, interval: 50 };

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** Headless system Chromium (never a downloaded build); each `newContext()` is a fresh profile. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS, headless: true });
}

/** The reference server with the demo endpoints, an admin account and cheap password hashing. */
export async function startDemoServer(mode: Mode, options: TestServerOptions = {}): Promise<TestServer> {
  return startTestServer({
    mode,
    demo: true,
    store: 'memory',
    adminEmail: ADMIN.email,
    adminPassword: ADMIN.password,
    tessera: { password: { memoryKiB: 1024, timeCost: 1 } },
    ...options,
  });
}

/**
 * Chromium logs every 4xx answer to `fetch` as a console error ("Failed to load resource"). The
 * page gets 401s by design: asking `/auth/me` while logged out, a refresh without a refresh cookie,
 * and in the jwt postures any request made with an expired access token, which the page answers by
 * refreshing. Only these are expected unless a test says otherwise.
 */
const EXPECTED_401_PATHS = ['/auth/me', '/auth/refresh', '/auth/csrf', '/auth/sessions'];
const NETWORK_ERROR = /^Failed to load resource: the server responded with a status of (\d{3})/;

/** A page of the demo and everything it reported. */
export interface DemoPage {
  page: Page;
  /** Console errors, page errors and failed requests that were not expected. */
  readonly errors: string[];
  /** Bodies of every response the page received (awaited by `responseBodies()`). */
  responseBodies(): Promise<string[]>;
  /** Every Set-Cookie value the page's responses carried. */
  setCookies(): Promise<string[]>;
  /** Declares that the page will get this error status from this path, by design of the test. */
  allowNetworkError(status: number, path: string): void;
}

/** A console error, classified: expected, a 401 that a refresh must follow, or an error. */
function classify(message: ConsoleMessage, allowed: ReadonlySet<string>): 'ok' | 'needs-refresh' | 'error' {
  if (message.type() !== 'error') return 'ok';
  const url = message.location().url;
  const status = NETWORK_ERROR.exec(message.text())?.[1];
  if (status === undefined || !URL.canParse(url)) return 'error';
  if (allowed.has(`${status} ${new URL(url).pathname}`)) return 'ok';
  return status === '401' ? 'needs-refresh' : 'error';
}

/** Opens the demo page in a context and waits until its script has started. */
export async function openDemo(context: BrowserContext, server: TestServer): Promise<DemoPage> {
  const page = await context.newPage();
  const errors: string[] = [];
  /** 401s not yet followed by `POST /auth/refresh`. */
  let awaitingRefresh: string[] = [];
  const allowed = new Set(EXPECTED_401_PATHS.map((path) => `401 ${path}`));
  const bodies: Array<Promise<string>> = [];
  const headerLists: Array<Promise<Array<{ name: string; value: string }>>> = [];
  page.on('console', (message) => {
    const kind = classify(message, allowed);
    const text = `console: ${message.text()} (${message.location().url})`;
    if (kind === 'error') errors.push(text);
    if (kind === 'needs-refresh') awaitingRefresh.push(text);
  });
  page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/auth/refresh') awaitingRefresh = [];
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('requestfailed', (request) => errors.push(`requestfailed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
  page.on('response', (response) => {
    bodies.push(response.body().then((b) => b.toString('utf8'), () => ''));
    headerLists.push(response.headersArray().catch(() => []));
  });
  await page.goto(`${server.origin}/`);
  await page.waitForSelector('body[data-ready="true"]');
  return {
    page,
    get errors() {
      return [...errors, ...awaitingRefresh];
    },
    responseBodies: () => Promise.all(bodies),
    allowNetworkError: (status, path) => allowed.add(`${status} ${path}`),
    setCookies: async () =>
      (await Promise.all(headerLists)).flat().filter((h) => h.name.toLowerCase() === 'set-cookie').flatMap((h) => h.value.split('\n')),
  };
}

/** Fills the form and presses a button ("Log in" or "Sign up"), then waits for the signed-in view. */
export async function submitCredentials(page: Page, action: 'Log in' | 'Sign up', email: string, password = PASSWORD): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel(/^Password/).fill(password);
  await page.getByRole('button', { name: action, exact: true }).click();
  await waitSignedIn(page, email);
}

/** Waits until the page shows this user signed in. */
export async function waitSignedIn(page: Page, email: string): Promise<void> {
  await page.locator('#signed-in').waitFor({ state: 'visible' });
  await expect.poll(() => page.locator('#user-email').textContent(), POLL).toBe(email);
}

/** Signs up a new account (which logs in). */
export async function signUp(page: Page, email: string): Promise<void> {
  await submitCredentials(page, 'Sign up', email);
}

/** Presses "Check again" and waits for the page to have asked the server. */
export async function checkAgain(page: Page): Promise<void> {
  await page.locator('#status').evaluate((status) => {
    status.textContent = '';
  });
  await page.getByRole('button', { name: 'Check again' }).click();
  await expect.poll(() => page.locator('#status').textContent(), POLL).not.toBe('');
}

/** Whether the page shows the signed-in view. */
export async function isSignedIn(page: Page): Promise<boolean> {
  return page.locator('#signed-in').isVisible();
}

const AUTH_COOKIES: string[] = Object.values(COOKIE_NAMES);

/**
 * Asserts that no response the page received carries a credential in its body: every credential
 * the server ever set (from the Set-Cookie headers) and every one the browser holds now.
 * @returns how many credentials were checked.
 */
export async function expectNoCredentialInBodies(demo: DemoPage, context: BrowserContext): Promise<number> {
  const tokens = new Set<string>();
  for (const line of await demo.setCookies()) {
    const match = /^([^=]+)=([^;]*)/.exec(line);
    if (match && AUTH_COOKIES.includes(match[1]!) && match[2]!.length > 0) tokens.add(match[2]!);
  }
  for (const cookie of await context.cookies()) if (AUTH_COOKIES.includes(cookie.name)) tokens.add(cookie.value);
  const bodies = await demo.responseBodies();
  expect(bodies.length).toBeGreaterThan(5);
  for (const body of bodies) for (const token of tokens) expect(body.includes(token)).toBe(false);
  return tokens.size;
}

/** Saves a full-page screenshot to `test/browser/artifacts/NAME.png` and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = `${ARTIFACTS_DIR}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}
