import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CompactEncrypt,
  CompactSign,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  importJWK,
  type CompactJWSHeaderParameters,
  type JWK,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../stores/memory/index.js';
import type { Store } from '../../stores/types.js';
import { createManualClock, type ManualClock } from '../clock.js';
import { resolveConfig, type Algorithm, type ResolvedConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import {
  createAccessTokenSigner,
  createAccessTokenVerifier,
  KEY_RING_MAX_AGE_MS,
  loadKeyRing,
  rotateSigningKey,
  UNKNOWN_KID_RELOAD_INTERVAL_MS,
  type AccessTokenSigner,
  type AccessTokenVerifier,
  type KeyMaterial,
  type KeyRing,
} from './index.js';

const START = Date.parse('2026-01-01T00:00:00Z');
const START_SECONDS = START / 1000;
const SECRET = 'tessera-test-secret-0123456789-abcdefghij';
const OLD_SECRET = 'tessera-old-secret-0123456789-abcdefghijk';
const ALGORITHMS: readonly Algorithm[] = ['EdDSA', 'ES256', 'RS256', 'HS256'];
const ASYMMETRIC: readonly Exclude<Algorithm, 'HS256'>[] = ['EdDSA', 'ES256', 'RS256'];
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

interface Instance {
  store: Store;
  clock: ManualClock;
  config: ResolvedConfig;
  ring: KeyRing;
  sign: AccessTokenSigner;
  verify: AccessTokenVerifier;
}

interface InstanceOptions {
  store?: Store;
  clock?: ManualClock;
  secrets?: string[];
  clockToleranceSeconds?: number;
  extraClaims?: string[];
}

function configFor(algorithm: Algorithm, options: InstanceOptions = {}): ResolvedConfig {
  return resolveConfig({
    mode: 'jwt',
    store: options.store ?? createMemoryStore(),
    clock: options.clock ?? createManualClock(START),
    jwt: {
      algorithm,
      secrets: options.secrets ?? (algorithm === 'HS256' ? [SECRET] : []),
      clockToleranceSeconds: options.clockToleranceSeconds ?? 5,
      extraClaims: options.extraClaims ?? [],
    },
  });
}

async function createInstance(algorithm: Algorithm, options: InstanceOptions = {}): Promise<Instance> {
  const clock = options.clock ?? createManualClock(START);
  const store = options.store ?? createMemoryStore();
  const config = configFor(algorithm, { ...options, clock, store });
  const ring = await loadKeyRing(config);
  return {
    store,
    clock,
    config,
    ring,
    sign: createAccessTokenSigner(config, ring),
    verify: createAccessTokenVerifier(config, ring),
  };
}

const encodeJson = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** Claims as the server would issue them at the instance's current time. */
function claimsAt(instance: Instance, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = Math.floor(instance.clock.now() / 1000);
  return {
    iss: 'tessera',
    sub: 'user-1',
    aud: 'tessera',
    iat,
    exp: iat + 600,
    jti: 'jti-1',
    sid: 'family-1',
    roles: ['user'],
    ...overrides,
  };
}

/** Signs any header and payload with any key (jose `CompactSign`, so nothing is checked). */
async function signRaw(
  key: KeyMaterial,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  crit?: Record<string, boolean>,
): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header as CompactJWSHeaderParameters)
    .sign(key, crit === undefined ? undefined : { crit });
}

/** A token the server's own key signs, with the given header and payload. */
async function signWithServerKey(
  instance: Instance,
  header: Record<string, unknown> = {},
  payload: Record<string, unknown> = {},
  crit?: Record<string, boolean>,
): Promise<string> {
  const { kid, key } = instance.ring.signingKey();
  return signRaw(key, { alg: instance.config.jwt.algorithm, kid, typ: 'at+jwt', ...header }, claimsAt(instance, payload), crit);
}

/** An attacker's key of the same algorithm, with its public JWK. */
async function attackerKey(algorithm: Algorithm): Promise<{ key: KeyMaterial; jwk: JWK }> {
  if (algorithm === 'HS256') {
    const secret = randomBytes(32);
    return { key: new Uint8Array(secret), jwk: { kty: 'oct', k: secret.toString('base64url') } };
  }
  const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true });
  return { key: privateKey, jwk: await exportJWK(publicKey) };
}

async function validToken(instance: Instance): Promise<string> {
  return (await instance.sign({ sub: 'user-1', sid: 'family-1', roles: ['user'] })).token;
}

