/**
 * Hostile input against the in-process functions (fast, so the properties run many cases): the
 * access-token verifier, the cookie parser, `tessera.authenticate` and `tessera.verifyCsrf`.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { resolveConfig, type Algorithm } from '../../src/core/config.js';
import type { Mode } from '../../src/core/config.js';
import { createTessera, type Tessera } from '../../src/core/tessera.js';
import { createAccessTokenSigner, createAccessTokenVerifier, loadKeyRing, type AccessTokenVerifier } from '../../src/core/tokens/index.js';
import { parseCookies } from '../../src/http/cookies.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { CHEAP, PASSWORD, singleByteMutations } from './support.js';

const START = Date.parse('2026-01-01T00:00:00Z');
const HS256_SECRET = 'tessera-hostile-hs256-secret-0123456789-abcdef';
const ALGORITHMS: readonly Algorithm[] = ['EdDSA', 'ES256', 'RS256', 'HS256'];
const CLIENT = { ip: '127.0.0.1', userAgent: 'hostile-test' };

const b64url = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), minLength: 1, maxLength: 120 });
/** Anything a header or cookie could carry, from any Unicode to JWS-shaped strings. */
const tokenLike = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ maxLength: 300 }),
  fc.tuple(b64url, b64url, b64url).map((parts) => parts.join('.')),
  fc.array(b64url, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.')),
  fc.string({ unit: fc.constantFrom('.', 'e', 'y', 'J', '=', '\u0000', '%', ' '), maxLength: 50 }),
);

interface VerifierCase {
  verify: AccessTokenVerifier;
  token: string;
}

async function verifierFor(algorithm: Algorithm): Promise<VerifierCase> {
  const config = resolveConfig({
    mode: 'jwt',
    store: createMemoryStore(),
    clock: createManualClock(START),
    jwt: { algorithm, secrets: algorithm === 'HS256' ? [HS256_SECRET] : [] },
  });
  const ring = await loadKeyRing(config);
  const { token } = await createAccessTokenSigner(config, ring)({ sub: 'user-1', sid: 'family-1', roles: ['admin'] });
  const verify = createAccessTokenVerifier(config, ring);
  expect((await verify(token)).ok).toBe(true);
  return { verify, token };
}

