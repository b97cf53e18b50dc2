/**
 * Signing-key rotation seen over HTTP: `rotateSigningKey` writes a new active key to the store;
 * the running server picks it up once its key ring is older than `KEY_RING_MAX_AGE_MS` (per the
 * injected clock). Tokens of the retiring key keep verifying until they expire; JWKS lists both.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { Algorithm } from '../../src/core/config.js';
import { KEY_RING_MAX_AGE_MS, rotateSigningKey } from '../../src/core/tokens/keys.js';
import { startServer } from '../../src/server/start.js';
import { createClient } from '../helpers/client.js';
import type { TestServer } from '../helpers/server.js';
import { bearerLogin, bearerUser, decode, expectInvalidToken, me, refreshBearer, startJwtServer, toleranceS } from './jwt-support.js';

const TTL_S = 120;

async function jwksKids(server: TestServer): Promise<string[]> {
  const res = await createClient(server.url).get('/.well-known/jwks.json');
  expect(res.status).toBe(200);
  return (res.body.keys as Array<{ kid: string }>).map((k) => k.kid).sort();
}

describe('signing-key rotation (jwt)', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each(['EdDSA', 'ES256', 'RS256'] as Algorithm[])('%s: new tokens carry the new kid, the retiring key verifies its tokens until they expire, and JWKS lists both', async (alg) => {
    server = await startJwtServer({ algorithm: alg, accessTtlSeconds: TTL_S });
    const alice = await bearerUser(server, 'alice@x.io');
    const oldKid = decode(alice.access).header.kid as string;
    expect(await jwksKids(server)).toEqual([oldKid]);
    const rotatedAt = server.clock.now();

    const { kid: newKid, retired } = await rotateSigningKey(server.tessera.config);
    expect(retired).toEqual([oldKid]);
    expect(newKid).not.toBe(oldKid);

    // The server re-reads its key ring once the ring is older than KEY_RING_MAX_AGE_MS.
    server.clock.advance(KEY_RING_MAX_AGE_MS + 1000);
    expect((await me(server, alice.access)).status, 'the old-key token still verifies').toBe(200);
    const bob = await bearerUser(server, 'bob@x.io');
    expect(decode(bob.access).header.kid, 'new tokens are signed by the new key').toBe(newKid);
    const refreshed = await refreshBearer(server, alice.refresh);
    expect(refreshed.status).toBe(200);
    expect(decode(refreshed.body.access_token).header.kid).toBe(newKid);
    expect((await me(server, bob.access)).status).toBe(200);
    expect(await jwksKids(server)).toEqual([oldKid, newKid].sort());

    // A verifier that knows only the JWKS URL accepts tokens of both keys.
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const options = { issuer: 'tessera', audience: 'tessera', algorithms: [alg], currentDate: new Date(server.clock.now()) };
    await expect(jwtVerify(alice.access, jwks, options)).resolves.toMatchObject({ protectedHeader: { kid: oldKid } });
    await expect(jwtVerify(bob.access, jwks, options)).resolves.toMatchObject({ protectedHeader: { kid: newKid } });

    // Until its own exp, the old-key token keeps verifying; then it is refused as expired.
    const oldExp = decode(alice.access).claims.exp as number;
    server.clock.set((oldExp - 1) * 1000);
    expect((await me(server, alice.access)).status, 'old-key token at exp - 1 s').toBe(200);
    expect(await jwksKids(server)).toContain(oldKid);
    server.clock.set((oldExp + toleranceS(server)) * 1000);
    expectInvalidToken(await me(server, alice.access), 'token_expired');

    // Once no token the old key signed can be valid anywhere, it leaves the JWKS; new tokens are untouched.
    server.clock.set(rotatedAt + (TTL_S + toleranceS(server)) * 1000 + KEY_RING_MAX_AGE_MS + 1000);
    expect(await jwksKids(server)).toEqual([newKid]);
    const carol = await bearerUser(server, 'carol@x.io');
    expect(decode(carol.access).header.kid).toBe(newKid);
    expect((await me(server, carol.access)).status).toBe(200);
  });

  it('a second server on the same store (another instance) verifies tokens of the first, before and after a rotation', async () => {
    server = await startJwtServer({ accessTtlSeconds: TTL_S, store: 'memory' });
    const other = await startServer({
      mode: 'jwt',
      store: server.store,
      host: '127.0.0.1',
      port: 0,
      clock: server.clock,
      logLevel: 'silent',
      accessTtlSeconds: TTL_S,
      tessera: { password: { memoryKiB: 1024, timeCost: 1 } },
    });
    try {
      const alice = await bearerUser(server, 'alice@x.io');
      expect((await createClient(other.url).get('/auth/me', { headers: { authorization: `Bearer ${alice.access}` } })).status).toBe(200);
      const { kid: newKid } = await rotateSigningKey(server.tessera.config);
      server.clock.advance(KEY_RING_MAX_AGE_MS + 1000);
      // The first instance signs with the new key; the other, not yet reloaded, meets an unknown kid and reloads.
      const second = await bearerLogin(server, 'alice@x.io');
      expect(decode(second.access).header.kid).toBe(newKid);
      expect((await createClient(other.url).get('/auth/me', { headers: { authorization: `Bearer ${second.access}` } })).status).toBe(200);
      expect((await createClient(other.url).get('/auth/me', { headers: { authorization: `Bearer ${alice.access}` } })).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});