/** A request counter on 127.0.0.1: a verifier that fetched a key named by a token would show up here. */
let keyServer: Server;
let keyServerUrl = '';
let keyServerRequests = 0;

beforeAll(async () => {
  keyServer = createServer((_request, response) => {
    keyServerRequests += 1;
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}');
  });
  await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
  keyServerUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => keyServer.close(() => resolve()));
});

type Rejection = 'malformed' | 'invalid' | 'expired';

interface AttackRow {
  name: string;
  /** Skip for these algorithms (the attack needs a public key). */
  only?: 'asymmetric';
  reason: Rejection;
  make(instance: Instance): Promise<string>;
}

const noneHeader = (instance: Instance, alg: string): string =>
  encodeJson({ alg, kid: instance.ring.signingKey().kid, typ: 'at+jwt' });

const ATTACKS: readonly AttackRow[] = [
  ...['none', 'None', 'NONE'].flatMap((alg): AttackRow[] => [
    {
      name: `alg ${alg} without a signature`,
      reason: 'malformed',
      make: async (i) => `${noneHeader(i, alg)}.${encodeJson(claimsAt(i))}.`,
    },
    {
      name: `alg ${alg} with a signature`,
      reason: 'invalid',
      make: async (i) => {
        const signature = (await validToken(i)).split('.')[2];
        return `${noneHeader(i, alg)}.${encodeJson(claimsAt(i))}.${signature}`;
      },
    },
  ]),
  {
    name: 'signature stripped',
    reason: 'malformed',
    make: async (i) => (await validToken(i)).split('.').slice(0, 2).join('.') + '.',
  },
  {
    name: 'payload modified (roles admin), original signature kept',
    reason: 'invalid',
    make: async (i) => {
      const [header, payload, signature] = (await validToken(i)).split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
      return `${header}.${encodeJson({ ...claims, roles: ['admin'] })}.${signature}`;
    },
  },
  {
    name: 'algorithm confusion: HS256 keyed with the public JWK JSON',
    only: 'asymmetric',
    reason: 'invalid',
    make: async (i) => {
      const jwk = i.ring.jwks().keys[0]!;
      const secret = new TextEncoder().encode(JSON.stringify(jwk));
      return signRaw(secret, { alg: 'HS256', kid: jwk.kid, typ: 'at+jwt' }, claimsAt(i, { roles: ['admin'] }));
    },
  },
  {
    name: 'algorithm confusion: HS256 keyed with the public key PEM',
    only: 'asymmetric',
    reason: 'invalid',
    make: async (i) => {
      const jwk = i.ring.jwks().keys[0]!;
      const publicKey = await importJWK(jwk, i.config.jwt.algorithm, { extractable: true });
      const pem = await exportSPKI(publicKey as Parameters<typeof exportSPKI>[0]);
      return signRaw(new TextEncoder().encode(pem), { alg: 'HS256', kid: jwk.kid, typ: 'at+jwt' }, claimsAt(i));
    },
  },
  {
    name: 'another asymmetric algorithm, attacker key, our kid',
    reason: 'invalid',
    make: async (i) => {
      const other = i.config.jwt.algorithm === 'ES256' ? 'EdDSA' : 'ES256';
      const { key } = await attackerKey(other);
      return signRaw(key, { alg: other, kid: i.ring.signingKey().kid, typ: 'at+jwt' }, claimsAt(i));
    },
  },
  {
    name: 'alg in another case, original signature',
    reason: 'invalid',
    make: async (i) => {
      const [, payload, signature] = (await validToken(i)).split('.');
      const header = { alg: i.config.jwt.algorithm.toLowerCase(), kid: i.ring.signingKey().kid, typ: 'at+jwt' };
      return `${encodeJson(header)}.${payload}.${signature}`;
    },
  },
  {
    name: 'embedded jwk header, attacker key, our kid',
    reason: 'invalid',
    make: async (i) => {
      const attacker = await attackerKey(i.config.jwt.algorithm);
      const header = { alg: i.config.jwt.algorithm, kid: i.ring.signingKey().kid, typ: 'at+jwt', jwk: attacker.jwk };
      return signRaw(attacker.key, header, claimsAt(i, { roles: ['admin'] }));
    },
  },
  {
    name: 'embedded jwk header, attacker key, no kid',
    reason: 'invalid',
    make: async (i) => {
      const attacker = await attackerKey(i.config.jwt.algorithm);
      return signRaw(attacker.key, { alg: i.config.jwt.algorithm, typ: 'at+jwt', jwk: attacker.jwk }, claimsAt(i));
    },
  },
  {
    name: 'embedded jwk header, otherwise valid (signed by our key)',
    reason: 'invalid',
    make: async (i) => signWithServerKey(i, { jwk: (await attackerKey(i.config.jwt.algorithm)).jwk }),
  },
  {
    name: 'attacker key, our kid, no key header',
    reason: 'invalid',
    make: async (i) => {
      const attacker = await attackerKey(i.config.jwt.algorithm);
      return signRaw(attacker.key, { alg: i.config.jwt.algorithm, kid: i.ring.signingKey().kid, typ: 'at+jwt' }, claimsAt(i));
    },
  },
  ...(['jku', 'x5u'] as const).flatMap((parameter): AttackRow[] => [
    {
      name: `${parameter} header to a local listener, attacker key, unknown kid`,
      reason: 'invalid',
      make: async (i) => {
        const attacker = await attackerKey(i.config.jwt.algorithm);
        const header = { alg: i.config.jwt.algorithm, kid: 'attacker', typ: 'at+jwt', [parameter]: `${keyServerUrl}/${parameter}` };
        return signRaw(attacker.key, header, claimsAt(i));
      },
    },
    {
      name: `${parameter} header to a local listener, signed by our own key`,
      reason: 'invalid',
      make: async (i) => signWithServerKey(i, { [parameter]: `${keyServerUrl}/${parameter}` }),
    },
  ]),
  {
    name: 'x5c header',
    reason: 'invalid',
    make: async (i) => signWithServerKey(i, { x5c: ['MIIB'] }),
  },
  {
    name: "kid '../../etc/passwd'",
    reason: 'invalid',
    make: async (i) => signWithServerKey(i, { kid: '../../etc/passwd' }),
  },
  {
    name: `kid "' OR 1=1 --"`,
    reason: 'invalid',
    make: async (i) => signWithServerKey(i, { kid: "' OR 1=1 --" }),
  },
  {
    name: 'kid of 129 characters',
    reason: 'invalid',
    make: async (i) => signWithServerKey(i, { kid: 'k'.repeat(129) }),
  },
  {
    name: 'kid not a string',
    reason: 'invalid',
    make: async (i) => signWithServerKey(i, { kid: 7 }),
  },
  {
    name: 'nbf in the future',
    reason: 'invalid',
    make: async (i) => signWithServerKey(i, {}, { nbf: Math.floor(i.clock.now() / 1000) + 60 }),
  },
  { name: 'wrong iss', reason: 'invalid', make: async (i) => signWithServerKey(i, {}, { iss: 'evil' }) },
  { name: 'wrong aud', reason: 'invalid', make: async (i) => signWithServerKey(i, {}, { aud: 'other-api' }) },
  { name: 'aud array without ours', reason: 'invalid', make: async (i) => signWithServerKey(i, {}, { aud: ['a', 'b'] }) },
  { name: 'missing typ', reason: 'invalid', make: async (i) => signWithServerKey(i, { typ: undefined }) },
  { name: "typ 'JWT'", reason: 'invalid', make: async (i) => signWithServerKey(i, { typ: 'JWT' }) },
  {
    name: 'unknown crit extension',
    reason: 'invalid',
    make: async (i) => signWithServerKey(i, { crit: ['urn:example:ext'], 'urn:example:ext': 1 }, {}, { 'urn:example:ext': true }),
  },
  { name: 'missing exp', reason: 'invalid', make: async (i) => signWithServerKey(i, {}, { exp: undefined }) },
  { name: 'missing iat', reason: 'invalid', make: async (i) => signWithServerKey(i, {}, { iat: undefined }) },
  { name: 'missing sid', reason: 'invalid', make: async (i) => signWithServerKey(i, {}, { sid: undefined }) },
  { name: 'missing jti', reason: 'invalid', make: async (i) => signWithServerKey(i, {}, { jti: undefined }) },
  { name: 'empty sub', reason: 'invalid', make: async (i) => signWithServerKey(i, {}, { sub: '' }) },
  { name: 'roles not an array', reason: 'invalid', make: async (i) => signWithServerKey(i, {}, { roles: 'admin' }) },
  { name: 'roles with a non-string', reason: 'invalid', make: async (i) => signWithServerKey(i, {}, { roles: ['user', 1] }) },
  { name: 'exp as a string', reason: 'invalid', make: async (i) => signWithServerKey(i, {}, { exp: String(START_SECONDS + 600) }) },
  {
    name: 'iat in the future',
    reason: 'invalid',
    make: async (i) => signWithServerKey(i, {}, { iat: Math.floor(i.clock.now() / 1000) + 3600, exp: START_SECONDS + 7200 }),
  },
  {
    name: 'exp far beyond the TTL, iat older than the TTL',
    reason: 'expired',
    make: async (i) => {
      const now = Math.floor(i.clock.now() / 1000);
      return signWithServerKey(i, {}, { iat: now - 700, exp: now + 86_400 });
    },
  },
  {
    name: 'expired (clock past exp + tolerance)',
    reason: 'expired',
    make: async (i) => {
      const token = await validToken(i);
      i.clock.advance((600 + 5) * 1000);
      return token;
    },
  },
  {
    name: '5-part JWE',
    reason: 'malformed',
    make: async (i) =>
      new CompactEncrypt(new TextEncoder().encode(JSON.stringify(claimsAt(i))))
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', typ: 'at+jwt' })
        .encrypt(new Uint8Array(32)),
  },
  {
    name: '5 base64url parts',
    reason: 'malformed',
    make: async (i) => {
      const [h, p, s] = (await validToken(i)).split('.');
      return [h, 'AAAA', p, 'BBBB', s].join('.');
    },
  },
  {
    name: '100 KB token',
    reason: 'malformed',
    make: async (i) => signWithServerKey(i, {}, { pad: 'A'.repeat(100 * 1024) }),
  },
  { name: 'garbage', reason: 'malformed', make: async () => '!!!.@@@.###' },
  { name: 'empty string', reason: 'malformed', make: async () => '' },
  { name: 'one part', reason: 'malformed', make: async () => 'abcdef' },
  { name: 'padded base64', reason: 'malformed', make: async (i) => (await validToken(i)).replace('.', '==.') },
  { name: 'header of 1 mod 4 length', reason: 'malformed', make: async (i) => `A.${encodeJson(claimsAt(i))}.AAAA` },
  {
    name: 'header not JSON',
    reason: 'malformed',
    make: async (i) => `${Buffer.from('{alg:').toString('base64url')}.${encodeJson(claimsAt(i))}.AAAA`,
  },
  { name: 'header a JSON array', reason: 'malformed', make: async (i) => `${encodeJson([1])}.${encodeJson(claimsAt(i))}.AAAA` },
  { name: 'header null', reason: 'malformed', make: async (i) => `${encodeJson(null)}.${encodeJson(claimsAt(i))}.AAAA` },
  {
    name: 'header with invalid UTF-8',
    reason: 'malformed',
    make: async (i) => `${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.${encodeJson(claimsAt(i))}.AAAA`,
  },
  {
    name: 'signed by another instance (different store) of the same algorithm',
    reason: 'invalid',
    make: async (i) => {
      const other = await createInstance(i.config.jwt.algorithm, {
        clock: i.clock,
        secrets: i.config.jwt.algorithm === 'HS256' ? [OLD_SECRET] : undefined,
      });
      return validToken(other);
    },
  },
];

