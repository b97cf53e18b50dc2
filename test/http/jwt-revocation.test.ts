/**
 * The revocation window of each jwt posture, measured over HTTP with the injected clock and
 * compared with what `GET /auth/posture` claims: logout-all, admin disable and role change.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Mode } from '../../src/core/config.js';
import { createClient } from '../helpers/client.js';
import type { TestServer } from '../helpers/server.js';
import {
  adminToken,
  bearerLogin,
  bearerRequest,
  bearerUser,
  decode,
  disableUser,
  expectInvalidToken,
  JWT_MODES,
  me,
  refreshBearer,
  setRoles,
  startJwtServer,
  toleranceS,
} from './jwt-support.js';
import { expectProblem } from './support.js';

const TTL_S = 60;

/** What each posture must claim (issue 3, API.md "Modes"). */
const CLAIMS: Record<Exclude<Mode, 'session'>, { per_request_lookup: boolean; window_ms: number }> = {
  /** Plus the verifier's clock tolerance (0 by default), added in the test. */
  jwt: { per_request_lookup: false, window_ms: TTL_S * 1000 },
  'jwt-denylist': { per_request_lookup: true, window_ms: 0 },
  // The in-process feed delivers synchronously and the clock does not move during delivery: 0 ms.
  'jwt-push': { per_request_lookup: false, window_ms: 0 },
};

async function posture(server: TestServer): Promise<any> {
  const res = await createClient(server.url).get('/auth/posture');
  expect(res.status).toBe(200);
  return res.body;
}

/**
 * Steps the server clock one second at a time from `revokedAt` and returns how long after it
 * (ms) the token was first refused; asserts it was accepted at every step before that.
 */
async function measureWindowMs(server: TestServer, token: string, revokedAt: number, limitMs: number): Promise<number> {
  for (let offset = 0; offset <= limitMs; offset += 1000) {
    server.clock.set(revokedAt + offset);
    const res = await me(server, token);
    if (res.status === 401) return offset;
    expect(res.status, `at +${offset} ms: ${res.text}`).toBe(200);
  }
  throw new Error(`the token was still accepted ${limitMs} ms after the revocation`);
}

