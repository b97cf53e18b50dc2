/**
 * Hostile credentials over real sockets: arbitrary bytes as a bearer token, as a whole
 * Authorization header and as the credential cookie never produce a 5xx and never a 200 on
 * /auth/me; a sample of single-byte mutations of real credentials is refused over HTTP.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../helpers/client.js';
import type { TestServer } from '../helpers/server.js';
import { PASSWORD, rawGetWithHeader, singleByteMutations, startHostileServer, expectProblem4xx } from './support.js';

const COOKIE = { session: '__Host-tessera_sid', jwt: '__Host-tessera_at' } as const;

/** Bytes that fit on one header line (CR and LF would end it), from anywhere in 0x00–0xFF. */
const headerBytes = fc.uint8Array({ maxLength: 400 }).map((bytes) => bytes.map((b) => (b === 0x0a || b === 0x0d ? 0x41 : b)));
const ascii = (s: string) => Buffer.from(s, 'latin1');
/** JWS-shaped and base64url-shaped values, which get past the first screens. */
const tokenShaped = fc
  .array(fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), maxLength: 90 }), { minLength: 1, maxLength: 4 })
  .map((parts) => ascii(parts.join('.')));
const credentialBytes = fc.oneof(headerBytes, tokenShaped);

/** Picks `count` mutations spread over the whole value. */
function sampleMutations(value: string, count: number): string[] {
  const all = [...singleByteMutations(value)].map((m) => m.mutated);
  const step = Math.max(1, Math.floor(all.length / count));
  return all.filter((_, i) => i % step === 0).slice(0, count);
}

describe.each(['session', 'jwt'] as const)('hostile credentials over HTTP (%s)', (mode) => {
  let server: TestServer;
  let bearerToken: string;
  let cookieValue: string;

  beforeAll(async () => {
    server = await startHostileServer({ mode });
    const api = createClient(server.url);
    expect((await api.post('/auth/signup', { json: { email: 'victim@example.com', password: PASSWORD } })).status).toBe(201);
    const bearer = await api.post('/auth/login', { json: { email: 'victim@example.com', password: PASSWORD, transport: 'bearer' } });
    bearerToken = bearer.body.access_token;
    const browser = createClient(server.url, { origin: server.origin });
    expect((await browser.post('/auth/login', { json: { email: 'victim@example.com', password: PASSWORD } })).status).toBe(200);
    cookieValue = browser.cookie(COOKIE[mode])!;
    expect(cookieValue).toBeTruthy();
  });
  afterAll(async () => {
    await server.close();
  });

  it('the real credentials work (so the refusals below are about the bytes)', async () => {
    const res = await rawGetWithHeader(server.port, '/auth/me', 'Authorization', ascii(`Bearer ${bearerToken}`));
    expect(res.status).toBe(200);
    const byCookie = await rawGetWithHeader(server.port, '/auth/me', 'Cookie', ascii(`${COOKIE[mode]}=${cookieValue}`));
    expect(byCookie.status).toBe(200);
  });

  it('arbitrary bytes after "Bearer ": a 4xx problem, never 5xx, never 200', async () => {
    await fc.assert(
      fc.asyncProperty(credentialBytes, async (bytes) => {
        const res = await rawGetWithHeader(server.port, '/auth/me', 'Authorization', Buffer.concat([ascii('Bearer '), bytes]));
        expectProblem4xx(res.status, res.headers['content-type'], res.body);
      }),
      { numRuns: 150 },
    );
  });

  it('arbitrary bytes as the whole Authorization header: a 4xx problem, never 5xx, never 200', async () => {
    await fc.assert(
      fc.asyncProperty(credentialBytes, async (bytes) => {
        const res = await rawGetWithHeader(server.port, '/auth/me', 'Authorization', bytes);
        expectProblem4xx(res.status, res.headers['content-type'], res.body);
      }),
      { numRuns: 100 },
    );
  });

  it('arbitrary bytes as the credential cookie (alone or among others): a 4xx problem, never 5xx, never 200', async () => {
    await fc.assert(
      fc.asyncProperty(credentialBytes, fc.boolean(), async (bytes, withOthers) => {
        const cookie = Buffer.concat([ascii(withOthers ? `a=b; ${COOKIE[mode]}=` : `${COOKIE[mode]}=`), bytes, ascii(withOthers ? '; c=d' : '')]);
        const res = await rawGetWithHeader(server.port, '/auth/me', 'Cookie', cookie);
        expectProblem4xx(res.status, res.headers['content-type'], res.body);
      }),
      { numRuns: 150 },
    );
  });

  it('a sample of single-byte mutations of the bearer token and the cookie is refused with 401', async () => {
    for (const mutated of sampleMutations(bearerToken, 25)) {
      const res = await rawGetWithHeader(server.port, '/auth/me', 'Authorization', ascii(`Bearer ${mutated}`));
      expect(res.status, mutated).not.toBe(200);
      expectProblem4xx(res.status, res.headers['content-type'], res.body);
    }
    for (const mutated of sampleMutations(cookieValue, 25)) {
      const res = await rawGetWithHeader(server.port, '/auth/me', 'Cookie', ascii(`${COOKIE[mode]}=${mutated}`));
      expect(res.status, mutated).not.toBe(200);
      expectProblem4xx(res.status, res.headers['content-type'], res.body);
    }
  });
});