describe.each(ALGORITHMS)('%s access tokens', (algorithm) => {
  it('signs and verifies: exact header and claim set', async () => {
    const instance = await createInstance(algorithm);
    const signed = await instance.sign({ sub: 'user-1', sid: 'family-1', roles: ['user', 'admin'] });

    expect(decodeProtectedHeader(signed.token)).toEqual({ alg: algorithm, kid: instance.ring.signingKey().kid, typ: 'at+jwt' });
    const payload = decodeJwt(signed.token);
    expect(Object.keys(payload).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'roles', 'sid', 'sub']);
    expect(payload).toEqual({
      iss: 'tessera',
      sub: 'user-1',
      aud: 'tessera',
      iat: START_SECONDS,
      exp: START_SECONDS + 600,
      jti: signed.jti,
      sid: 'family-1',
      roles: ['user', 'admin'],
    });
    expect(signed.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(signed.issuedAt).toBe(START);
    expect(signed.expiresAt).toBe(START + 600_000);

    await expect(instance.verify(signed.token)).resolves.toEqual({
      ok: true,
      claims: { sub: 'user-1', sid: 'family-1', roles: ['user', 'admin'], jti: signed.jti, iat: START_SECONDS, exp: START_SECONDS + 600 },
    });
  });

  it('gives each token its own jti', async () => {
    const instance = await createInstance(algorithm);
    const a = await instance.sign({ sub: 'u', sid: 's', roles: [] });
    const b = await instance.sign({ sub: 'u', sid: 's', roles: [] });
    expect(a.jti).not.toBe(b.jti);
  });

  it('keeps only the allow-listed extra claims', async () => {
    const instance = await createInstance(algorithm, { extraClaims: ['tenant', 'plan'] });
    const signed = await instance.sign({
      sub: 'u',
      sid: 's',
      roles: [],
      extra: { tenant: 't-1', plan: 3, email: 'a@example.com', admin: true },
    });
    const payload = decodeJwt(signed.token);
    expect(payload.tenant).toBe('t-1');
    expect(payload.plan).toBe(3);
    expect(payload).not.toHaveProperty('email');
    expect(payload).not.toHaveProperty('admin');
    const result = await instance.verify(signed.token);
    expect(result.ok && result.claims).toMatchObject({ tenant: 't-1', plan: 3 });
    expect(result.ok && result.claims).not.toHaveProperty('email');
  });

  it("accepts typ 'application/at+jwt' in any case", async () => {
    const instance = await createInstance(algorithm);
    for (const typ of ['application/at+jwt', 'AT+JWT', 'Application/At+Jwt']) {
      const token = await signWithServerKey(instance, { typ });
      expect((await instance.verify(token)).ok, typ).toBe(true);
    }
  });

  it('honours the clock tolerance: 3 s past exp is ok with 5 s, 6 s past is expired', async () => {
    const instance = await createInstance(algorithm, { clockToleranceSeconds: 5 });
    const { token, expiresAt } = await instance.sign({ sub: 'u', sid: 's', roles: [] });
    instance.clock.set(expiresAt + 3000);
    expect(await instance.verify(token)).toMatchObject({ ok: true });
    instance.clock.set(expiresAt + 6000);
    expect(await instance.verify(token)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a token before its nbf (beyond the tolerance) and accepts it after', async () => {
    const instance = await createInstance(algorithm, { clockToleranceSeconds: 5 });
    const token = await signWithServerKey(instance, {}, { nbf: START_SECONDS + 60 });
    expect(await instance.verify(token)).toEqual({ ok: false, reason: 'invalid' });
    instance.clock.set(START + 54_000);
    expect(await instance.verify(token)).toEqual({ ok: false, reason: 'invalid' });
    instance.clock.set(START + 55_000);
    expect(await instance.verify(token)).toMatchObject({ ok: true });
  });

  it('with no tolerance, a token is expired at exp', async () => {
    const instance = await createInstance(algorithm, { clockToleranceSeconds: 0 });
    const { token, expiresAt } = await instance.sign({ sub: 'u', sid: 's', roles: [] });
    instance.clock.set(expiresAt - 1);
    expect((await instance.verify(token)).ok).toBe(true);
    instance.clock.set(expiresAt);
    expect(await instance.verify(token)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses misuse of the signer', async () => {
    const instance = await createInstance(algorithm);
    await expect(instance.sign({ sub: '', sid: 's', roles: [] })).rejects.toThrow(TypeError);
    await expect(instance.sign({ sub: 'u', sid: '', roles: [] })).rejects.toThrow(TypeError);
    await expect(instance.sign({ sub: 'u', sid: 's', roles: [1 as unknown as string] })).rejects.toThrow(TypeError);
    await expect(instance.sign({ sub: 'u', sid: 's', roles: [], issuedAtMs: START_SECONDS * 1000 + 0.5 })).rejects.toThrow(TypeError);
    // A floor from the past never backdates a token: iat is now.
    const clamped = await instance.sign({ sub: 'u', sid: 's', roles: [], issuedAtMs: START_SECONDS * 1000 - 5000 });
    expect(decodeJwt(clamped.token).iat).toBe(START_SECONDS);
    await expect(instance.sign({ sub: 'u', sid: 's', roles: [], issuedAtMs: START_SECONDS * 1000 + 1001 })).rejects.toThrow(TypeError);
  });

  it('lets iat lead the clock by one second (after a same-second revocation) and still verifies', async () => {
    const instance = await createInstance(algorithm, { clockToleranceSeconds: 0 });
    const signed = await instance.sign({ sub: 'u', sid: 's', roles: [], issuedAtMs: START_SECONDS * 1000 + 1000 });
    expect(decodeJwt(signed.token)).toMatchObject({ iat: START_SECONDS + 1, exp: START_SECONDS + 601 });
    const fractional = await instance.sign({ sub: 'u', sid: 's', roles: [], issuedAtMs: START_SECONDS * 1000 + 250 });
    expect(decodeJwt(fractional.token)).toMatchObject({ iat: START_SECONDS + 0.25, exp: START_SECONDS + 600 });
    expect(await instance.verify(fractional.token)).toMatchObject({ ok: true });
    expect(await instance.verify(signed.token)).toMatchObject({ ok: true });
  });

  it('refuses a ring loaded for another algorithm', async () => {
    const instance = await createInstance(algorithm);
    const other = configFor(algorithm === 'EdDSA' ? 'ES256' : 'EdDSA', { store: instance.store, clock: instance.clock });
    expect(() => createAccessTokenSigner(other, instance.ring)).toThrow(ConfigError);
    expect(() => createAccessTokenVerifier(other, instance.ring)).toThrow(ConfigError);
  });

  describe('attack table: each row is refused, never thrown', () => {
    const rows = ATTACKS.filter((row) => row.only !== 'asymmetric' || algorithm !== 'HS256');
    it.each(rows.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
      const instance = await createInstance(algorithm);
      // The fast path is warm: a genuine token was verified (and cached) first, so every attack
      // also meets the verified-token cache, and must still fail.
      const genuine = await instance.sign({ sub: 'user-1', sid: 'family-1', roles: [] });
      expect((await instance.verify(genuine.token)).ok).toBe(true);
      expect((await instance.verify(genuine.token)).ok).toBe(true);
      const token = await row.make(instance);
      const before = keyServerRequests;
      const result = await instance.verify(token);
      expect(result).toEqual({ ok: false, reason: row.reason });
      expect(keyServerRequests).toBe(before);
    });

    it('non-string input', async () => {
      const instance = await createInstance(algorithm);
      for (const input of [undefined, null, 42, {}, ['a.b.c']]) {
        expect(await instance.verify(input as unknown as string)).toEqual({ ok: false, reason: 'malformed' });
      }
    });

    it('the key listener never received a request', () => {
      expect(keyServerRequests).toBe(0);
    });
  });
});

describe.each(ASYMMETRIC)('%s key ring', (algorithm) => {
  it('persists keys: a second ring on the same store reuses the kid', async () => {
    const first = await createInstance(algorithm);
    const second = await createInstance(algorithm, { store: first.store, clock: first.clock });
    expect(second.ring.signingKey().kid).toBe(first.ring.signingKey().kid);
    expect(await first.store.keys.list()).toHaveLength(1);
    expect(await second.verify(await validToken(first))).toMatchObject({ ok: true });
  });

  it('5 instances starting at once converge on one key', async () => {
    const store = createMemoryStore();
    const clock = createManualClock(START);
    const rings = await Promise.all(Array.from({ length: 5 }, () => loadKeyRing(configFor(algorithm, { store, clock }))));
    const kids = new Set(rings.map((ring) => ring.signingKey().kid));
    expect(kids.size).toBe(1);
    const stored = await store.keys.list();
    expect(stored.filter((key) => key.alg === algorithm && key.state === 'active')).toHaveLength(1);
  });

  it('signs with the oldest active key when the store holds several', async () => {
    const first = await createInstance(algorithm);
    const firstKid = first.ring.signingKey().kid;
    const extra = await createInstance(algorithm, { clock: first.clock });
    const [stored] = await extra.store.keys.list();
    first.clock.advance(1000);
    await first.store.keys.create({ ...stored!, createdAt: first.clock.now() });
    const ring = await loadKeyRing(first.config);
    expect(ring.signingKey().kid).toBe(firstKid);
    expect(ring.jwks().keys.map((key) => key.kid).sort()).toEqual([firstKid, stored!.kid].sort());
  });

  it('ignores keys of another algorithm', async () => {
    const store = createMemoryStore();
    const clock = createManualClock(START);
    const other = algorithm === 'EdDSA' ? 'ES256' : 'EdDSA';
    const otherRing = await loadKeyRing(configFor(other, { store, clock }));
    const ring = await loadKeyRing(configFor(algorithm, { store, clock }));
    expect(ring.signingKey().kid).not.toBe(otherRing.signingKey().kid);
    expect(ring.verificationKey(otherRing.signingKey().kid)).toBeUndefined();
    expect(ring.jwks().keys.map((key) => key.alg)).toEqual([algorithm]);
  });

  it('publishes public keys only, with kid, alg and use', async () => {
    const instance = await createInstance(algorithm);
    await rotateSigningKey(instance.config);
    await instance.ring.reload();
    const { keys } = instance.ring.jwks();
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key).toMatchObject({ alg: algorithm, use: 'sig' });
      expect(typeof key.kid).toBe('string');
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    }
    expect(JSON.stringify(keys)).not.toMatch(/"(d|p|q|dp|dq|qi|k)":/);
  });

  it('rotation: old tokens verify until they expire, the JWKS lists both keys, then the old key is gone', async () => {
    const instance = await createInstance(algorithm);
    const oldKid = instance.ring.signingKey().kid;
    const oldToken = await validToken(instance);

    const rotated = await rotateSigningKey(instance.config);
    expect(rotated.retired).toEqual([oldKid]);
    expect(rotated.kid).not.toBe(oldKid);
    const stored = await instance.store.keys.list();
    const retiring = stored.find((key) => key.kid === oldKid)!;
    expect(retiring.state).toBe('retiring');
    expect(retiring.retireAt).toBe(START + (600 + 5) * 1000 + KEY_RING_MAX_AGE_MS);

    // Before this ring reloads, the new key's tokens already verify (unknown kid → one reload).
    const fresh = await createInstance(algorithm, { store: instance.store, clock: instance.clock });
    expect(fresh.ring.signingKey().kid).toBe(rotated.kid);
    const newToken = await validToken(fresh);
    expect(await instance.verify(newToken)).toMatchObject({ ok: true });
    expect(instance.ring.signingKey().kid).toBe(rotated.kid);

    expect(await instance.verify(oldToken)).toMatchObject({ ok: true });
    expect(await fresh.verify(oldToken)).toMatchObject({ ok: true });
    expect(fresh.ring.jwks().keys.map((key) => key.kid).sort()).toEqual([oldKid, rotated.kid].sort());

    instance.clock.set(START + (600 + 5) * 1000);
    expect(await fresh.verify(oldToken)).toEqual({ ok: false, reason: 'expired' });

    instance.clock.set(retiring.retireAt!);
    expect(fresh.ring.verificationKey(oldKid)).toBeUndefined();
    expect(fresh.ring.jwks().keys.map((key) => key.kid)).toEqual([rotated.kid]);
    const late = await createInstance(algorithm, { store: instance.store, clock: instance.clock });
    expect(late.ring.verificationKey(oldKid)).toBeUndefined();

    const next = await rotateSigningKey(instance.config);
    expect(next.retired).toEqual([rotated.kid]);
    expect((await instance.store.keys.list()).map((key) => key.kid)).not.toContain(oldKid);
  });

  it('a ring older than KEY_RING_MAX_AGE_MS picks up a rotation before it signs', async () => {
    const instance = await createInstance(algorithm);
    const { kid } = await rotateSigningKey(instance.config);
    expect(instance.ring.signingKey().kid).not.toBe(kid);
    instance.clock.advance(KEY_RING_MAX_AGE_MS);
    const signed = await instance.sign({ sub: 'u', sid: 's', roles: [] });
    expect(decodeProtectedHeader(signed.token).kid).toBe(kid);
  });

  it('reloads for unknown kids at most once per interval', async () => {
    const instance = await createInstance(algorithm);
    let reloads = 0;
    const counted: KeyRing = {
      ...instance.ring,
      reload: async () => {
        reloads += 1;
        await instance.ring.reload();
      },
    };
    const verify = createAccessTokenVerifier(instance.config, counted);
    for (let n = 0; n < 10; n++) {
      expect(await verify(await signWithServerKey(instance, { kid: `unknown-${n}` }))).toEqual({ ok: false, reason: 'invalid' });
    }
    expect(reloads).toBe(1);
    instance.clock.advance(UNKNOWN_KID_RELOAD_INTERVAL_MS);
    await verify(await signWithServerKey(instance, { kid: 'unknown-again' }));
    expect(reloads).toBe(2);
  });

  it('a failing reload makes an unknown kid invalid, not an exception', async () => {
    const instance = await createInstance(algorithm);
    const failing: KeyRing = {
      ...instance.ring,
      reload: async () => {
        throw new Error('store down');
      },
    };
    const verify = createAccessTokenVerifier(instance.config, failing);
    expect(await verify(await signWithServerKey(instance, { kid: 'unknown' }))).toEqual({ ok: false, reason: 'invalid' });
    expect(await verify(await validToken(instance))).toMatchObject({ ok: true });
  });
});