describe('access-token verifier under hostile input', () => {
  const cases = new Map<Algorithm, VerifierCase>();
  beforeAll(async () => {
    for (const algorithm of ALGORITHMS) cases.set(algorithm, await verifierFor(algorithm));
  });

  it.each(ALGORITHMS)('%s: arbitrary strings never throw and never verify', async (algorithm) => {
    const { verify } = cases.get(algorithm)!;
    await fc.assert(
      fc.asyncProperty(tokenLike, async (input) => {
        const result = await verify(input);
        expect(result.ok).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  it.each(ALGORITHMS)('%s: the real header with an arbitrary payload and signature never verifies', async (algorithm) => {
    const { verify, token } = cases.get(algorithm)!;
    const [header, payload, signature] = token.split('.') as [string, string, string];
    await fc.assert(
      fc.asyncProperty(fc.option(b64url), fc.option(b64url), async (p, s) => {
        if (p === null && s === null) return;
        const result = await verify(`${header}.${p ?? payload}.${s ?? signature}`);
        expect(result.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it.each(ALGORITHMS)('%s: every single-byte substitution or deletion of a valid token is rejected', async (algorithm) => {
    const { verify, token } = cases.get(algorithm)!;
    const accepted: string[] = [];
    let tried = 0;
    for (const { at, mutated } of singleByteMutations(token)) {
      tried++;
      if ((await verify(mutated)).ok) accepted.push(`position ${at}: ${JSON.stringify(mutated.slice(Math.max(0, at - 2), at + 3))}`);
    }
    expect(tried).toBeGreaterThan(token.length * 10);
    expect(accepted).toEqual([]);
    // Still valid itself: the mutations were rejected for what they changed.
    expect((await verify(token)).ok).toBe(true);
  });

  it.each(ALGORITHMS)('%s: a substitution at a chosen position by any character is rejected', async (algorithm) => {
    const { verify, token } = cases.get(algorithm)!;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: token.length - 1 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), async (at, c) => {
        fc.pre(c !== token[at]);
        expect((await verify(token.slice(0, at) + c + token.slice(at + 1))).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseCookies under hostile input', () => {
  it('never throws, returns at most 64 cookies, and only well-formed names and values', () => {
    const header = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 2000 }),
      fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 30 })), { maxLength: 200 }).map((pairs) =>
        pairs.map(([k, v]) => `${k}=${v}`).join('; '),
      ),
    );
    fc.assert(
      fc.property(header, (value) => {
        const cookies = parseCookies(value);
        expect(cookies.size).toBeLessThanOrEqual(64);
        for (const [name, v] of cookies) {
          expect(name).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
          expect(v).toMatch(/^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('reads the first 64 pairs and ignores the rest; the first occurrence of a name wins', () => {
    fc.assert(
      fc.property(fc.integer({ min: 65, max: 400 }), (count) => {
        const pairs = Array.from({ length: count }, (_, i) => `c${i}=v${i}`);
        const cookies = parseCookies(`${pairs.join('; ')}; c0=late`);
        expect(cookies.size).toBe(64);
        expect(cookies.get('c0')).toBe('v0');
        expect(cookies.has('c63')).toBe(true);
        expect(cookies.has('c64')).toBe(false);
      }),
      { numRuns: 50 },
    );
  });
});

interface Instance {
  tessera: Tessera;
  credential: string;
  sessionId: string;
}

/** A Tessera instance in `mode` with one user logged in. */
async function loggedIn(mode: Mode): Promise<Instance> {
  const tessera = createTessera({ mode, store: createMemoryStore(), clock: createManualClock(START), ...CHEAP });
  await tessera.signup({ email: 'victim@example.com', password: PASSWORD }, CLIENT);
  const { credentials } = await tessera.login({ email: 'victim@example.com', password: PASSWORD }, CLIENT);
  const credential = credentials.kind === 'session' ? credentials.token : credentials.accessToken;
  expect((await tessera.authenticate(credential, 'cookie')).ok).toBe(true);
  return { tessera, credential, sessionId: credentials.sessionId };
}

describe.each(['session', 'jwt', 'jwt-denylist', 'jwt-push'] as const)('tessera.authenticate and verifyCsrf (%s)', (mode) => {
  let instance: Instance;
  beforeAll(async () => {
    instance = await loggedIn(mode);
  });
  afterAll(async () => {
    await instance.tessera.close();
  });

  it('arbitrary credentials never authenticate and never throw, by cookie or bearer', async () => {
    await fc.assert(
      fc.asyncProperty(tokenLike, fc.constantFrom('cookie', 'bearer') as fc.Arbitrary<'cookie' | 'bearer'>, async (token, transport) => {
        const result = await instance.tessera.authenticate(token, transport);
        expect(result.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('every single-byte mutation of a valid credential is rejected', async () => {
    const accepted: number[] = [];
    for (const { at, mutated } of singleByteMutations(instance.credential)) {
      if ((await instance.tessera.authenticate(mutated, 'cookie')).ok) accepted.push(at);
    }
    expect(accepted).toEqual([]);
  });

  it('arbitrary CSRF tokens never pass; every single-byte mutation of the right one is rejected', async () => {
    const right = await instance.tessera.csrfToken(instance.sessionId);
    await fc.assert(
      fc.asyncProperty(fc.oneof(tokenLike, fc.constant(right.toUpperCase()), fc.constant(` ${right}`)), async (presented) => {
        fc.pre(presented !== right);
        expect(await instance.tessera.verifyCsrf(instance.sessionId, presented)).toBe(false);
      }),
      { numRuns: 300 },
    );
    const accepted: number[] = [];
    for (const { at, mutated } of singleByteMutations(right)) {
      if (await instance.tessera.verifyCsrf(instance.sessionId, mutated)) accepted.push(at);
    }
    expect(accepted).toEqual([]);
    // Bound to the session: the right token for another session id is refused.
    for (const { mutated } of singleByteMutations(instance.sessionId, ['A', 'z', '0'])) {
      expect(await instance.tessera.verifyCsrf(mutated, right)).toBe(false);
    }
    expect(await instance.tessera.verifyCsrf(instance.sessionId, right)).toBe(true);
  });
});
