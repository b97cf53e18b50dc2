// The synchronous node:crypto path (signature check + claim-set check) against `jose`, which it
// replaces on the verification hot path: for every token in the tables (and for random claim sets)
// both must give the same answer: accepted, expired, or refused.
import { createHmac, generateKeyPairSync, randomBytes, sign as cryptoSign } from 'node:crypto';
import fc from 'fast-check';
import { CompactSign, errors, exportJWK, generateKeyPair, importJWK, jwtVerify, type CryptoKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Algorithm } from '../config.js';
import { ConfigError } from '../errors.js';
import { checkClaimSet, type ClaimRules } from './check-claims.js';
import type { KeyMaterial } from './keys.js';
import { createSignatureCheck } from './verify-signature.js';

const ALGORITHMS: readonly Algorithm[] = ['EdDSA', 'ES256', 'RS256', 'HS256'];
const NOW_MS = Date.parse('2026-01-01T00:00:00Z') + 400; // not a whole second: flooring matters
const NOW = Math.floor(NOW_MS / 1000);
const TOLERANCE = 5;
const RULES: ClaimRules = {
  issuer: 'tessera',
  audience: 'tessera',
  requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'sid'],
  clockToleranceSeconds: TOLERANCE,
};
const JOSE_OPTIONS = {
  issuer: RULES.issuer,
  audience: RULES.audience,
  requiredClaims: [...RULES.requiredClaims],
  clockTolerance: TOLERANCE,
  currentDate: new Date(NOW_MS),
};

type Outcome = 'ok' | 'expired' | 'invalid';

interface Keys {
  /** Signs for the algorithm (what the ring's signing key is). */
  sign: KeyMaterial;
  /** Verifies, as the ring holds it (a non-extractable CryptoKey). */
  verify: KeyMaterial;
}

async function keysFor(algorithm: Algorithm, secret: Uint8Array = new TextEncoder().encode('tessera-test-secret-0123456789-abcdefghij')): Promise<Keys> {
  if (algorithm === 'HS256') {
    const key = await globalThis.crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    return { sign: key, verify: key };
  }
  const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true, ...(algorithm === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  return { sign: privateKey, verify: await importJWK(await exportJWK(publicKey), algorithm, { extractable: false }) };
}

const keys = new Map<Algorithm, Keys>();
beforeAll(async () => {
  for (const algorithm of ALGORITHMS) keys.set(algorithm, await keysFor(algorithm));
});

const header = (algorithm: Algorithm) => ({ alg: algorithm, kid: 'k1', typ: 'at+jwt' });

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { iss: 'tessera', sub: 'user-1', aud: 'tessera', iat: NOW, exp: NOW + 600, jti: 'j1', sid: 'f1', roles: [] };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete out[name];
    else out[name] = value;
  }
  return out;
}

async function sign(algorithm: Algorithm, payload: Uint8Array | Record<string, unknown> | string): Promise<string> {
  const bytes = payload instanceof Uint8Array ? payload : new TextEncoder().encode(typeof payload === 'string' ? payload : JSON.stringify(payload));
  return new CompactSign(bytes).setProtectedHeader(header(algorithm)).sign(keys.get(algorithm)!.sign);
}

/** jose's answer (the reference). */
async function joseOutcome(algorithm: Algorithm, token: string, key: KeyMaterial = keys.get(algorithm)!.verify): Promise<Outcome> {
  try {
    await jwtVerify(token, key, { ...JOSE_OPTIONS, algorithms: [algorithm] });
    return 'ok';
  } catch (error) {
    return error instanceof errors.JWTExpired ? 'expired' : 'invalid';
  }
}

/** The fast path's answer: signature first, then the claim set. */
function fastOutcome(algorithm: Algorithm, token: string, key: KeyMaterial = keys.get(algorithm)!.verify): Outcome {
  const [h, p, s] = token.split('.') as [string, string, string];
  if (!createSignatureCheck(algorithm)(key, `${h}.${p}`, Buffer.from(s, 'base64url'))) return 'invalid';
  const checked = checkClaimSet(Buffer.from(p, 'base64url'), RULES, NOW_MS);
  return checked.ok ? 'ok' : checked.reason;
}

interface Row {
  name: string;
  expected: Outcome;
  make(algorithm: Algorithm): Promise<string>;
  /** A key other than the ring's, for this row. */
  key?(algorithm: Algorithm): Promise<KeyMaterial>;
}