describe('revocation windows per posture (injected clock)', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each(JWT_MODES)('%s: GET /auth/posture reports the lookup and the window honestly', async (mode) => {
    server = await startJwtServer({ mode, accessTtlSeconds: TTL_S });
    const body = await posture(server);
    expect(body).toMatchObject({
      mode,
      access_ttl_s: TTL_S,
      algorithms: ['EdDSA'],
      revocation: {
        per_request_lookup: CLAIMS[mode].per_request_lookup,
        window_ms: CLAIMS[mode].window_ms + (mode === 'jwt' ? toleranceS(server) * 1000 : 0),
        mechanism: expect.any(String),
      },
    });
    const warnings = (body.warnings as string[]).join('\n');
    if (mode === 'jwt') expect(warnings).toMatch(new RegExp(`\\b${TTL_S} s\\b`));
    if (mode === 'jwt-denylist') expect(warnings).toMatch(/session lookup with extra steps/);
    expect(warnings).not.toMatch(/900/);
  });

  it.each(JWT_MODES)('%s: --access-ttl 1200 → the posture warns (over 900 s)', async (mode) => {
    server = await startJwtServer({ mode, accessTtlSeconds: 1200 });
    const body = await posture(server);
    expect(body.access_ttl_s).toBe(1200);
    const ttlWarning = (body.warnings as string[]).find((w) => w.includes('1200') && w.includes('900'));
    expect(ttlWarning, JSON.stringify(body.warnings)).toBeDefined();
    if (mode === 'jwt') expect(body.revocation.window_ms).toBe((1200 + toleranceS(server)) * 1000);
  });

  describe('logout-all', () => {
    it.each([0, 5])('jwt (clock tolerance %i s): the old access token keeps working until exp; the measured window equals window_ms', async (tolerance) => {
      server = await startJwtServer({ mode: 'jwt', accessTtlSeconds: TTL_S, tessera: { jwt: { clockToleranceSeconds: tolerance } } });
      expect(toleranceS(server)).toBe(tolerance);
      const claimed = (await posture(server)).revocation.window_ms as number;
      const alice = await bearerUser(server, 'alice@x.io');
      // Revoked at the instant of issuance: the worst case the posture's window must cover.
      const revokedAt = server.clock.now();
      expect((await bearerRequest(server, 'POST', '/auth/logout-all', alice.access)).status).toBe(204);

      const exp = decode(alice.access).claims.exp as number;
      server.clock.set((exp - 1) * 1000);
      expect((await me(server, alice.access)).status, 'exp - 1 s').toBe(200);
      server.clock.set((exp + tolerance) * 1000);
      expectInvalidToken(await me(server, alice.access), 'token_expired');

      const measured = await measureWindowMs(server, alice.access, revokedAt, (TTL_S + 60) * 1000);
      // The verifier accepts a token until exp + clockTolerance (RFC 7519 §4.1.4 leeway), so the
      // honest window is the TTL plus that tolerance.
      expect(measured).toBe((TTL_S + tolerance) * 1000);
      expect(claimed, 'GET /auth/posture revocation.window_ms').toBe(measured);
      // The refresh family is gone at once in every posture.
      expectProblem(await refreshBearer(server, alice.refresh), 401, 'unauthenticated');
    });

    it.each(['jwt-denylist', 'jwt-push'] as const)('%s: the old access token fails at once; measured window 0 = window_ms', async (mode) => {
      server = await startJwtServer({ mode, accessTtlSeconds: TTL_S });
      const claimed = (await posture(server)).revocation.window_ms as number;
      const laptop = await bearerUser(server, 'alice@x.io');
      const phone = await bearerLogin(server, 'alice@x.io');
      server.clock.advance(1500);
      const revokedAt = server.clock.now();
      expect((await bearerRequest(server, 'POST', '/auth/logout-all', laptop.access)).status).toBe(204);

      expectInvalidToken(await me(server, laptop.access));
      expectInvalidToken(await me(server, phone.access));
      expect(await measureWindowMs(server, phone.access, revokedAt, 0)).toBe(claimed);
      expect(claimed).toBe(0);
      expectProblem(await refreshBearer(server, phone.refresh), 401, 'unauthenticated');
    });

    it.each(JWT_MODES)('%s: logging in again in the very millisecond of logout-all works (the new token is not caught by the revocation)', async (mode) => {
      server = await startJwtServer({ mode, accessTtlSeconds: TTL_S });
      const alice = await bearerUser(server, 'alice@x.io');
      expect((await bearerRequest(server, 'POST', '/auth/logout-all', alice.access)).status).toBe(204);
      const again = await bearerLogin(server, 'alice@x.io');
      expect((await me(server, again.access)).status).toBe(200);
      const refreshed = await refreshBearer(server, again.refresh);
      expect(refreshed.status).toBe(200);
      expect((await me(server, refreshed.body.access_token)).status).toBe(200);
      if (mode !== 'jwt') expectInvalidToken(await me(server, alice.access));
    });
  });

  describe('logout (one device)', () => {
    it('jwt: the logged-out access token keeps working until exp; its refresh token fails at once', async () => {
      server = await startJwtServer({ mode: 'jwt', accessTtlSeconds: TTL_S });
      const alice = await bearerUser(server, 'alice@x.io');
      expect((await bearerRequest(server, 'POST', '/auth/logout', alice.access)).status).toBe(204);
      expectProblem(await refreshBearer(server, alice.refresh), 401, 'unauthenticated');
      const exp = decode(alice.access).claims.exp as number;
      server.clock.set((exp - 1) * 1000);
      expect((await me(server, alice.access)).status).toBe(200);
    });

    it.each(['jwt-denylist', 'jwt-push'] as const)('%s: the logged-out access token fails at once and stays refused until its exp; the other device is untouched', async (mode) => {
      server = await startJwtServer({ mode, accessTtlSeconds: TTL_S });
      const laptop = await bearerUser(server, 'alice@x.io');
      const phone = await bearerLogin(server, 'alice@x.io');
      expect((await bearerRequest(server, 'POST', '/auth/logout', laptop.access)).status).toBe(204);
      expectInvalidToken(await me(server, laptop.access));
      expect((await me(server, phone.access)).status).toBe(200);
      // The revocation entry outlives every token it covers.
      const exp = decode(laptop.access).claims.exp as number;
      server.clock.set((exp - 1) * 1000);
      expectInvalidToken(await me(server, laptop.access));
      expect((await me(server, phone.access)).status).toBe(200);
    });
  });

  describe('admin disable', () => {
    it('jwt: the disabled user\'s access token works until exp (honestly), refresh and login fail at once', async () => {
      server = await startJwtServer({ mode: 'jwt', accessTtlSeconds: TTL_S, withAdmin: true });
      const alice = await bearerUser(server, 'alice@x.io');
      const admin = await adminToken(server);
      server.clock.advance(1500);
      await disableUser(server, admin, alice.user.id);

      expect((await me(server, alice.access)).status).toBe(200);
      expectProblem(await refreshBearer(server, alice.refresh), 401, 'unauthenticated');
      const login = await createClient(server.url).post('/auth/login', { json: { email: 'alice@x.io', password: 'correct horse battery', transport: 'bearer' } });
      expectProblem(login, 403, 'forbidden');

      const exp = decode(alice.access).claims.exp as number;
      server.clock.set((exp - 1) * 1000);
      expect((await me(server, alice.access)).status).toBe(200);
      server.clock.set((exp + toleranceS(server)) * 1000);
      expectInvalidToken(await me(server, alice.access), 'token_expired');
    });

    it.each(['jwt-denylist', 'jwt-push'] as const)('%s: the disabled user\'s access token fails at once', async (mode) => {
      server = await startJwtServer({ mode, accessTtlSeconds: TTL_S, withAdmin: true });
      const alice = await bearerUser(server, 'alice@x.io');
      const admin = await adminToken(server);
      server.clock.advance(1500);
      await disableUser(server, admin, alice.user.id);
      expectInvalidToken(await me(server, alice.access));
      expectProblem(await refreshBearer(server, alice.refresh), 401, 'unauthenticated');
      // The admin is untouched.
      expect((await me(server, admin)).status).toBe(200);
    });
  });

  describe('role change', () => {
    it('jwt: the old token keeps the old roles until exp; a refresh brings the new ones', async () => {
      server = await startJwtServer({ mode: 'jwt', accessTtlSeconds: TTL_S, withAdmin: true });
      const alice = await bearerUser(server, 'alice@x.io');
      const admin = await adminToken(server);
      server.clock.advance(1500);
      await setRoles(server, admin, alice.user.id, ['editor']);

      expect((await me(server, alice.access)).body.user.roles).toEqual([]);
      const refreshed = await refreshBearer(server, alice.refresh);
      expect(refreshed.status).toBe(200);
      expect((await me(server, refreshed.body.access_token)).body.user.roles).toEqual(['editor']);
      const exp = decode(alice.access).claims.exp as number;
      server.clock.set((exp - 1) * 1000);
      expect((await me(server, alice.access)).body.user.roles).toEqual([]);
    });

    it('jwt: a demoted admin keeps admin access with the old token until exp (the posture says so)', async () => {
      server = await startJwtServer({ mode: 'jwt', accessTtlSeconds: TTL_S, withAdmin: true });
      const alice = await bearerUser(server, 'alice@x.io');
      const admin = await adminToken(server);
      await setRoles(server, admin, alice.user.id, ['admin']);
      const aliceAdmin = (await refreshBearer(server, alice.refresh)).body;
      expect((await bearerRequest(server, 'GET', '/admin/users', aliceAdmin.access_token)).status).toBe(200);
      server.clock.advance(1500);
      await setRoles(server, admin, alice.user.id, []);
      expect((await bearerRequest(server, 'GET', '/admin/users', aliceAdmin.access_token)).status).toBe(200);
      const demoted = await refreshBearer(server, aliceAdmin.refresh_token);
      expectProblem(await bearerRequest(server, 'GET', '/admin/users', demoted.body.access_token), 403, 'forbidden');
      expect((await posture(server)).revocation.events.role_change).toBe((TTL_S + toleranceS(server)) * 1000);
    });

    it.each(['jwt-denylist', 'jwt-push'] as const)('%s: the old token fails at once; after a refresh the new roles show', async (mode) => {
      server = await startJwtServer({ mode, accessTtlSeconds: TTL_S, withAdmin: true });
      const alice = await bearerUser(server, 'alice@x.io');
      const admin = await adminToken(server);
      server.clock.advance(1500);
      await setRoles(server, admin, alice.user.id, ['editor']);

      expectInvalidToken(await me(server, alice.access));
      const refreshed = await refreshBearer(server, alice.refresh);
      expect(refreshed.status, refreshed.text).toBe(200);
      const res = await me(server, refreshed.body.access_token);
      expect(res.status).toBe(200);
      expect(res.body.user.roles).toEqual(['editor']);
      expect((await posture(server)).revocation.events.role_change).toBe(0);
    });

    it.each(['jwt-denylist', 'jwt-push'] as const)('%s: a second role change within the same second still revokes a token minted between the two', async (mode) => {
      server = await startJwtServer({ mode, accessTtlSeconds: TTL_S, withAdmin: true });
      const admin = await adminToken(server);
      const alice = await bearerUser(server, 'alice@x.io');
      const second = Math.ceil(server.clock.now() / 1000) * 1000 + 1000;
      // T + 0.5 s: the admin grants alice `admin` (her not-before becomes T + 0.5 s).
      server.clock.set(second + 500);
      await setRoles(server, admin, alice.user.id, ['admin']);
      // T + 0.6 s: alice refreshes and holds an admin access token.
      server.clock.set(second + 600);
      const aliceAdmin = (await refreshBearer(server, alice.refresh)).body;
      expect(decode(aliceAdmin.access_token).claims.roles).toEqual(['admin']);
      expect((await bearerRequest(server, 'GET', '/admin/users', aliceAdmin.access_token)).status).toBe(200);
      // T + 0.9 s: the admin takes it back. The posture claims window 0 for role changes.
      server.clock.set(second + 900);
      await setRoles(server, admin, alice.user.id, []);
      const res = await bearerRequest(server, 'GET', '/admin/users', aliceAdmin.access_token);
      expect(res.status, `the demoted admin token got ${res.status}`).toBe(401);
    });

    it.each(['jwt-denylist', 'jwt-push'] as const)('%s: a role change in the very millisecond the token was minted (a whole second) still revokes it', async (mode) => {
      server = await startJwtServer({ mode, accessTtlSeconds: TTL_S, withAdmin: true });
      const admin = await adminToken(server);
      const alice = await bearerUser(server, 'alice@x.io');
      await setRoles(server, admin, alice.user.id, ['admin']);
      server.clock.set(Math.ceil(server.clock.now() / 1000) * 1000 + 2000);
      const aliceAdmin = (await refreshBearer(server, alice.refresh)).body;
      expect(decode(aliceAdmin.access_token).claims.roles).toEqual(['admin']);
      // Same millisecond, T, a whole second: iat * 1000 equals the demotion's not-before.
      await setRoles(server, admin, alice.user.id, []);
      const res = await bearerRequest(server, 'GET', '/admin/users', aliceAdmin.access_token);
      expect(res.status, `the demoted admin token got ${res.status}`).toBe(401);
    });
  });
});