describe('HS256 key ring', () => {
  it('derives kids from the secrets, signs with the first and verifies with all', async () => {
    const clock = createManualClock(START);
    const old = await createInstance('HS256', { clock, secrets: [OLD_SECRET] });
    const rotated = await createInstance('HS256', { clock, secrets: [SECRET, OLD_SECRET] });
    const kid = (secret: string): string =>
      createHash('sha256').update(`tessera-hs256:${secret}`).digest('base64url').slice(0, 16);

    expect(rotated.ring.signingKey().kid).toBe(kid(SECRET));
    expect(old.ring.signingKey().kid).toBe(kid(OLD_SECRET));
    expect(await rotated.verify(await validToken(old))).toMatchObject({ ok: true });
    expect(await old.verify(await validToken(rotated))).toEqual({ ok: false, reason: 'invalid' });
  });

  it('publishes no JWKS and stores no keys', async () => {
    const instance = await createInstance('HS256');
    expect(instance.ring.jwks()).toEqual({ keys: [] });
    expect(await instance.store.keys.list()).toEqual([]);
  });

  it('refuses rotateSigningKey', async () => {
    const instance = await createInstance('HS256');
    await expect(rotateSigningKey(instance.config)).rejects.toMatchObject({ name: 'ConfigError', option: 'jwt.algorithm' });
  });
});