const flipLastSignatureByte = (token: string): string => {
  const [h, p, s] = token.split('.') as [string, string, string];
  const bytes = Buffer.from(s, 'base64url');
  bytes[bytes.length - 1]! ^= 0x01;
  return `${h}.${p}.${bytes.toString('base64url')}`;
};

const withSignature = (token: string, signature: Buffer): string => `${token.split('.').slice(0, 2).join('.')}.${signature.toString('base64url')}`;

const ROWS: readonly Row[] = [
  { name: 'valid', expected: 'ok', make: (a) => sign(a, claims()) },
  { name: 'aud array holding ours', expected: 'ok', make: (a) => sign(a, claims({ aud: ['x', 'tessera'] })) },
  { name: 'nbf exactly now + tolerance', expected: 'ok', make: (a) => sign(a, claims({ nbf: NOW + TOLERANCE })) },
  { name: 'nbf one second later', expected: 'invalid', make: (a) => sign(a, claims({ nbf: NOW + TOLERANCE + 1 })) },
  { name: 'exp one second after now − tolerance', expected: 'ok', make: (a) => sign(a, claims({ exp: NOW - TOLERANCE + 1 })) },
  { name: 'exp exactly now − tolerance', expected: 'expired', make: (a) => sign(a, claims({ exp: NOW - TOLERANCE })) },
  { name: 'expired and wrong iss: iss wins', expected: 'invalid', make: (a) => sign(a, claims({ exp: NOW - 3600, iss: 'evil' })) },
  { name: 'expired and nbf in the future: nbf wins', expected: 'invalid', make: (a) => sign(a, claims({ exp: NOW - 3600, nbf: NOW + 3600 })) },
  { name: 'exp 1e999 (Infinity)', expected: 'ok', make: (a) => sign(a, JSON.stringify(claims()).replace(/"exp":\d+/, '"exp":1e999')) },
  { name: 'exp a string', expected: 'invalid', make: (a) => sign(a, claims({ exp: String(NOW + 600) })) },
  { name: 'iat a string', expected: 'invalid', make: (a) => sign(a, claims({ iat: String(NOW) })) },
  { name: 'nbf null', expected: 'invalid', make: (a) => sign(a, claims({ nbf: null })) },
  { name: 'iss missing', expected: 'invalid', make: (a) => sign(a, claims({ iss: undefined })) },
  { name: 'iss in another case', expected: 'invalid', make: (a) => sign(a, claims({ iss: 'Tessera' })) },
  { name: 'aud missing', expected: 'invalid', make: (a) => sign(a, claims({ aud: undefined })) },
  { name: 'aud a number', expected: 'invalid', make: (a) => sign(a, claims({ aud: 7 })) },
  { name: 'aud array without ours', expected: 'invalid', make: (a) => sign(a, claims({ aud: ['a', 'b'] })) },
  { name: 'aud nested array', expected: 'invalid', make: (a) => sign(a, claims({ aud: [['tessera']] })) },
  { name: 'sid missing', expected: 'invalid', make: (a) => sign(a, claims({ sid: undefined })) },
  { name: 'claims on the prototype only', expected: 'invalid', make: (a) => sign(a, JSON.stringify({ __proto__: claims() })) },
  { name: 'payload a JSON array', expected: 'invalid', make: (a) => sign(a, '[1,2]') },
  { name: 'payload a JSON string', expected: 'invalid', make: (a) => sign(a, '"x"') },
  { name: 'payload null', expected: 'invalid', make: (a) => sign(a, 'null') },
  { name: 'payload not JSON', expected: 'invalid', make: (a) => sign(a, '{iss:') },
  { name: 'payload invalid UTF-8', expected: 'invalid', make: (a) => sign(a, Buffer.concat([Buffer.from('{"iss":"'), Buffer.from([0xff]), Buffer.from('"}')])) },
  { name: 'last signature byte flipped', expected: 'invalid', make: async (a) => flipLastSignatureByte(await sign(a, claims())) },
  { name: 'payload changed, signature kept', expected: 'invalid',
    make: async (a) => {
      const [h, , s] = (await sign(a, claims())).split('.');
      return `${h}.${Buffer.from(JSON.stringify(claims({ roles: ['admin'] }))).toString('base64url')}.${s}`;
    } },
  { name: 'signature one byte short', expected: 'invalid',
    make: async (a) => {
      const t = await sign(a, claims());
      return withSignature(t, Buffer.from(t.split('.')[2]!, 'base64url').subarray(0, -1));
    } },
  { name: 'signature with a byte appended', expected: 'invalid',
    make: async (a) => {
      const t = await sign(a, claims());
      return withSignature(t, Buffer.concat([Buffer.from(t.split('.')[2]!, 'base64url'), Buffer.from([0])]));
    } },
  { name: 'signature of zeros', expected: 'invalid',
    make: async (a) => {
      const t = await sign(a, claims());
      return withSignature(t, Buffer.alloc(Buffer.from(t.split('.')[2]!, 'base64url').length));
    } },
  { name: 'signature empty bytes', expected: 'invalid', make: async (a) => withSignature(await sign(a, claims()), Buffer.alloc(0)) },
  { name: 'signed by another key of the algorithm', expected: 'invalid',
    make: async (a) => new CompactSign(Buffer.from(JSON.stringify(claims()))).setProtectedHeader(header(a)).sign((await keysFor(a, randomBytes(32))).sign) },
  { name: 'verified with a key of another algorithm', expected: 'invalid', make: (a) => sign(a, claims()),
    key: async (a) => keys.get(a === 'EdDSA' ? 'ES256' : 'EdDSA')!.verify },
  { name: 'verified with an HMAC key (algorithm confusion)', expected: 'invalid', make: (a) => sign(a, claims()),
    key: async (a) => (a === 'HS256' ? keys.get('EdDSA')!.verify : keys.get('HS256')!.verify) },
];

