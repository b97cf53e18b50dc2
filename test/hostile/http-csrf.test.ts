/**
 * CSRF under hostile headers: on a cookie-authenticated POST, arbitrary `X-CSRF-Token`, `Origin`
 * and `Sec-Fetch-Site` values never pass unless exactly right. The probe is
 * `POST /admin/users/nobody/disable` by a non-admin: once past the CSRF checks it is refused with
 * 403 `forbidden` (the role check), so nothing changes whatever the outcome.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type TestClient } from '../helpers/client.js';
import type { TestServer } from '../helpers/server.js';
import { PASSWORD, singleByteMutations, startHostileServer } from './support.js';

const PROBE = '/admin/users/nobody/disable';
// Visible ASCII: what fetch can put in a header value (and what an attacker's page could send).
const VISIBLE = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i));
const visible = (maxLength: number) => fc.string({ unit: fc.constantFrom(...VISIBLE), minLength: 1, maxLength });

describe.each(['session', 'jwt'] as const)('CSRF checks under hostile headers (%s)', (mode) => {
  let server: TestServer;
  let browser: TestClient;
  let right = '';
  let allowed: ReadonlySet<string>;

  beforeAll(async () => {
    server = await startHostileServer({ mode });
    browser = createClient(server.url, { origin: server.origin });
    expect((await browser.post('/auth/signup', { json: { email: 'user@example.com', password: PASSWORD } })).status).toBe(201);
    expect((await browser.post('/auth/login', { json: { email: 'user@example.com', password: PASSWORD } })).status).toBe(200);
    right = browser.csrf!;
    allowed = new Set([`http://localhost:${server.port}`, `http://127.0.0.1:${server.port}`]);
  });
  afterAll(async () => {
    await server.close();
  });

  /** POSTs the probe with the session cookie and exactly these CSRF-related headers. */
  async function probe(headers: { token?: string; origin?: string; site?: string }): Promise<'passed' | 'rejected'> {
    const sent: Record<string, string> = {};
    if (headers.token !== undefined) sent['x-csrf-token'] = headers.token;
    if (headers.origin !== undefined) sent.origin = headers.origin;
    if (headers.site !== undefined) sent['sec-fetch-site'] = headers.site;
    const bare = createClient(server.url);
    bare.setCookie(mode === 'session' ? '__Host-tessera_sid' : '__Host-tessera_at', browser.cookie(mode === 'session' ? '__Host-tessera_sid' : '__Host-tessera_at')!);
    const res = await bare.post(PROBE, { headers: sent, withCsrf: false });
    expect(res.status, res.text).toBe(403);
    expect(['forbidden', 'csrf_rejected']).toContain(res.body.code);
    return res.body.code === 'forbidden' ? 'passed' : 'rejected';
  }

  /** The rule of API.md: the session's token, an allowed Origin (or none), not marked cross-site. */
  function shouldPass(h: { token?: string; origin?: string; site?: string }): boolean {
    return h.token === right && (h.origin === undefined || allowed.has(h.origin.toLowerCase())) && h.site?.toLowerCase() !== 'cross-site';
  }

  it('the exact headers pass (so the refusals below are about the values)', async () => {
    expect(await probe({ token: right, origin: server.origin, site: 'same-origin' })).toBe('passed');
    expect(await probe({ token: right })).toBe('passed');
  });

  it('arbitrary X-CSRF-Token, Origin and Sec-Fetch-Site values pass only when exactly right', async () => {
    const token = fc.oneof(
      fc.constant(right),
      fc.constant(undefined),
      visible(100),
      fc.constantFrom(right.toUpperCase(), right.toLowerCase(), `${right}=`, right.slice(0, -1), `${right}${right}`),
      fc.nat({ max: right.length - 1 }).chain((at) => fc.constantFrom(...VISIBLE).map((c) => right.slice(0, at) + c + right.slice(at + 1))),
    );
    const origin = fc.oneof(
      fc.constant(undefined),
      fc.constant(`http://localhost:${server.port}`),
      fc.constant(`HTTP://LOCALHOST:${server.port}`),
      fc.constantFrom('null', `https://localhost:${server.port}`, `http://localhost:${server.port + 1}`, `http://localhost:${server.port}/`, 'http://localhost', `http://evil.localhost:${server.port}`, `http://localhost.evil:${server.port}`),
      visible(60),
    );
    const site = fc.oneof(fc.constant(undefined), fc.constantFrom('same-origin', 'same-site', 'none', 'cross-site', 'Cross-Site', 'CROSS-SITE'), visible(20));
    await fc.assert(
      fc.asyncProperty(token, origin, site, async (t, o, s) => {
        const headers = { ...(t === undefined ? {} : { token: t }), ...(o === undefined ? {} : { origin: o }), ...(s === undefined ? {} : { site: s }) };
        expect(await probe(headers)).toBe(shouldPass(headers) ? 'passed' : 'rejected');
      }),
      { numRuns: 300 },
    );
  });

  it('a sample of single-byte mutations of the CSRF token is refused over HTTP', async () => {
    const mutations = [...singleByteMutations(right)].filter((_, i) => i % 9 === 0).slice(0, 40);
    for (const { mutated } of mutations) {
      expect(await probe({ token: mutated, origin: server.origin }), mutated).toBe('rejected');
    }
  });
});
