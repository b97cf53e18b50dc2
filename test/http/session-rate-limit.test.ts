import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type ClientResponse, type TestClient } from '../helpers/client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { expectProblem, PASSWORD, signup } from './support.js';

const WINDOW_SECONDS = 60;

function attempt(client: TestClient, email: string, password: string): Promise<ClientResponse> {
  return client.post('/auth/login', { json: { email, password } });
}

/** Asserts a 429 with a numeric Retry-After within the window. */
function expectRateLimited(res: ClientResponse, secrets: readonly string[] = []): number {
  expectProblem(res, 429, 'rate_limited', secrets);
  const retryAfter = res.headers.get('retry-after');
  expect(retryAfter).toMatch(/^\d+$/);
  const seconds = Number(retryAfter);
  expect(seconds).toBeGreaterThan(0);
  expect(seconds).toBeLessThanOrEqual(WINDOW_SECONDS);
  expect(res.setCookies).toEqual([]);
  return seconds;
}

describe('login and signup throttling (session posture)', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('per account: after 3 failures the 4th attempt gets 429 even with the correct password, until the window passes', async () => {
    server = await startTestServer({ tessera: { rateLimit: { loginPerAccount: 3, loginWindowSeconds: WINDOW_SECONDS } } });
    const client = createClient(server.url);
    await signup(client, 'alice@x.io');
    for (let i = 0; i < 3; i++) {
      expectProblem(await attempt(client, 'alice@x.io', `wrong password ${i}`), 401, 'invalid_credentials');
    }
    server.clock.advance(10_000);
    const blocked = await attempt(client, 'alice@x.io', PASSWORD);
    const retryAfter = expectRateLimited(blocked, [PASSWORD]);
    expect(retryAfter).toBe(WINDOW_SECONDS - 10);
    // Other spellings of the same address share the counter.
    expectRateLimited(await attempt(client, ' ALICE@X.IO ', PASSWORD));
    // Another account is not affected.
    await signup(client, 'bob@x.io');
    expect((await attempt(client, 'bob@x.io', PASSWORD)).status).toBe(200);
    // Still blocked just before the window ends; open after it.
    server.clock.advance((retryAfter - 1) * 1000);
    expectRateLimited(await attempt(client, 'alice@x.io', PASSWORD));
    server.clock.advance(1001);
    const ok = await attempt(client, 'alice@x.io', PASSWORD);
    expect(ok.status).toBe(200);
    expect(ok.body.user.email).toBe('alice@x.io');
  });

  it('per account: unknown accounts are throttled like known ones (same answers)', async () => {
    server = await startTestServer({ tessera: { rateLimit: { loginPerAccount: 2, loginWindowSeconds: WINDOW_SECONDS } } });
    const client = createClient(server.url);
    await signup(client, 'alice@x.io');
    const known: ClientResponse[] = [];
    const unknown: ClientResponse[] = [];
    for (let i = 0; i < 3; i++) {
      known.push(await attempt(client, 'alice@x.io', 'wrong password'));
      unknown.push(await attempt(client, 'ghost@x.io', 'wrong password'));
    }
    expect(known.map((r) => r.status)).toEqual([401, 401, 429]);
    expect(unknown.map((r) => r.status)).toEqual([401, 401, 429]);
    expect(unknown[2]!.text).toBe(known[2]!.text);
  });

  it('per IP: failures spread over different accounts hit the IP limit, and a correct login is refused too', async () => {
    server = await startTestServer({
      tessera: { rateLimit: { loginPerAccount: 100, loginPerIp: 3, loginWindowSeconds: WINDOW_SECONDS } },
    });
    const client = createClient(server.url);
    await signup(client, 'alice@x.io');
    for (const email of ['a@x.io', 'b@x.io', 'c@x.io']) {
      expectProblem(await attempt(client, email, 'wrong password'), 401, 'invalid_credentials');
    }
    expectRateLimited(await attempt(client, 'alice@x.io', PASSWORD), [PASSWORD]);
    expectRateLimited(await attempt(client, 'd@x.io', 'wrong password'));
    server.clock.advance(WINDOW_SECONDS * 1000 + 1);
    expect((await attempt(client, 'alice@x.io', PASSWORD)).status).toBe(200);
  });

  it('per IP: signup is limited too → 429 with Retry-After', async () => {
    server = await startTestServer({ tessera: { rateLimit: { signupPerIp: 2, signupWindowSeconds: WINDOW_SECONDS } } });
    const client = createClient(server.url);
    await signup(client, 'one@x.io');
    await signup(client, 'two@x.io');
    const res = await client.post('/auth/signup', { json: { email: 'three@x.io', password: PASSWORD } });
    expectRateLimited(res, [PASSWORD]);
    // The refused signup created nothing.
    expectProblem(await attempt(client, 'three@x.io', PASSWORD), 401, 'invalid_credentials');
    server.clock.advance(WINDOW_SECONDS * 1000 + 1);
    expect((await client.post('/auth/signup', { json: { email: 'three@x.io', password: PASSWORD } })).status).toBe(201);
  });

  it('per IP: right passwords do not count, so a user who keeps logging in is not locked out by them', async () => {
    server = await startTestServer({
      tessera: { rateLimit: { loginPerAccount: 100, loginPerIp: 3, loginWindowSeconds: WINDOW_SECONDS } },
    });
    const client = createClient(server.url);
    await signup(client, 'alice@x.io');
    expectProblem(await attempt(client, 'a@x.io', 'wrong password'), 401, 'invalid_credentials');
    for (let i = 0; i < 5; i++) expect((await attempt(client, 'alice@x.io', PASSWORD)).status).toBe(200);
    expectProblem(await attempt(client, 'b@x.io', 'wrong password'), 401, 'invalid_credentials');
    expectProblem(await attempt(client, 'c@x.io', 'wrong password'), 401, 'invalid_credentials');
    // The third failure exhausts the limit, whatever came in between.
    expectRateLimited(await attempt(client, 'alice@x.io', PASSWORD), [PASSWORD]);
  });

  it('concurrent wrong guesses over many accounts cannot exceed the per-IP limit', async () => {
    // Password spraying in one burst: every attempt names another account, so only the IP limit
    // applies, and it must hold while the first attempts are still being hashed.
    server = await startTestServer({
      tessera: { rateLimit: { loginPerAccount: 100, loginPerIp: 3, loginWindowSeconds: WINDOW_SECONDS } },
    });
    await signup(createClient(server.url), 'alice@x.io');
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => attempt(createClient(server!.url), `user${i}@x.io`, 'wrong password')),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 401 || s === 429), statuses.join(',')).toBe(true);
    expect(statuses.filter((s) => s === 401).length, `statuses: ${statuses.join(',')}`).toBe(3);
    expectRateLimited(await attempt(createClient(server.url), 'alice@x.io', PASSWORD), [PASSWORD]);
  });

  it('concurrent signups from one IP cannot exceed the per-IP signup limit', async () => {
    server = await startTestServer({ tessera: { rateLimit: { signupPerIp: 2, signupWindowSeconds: WINDOW_SECONDS } } });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => createClient(server!.url).post('/auth/signup', { json: { email: `burst${i}@x.io`, password: PASSWORD } })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 429), statuses.join(',')).toBe(true);
    expect(statuses.filter((s) => s === 201).length, `statuses: ${statuses.join(',')}`).toBe(2);
  });

  it('concurrent wrong guesses cannot exceed the per-account limit', async () => {
    // A burst of parallel attempts must not all be checked before any of them is counted:
    // with a limit of 3, at most 3 of 12 simultaneous guesses may be evaluated (the rest 429).
    server = await startTestServer({ tessera: { rateLimit: { loginPerAccount: 3, loginWindowSeconds: WINDOW_SECONDS } } });
    const client = createClient(server.url);
    await signup(client, 'alice@x.io');
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => attempt(createClient(server!.url), 'alice@x.io', `guess number ${i}`)),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 401 || s === 429), statuses.join(',')).toBe(true);
    expect(statuses.filter((s) => s === 401).length, `statuses: ${statuses.join(',')}`).toBeLessThanOrEqual(3);
  });
});