describe('the verified-token cache (fast path)', () => {
  it('a cached token still expires at exp, and its tampered twins never hit the cache', async () => {
    const instance = await createInstance('EdDSA', { clockToleranceSeconds: 0 });
    const { token, expiresAt } = await instance.sign({ sub: 'u', sid: 's', roles: ['user'] });
    expect(await instance.verify(token)).toMatchObject({ ok: true });
    expect(await instance.verify(token)).toMatchObject({ ok: true, claims: { roles: ['user'] } });
    const [h, p, sig] = token.split('.') as [string, string, string];
    const forgedPayload = Buffer.from(JSON.stringify({ ...decodeJwt(token), roles: ['admin'] })).toString('base64url');
    expect(await instance.verify(`${h}.${forgedPayload}.${sig}`)).toEqual({ ok: false, reason: 'invalid' });
    // The cache finds entries by the end of the signature: a signature altered before it is a miss too.
    const alteredSignature = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    expect(await instance.verify(`${h}.${p}.${alteredSignature}`)).toEqual({ ok: false, reason: 'invalid' });
    expect(await instance.verify(token)).toMatchObject({ ok: true });
    expect((await instance.verify(`${h}.${p}.`)).ok).toBe(false);
    expect((await instance.verify(`${token}x`)).ok).toBe(false);
    instance.clock.set(expiresAt - 1);
    expect(await instance.verify(token)).toMatchObject({ ok: true });
    instance.clock.set(expiresAt);
    expect(await instance.verify(token)).toEqual({ ok: false, reason: 'expired' });
  });

  it('answers a token it verified before synchronously, and every other case with a promise', async () => {
    const instance = await createInstance('EdDSA');
    const { token } = await instance.sign({ sub: 'u', sid: 's', roles: ['user'] });
    const first = instance.verify(token);
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toMatchObject({ ok: true });
    const second = instance.verify(token);
    expect(second).not.toBeInstanceOf(Promise);
    expect(second).toMatchObject({ ok: true, claims: { sub: 'u', sid: 's', roles: ['user'] } });
    // A stale ring re-reads the store first, so the answer waits for it (and is still right).
    instance.clock.advance(KEY_RING_MAX_AGE_MS);
    const afterReload = instance.verify(token);
    expect(afterReload).toBeInstanceOf(Promise);
    expect(await afterReload).toMatchObject({ ok: true });
    // A store failure during the reload is still an answer from the keys the ring has, never a rejection.
    instance.clock.advance(KEY_RING_MAX_AGE_MS);
    instance.store.keys.list = () => Promise.reject(new Error('store down'));
    expect(await instance.verify(token)).toMatchObject({ ok: true });
  });

  it('a caller mutating the returned claims cannot change what the cache returns next', async () => {
    const instance = await createInstance('EdDSA');
    const { token } = await instance.sign({ sub: 'u', sid: 's', roles: ['user'] });
    const first = await instance.verify(token);
    if (!first.ok) throw new Error('expected ok');
    first.claims.roles.push('admin');
    const second = await instance.verify(token);
    expect(second).toMatchObject({ ok: true, claims: { roles: ['user'] } });
  });
});