describe.each(ALGORITHMS)('%s: node:crypto path and jose agree', (algorithm) => {
  it.each(ROWS.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    const token = await row.make(algorithm);
    const key = row.key ? await row.key(algorithm) : undefined;
    const reference = await joseOutcome(algorithm, token, key);
    expect(reference).toBe(row.expected);
    expect(fastOutcome(algorithm, token, key)).toBe(reference);
  });

  it('random claim sets: same answer as jose', async () => {
    const value = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.constantFrom('tessera', 'Tessera', '', 'x'),
      fc.integer({ min: NOW - 1000, max: NOW + 1000 }),
      fc.double({ min: NOW - 20, max: NOW + 20, noNaN: true }),
      fc.constantFrom(['tessera'], ['x'], [], ['x', 'tessera'], [1]),
      fc.boolean(),
    );
    await fc.assert(
      fc.asyncProperty(fc.record({ iss: value, sub: value, aud: value, exp: value, iat: value, nbf: value, jti: value, sid: value }), async (overrides) => {
        const payload: Record<string, unknown> = {};
        for (const [name, v] of Object.entries(overrides)) if (v !== undefined) payload[name] = v;
        const token = await sign(algorithm, payload);
        expect(fastOutcome(algorithm, token)).toBe(await joseOutcome(algorithm, token));
      }),
      { numRuns: algorithm === 'RS256' ? 60 : 200 },
    );
  });
});

describe('createSignatureCheck', () => {
  it('refuses an algorithm it does not pin', () => {
    expect(() => createSignatureCheck('none' as Algorithm)).toThrow(ConfigError);
    expect(() => createSignatureCheck('HS512' as Algorithm)).toThrow(ConfigError);
  });

  it('refuses RSA keys under 2048 bits, as jose does', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const input = 'eyJhbGciOiJSUzI1NiJ9.e30';
    const signature = cryptoSign('sha256', Buffer.from(input), privateKey);
    expect(createSignatureCheck('RS256')(publicKey, input, signature)).toBe(false);
  });

  it('refuses a CryptoKey without the verify usage', async () => {
    const secret = randomBytes(32);
    const signOnly = await globalThis.crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const input = 'a.b';
    const mac = createHmac('sha256', secret).update(input).digest();
    expect(createSignatureCheck('HS256')(signOnly as CryptoKey, input, mac)).toBe(false);
  });

  it('refuses an HMAC key with another hash', async () => {
    const secret = randomBytes(32);
    const sha512 = await globalThis.crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-512' }, false, ['verify']);
    const input = 'a.b';
    expect(createSignatureCheck('HS256')(sha512 as CryptoKey, input, createHmac('sha256', secret).update(input).digest())).toBe(false);
  });

  it('refuses an ES256 signature in DER form (JWS uses R || S, RFC 7518 §3.4)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const input = 'a.b';
    const der = cryptoSign('sha256', Buffer.from(input), privateKey);
    const raw = cryptoSign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const check = createSignatureCheck('ES256');
    expect(check(publicKey, input, raw)).toBe(true);
    expect(check(publicKey, input, der)).toBe(false);
  });
});
