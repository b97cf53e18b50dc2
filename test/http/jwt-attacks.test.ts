/**
 * The attack suite of issue 3 over HTTP: forged, tampered and malformed bearer tokens against
 * `GET /auth/me` on the real server, one row per attack, for each algorithm Tessera can pin.
 * Every row must get 401 problem+json with `WWW-Authenticate: Bearer … error="invalid_token"`
 * (RFC 6750 §3.1): never 200, never 500. Claim-level rows are signed with the server's own key
 * (read from its store) so that the one defect under test is the only reason to refuse them; a
 * control row signed the same way without the defect must get 200.
 */
import { createPublicKey, randomBytes, type JsonWebKey } from 'node:crypto';
import { CompactEncrypt, exportJWK, generateKeyPair, type CompactSign, type JWK } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Algorithm } from '../../src/core/config.js';
import { createClient } from '../helpers/client.js';
import type { TestServer } from '../helpers/server.js';
import {
  ALGORITHMS,
  bearerUser,
  decode,
  expectInvalidToken,
  hmacCompact,
  me,
  serverSigningKey,
  signCompact,
  startCountingListener,
  startJwtServer,
  toleranceS,
  unsignedCompact,
  type CountingListener,
} from './jwt-support.js';
import { bearer } from './support.js';

type SigningKey = Parameters<CompactSign['sign']>[0];

/** Keys that belong to the attacker, not to any server: made once per algorithm. */
interface AttackerKeys {
  /** Same algorithm as the server, a different key. */
  sameAlg: { key: SigningKey; publicJwk: JWK };
  /** Another asymmetric algorithm the server is not configured for. */
  otherAlg: { alg: 'EdDSA' | 'ES256'; key: SigningKey };
}

/** Everything a row may use to build its token; each `it` builds its own. */
interface AttackContext {
  server: TestServer;
  alg: Algorithm;
  /** A real access token of the victim (roles: []), accepted by the server. */
  real: string;
  /** The victim's real refresh token. */
  refresh: string;
  realHeader: Record<string, unknown>;
  realClaims: Record<string, unknown>;
  realSignature: string;
  /** Seconds of the server's clock. */
  nowS: number;
  /** Signs with the server's own key (claim-level rows). */
  asServer(header: Record<string, unknown>, claims: object, crit?: Record<string, boolean>): Promise<string>;
  /** Signs with the attacker's key of the server's algorithm. */
  asAttacker(header: Record<string, unknown>, claims: object): Promise<string>;
  attacker: AttackerKeys;
  /** A loopback listener the server must never contact. */
  listen(body: string): Promise<CountingListener>;
}

interface AttackRow {
  name: string;
  /** Algorithms the row applies to (default: all). */
  only?: (alg: Algorithm) => boolean;
  /** The `code` of the 401 (default `unauthenticated`). */
  code?: 'unauthenticated' | 'token_expired';
  /** The value of `Authorization: Bearer <token>`. */
  build(ctx: AttackContext): Promise<string>;
}

const asymmetric = (alg: Algorithm) => alg !== 'HS256';
const ADMIN_ROLES = { roles: ['admin'] };

/** The HMAC secrets an algorithm-confusion attacker derives from the published public key. */
async function publishedKeyBytes(ctx: AttackContext): Promise<{ jwkJson: string; pem: string; der: Buffer }> {
  const res = await createClient(ctx.server.url).get('/.well-known/jwks.json');
  expect(res.status).toBe(200);
  const jwk = (res.body.keys as JWK[]).find((k) => k.kid === ctx.realHeader.kid);
  expect(jwk, 'the signing key is published').toBeDefined();
  const publicKey = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  return {
    jwkJson: JSON.stringify(jwk),
    pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    der: publicKey.export({ type: 'spki', format: 'der' }),
  };
}

const ROWS: AttackRow[] = [
  ...(['none', 'None', 'NONE'] as const).flatMap((none): AttackRow[] => [
    {
      name: `alg "${none}" without a signature`,
      build: async (c) => unsignedCompact({ ...c.realHeader, alg: none }, { ...c.realClaims, ...ADMIN_ROLES }),
    },
    {
      name: `alg "${none}" with the original signature`,
      build: async (c) => unsignedCompact({ ...c.realHeader, alg: none }, c.realClaims, c.realSignature),
    },
  ]),
  {
    name: 'signature stripped (header.payload.)',
    build: async (c) => c.real.slice(0, c.real.lastIndexOf('.') + 1),
  },
  {
    name: 'signature stripped, no trailing dot (header.payload)',
    build: async (c) => c.real.slice(0, c.real.lastIndexOf('.')),
  },
  {
    name: 'payload changed (roles: ["admin"]) with the original signature',
    build: async (c) => unsignedCompact(c.realHeader, { ...c.realClaims, ...ADMIN_ROLES }, c.realSignature),
  },
  {
    name: 'algorithm confusion: HS256 keyed with the published JWK (JSON text)',
    only: asymmetric,
    build: async (c) => hmacCompact({ ...c.realHeader, alg: 'HS256' }, { ...c.realClaims, ...ADMIN_ROLES }, (await publishedKeyBytes(c)).jwkJson),
  },
  {
    name: 'algorithm confusion: HS256 keyed with the public key PEM (SPKI)',
    only: asymmetric,
    build: async (c) => hmacCompact({ ...c.realHeader, alg: 'HS256' }, { ...c.realClaims, ...ADMIN_ROLES }, (await publishedKeyBytes(c)).pem),
  },
  {
    name: 'algorithm confusion: HS256 keyed with the public key DER (SPKI)',
    only: asymmetric,
    build: async (c) => hmacCompact({ ...c.realHeader, alg: 'HS256' }, { ...c.realClaims, ...ADMIN_ROLES }, (await publishedKeyBytes(c)).der),
  },
  {
    name: "signed with another key of the same algorithm, under the server's kid",
    build: async (c) => c.asAttacker(c.realHeader, { ...c.realClaims, ...ADMIN_ROLES }),
  },
  {
    name: "another asymmetric algorithm than the configured one, under the server's kid",
    build: async (c) =>
      signCompact({ ...c.realHeader, alg: c.attacker.otherAlg.alg }, { ...c.realClaims, ...ADMIN_ROLES }, c.attacker.otherAlg.key),
  },
  {
    name: 'embedded jwk header carrying the attacker key',
    build: async (c) => c.asAttacker({ ...c.realHeader, jwk: c.attacker.sameAlg.publicJwk }, { ...c.realClaims, ...ADMIN_ROLES }),
  },
  {
    name: 'embedded jwk header without a kid',
    build: async (c) => {
      const { kid: _kid, ...header } = c.realHeader;
      return c.asAttacker({ ...header, jwk: c.attacker.sameAlg.publicJwk }, { ...c.realClaims, ...ADMIN_ROLES });
    },
  },
  {
    name: 'jku pointing at a listener on 127.0.0.1 (never contacted)',
    build: async (c) => {
      const jwks = JSON.stringify({ keys: [{ ...c.attacker.sameAlg.publicJwk, kid: 'attacker', use: 'sig' }] });
      const listener = await c.listen(jwks);
      return c.asAttacker({ ...c.realHeader, kid: 'attacker', jku: `${listener.url}/jwks.json` }, { ...c.realClaims, ...ADMIN_ROLES });
    },
  },
  {
    name: "jku pointing at a listener on 127.0.0.1, under the server's kid (never contacted)",
    build: async (c) => {
      const listener = await c.listen(JSON.stringify({ keys: [{ ...c.attacker.sameAlg.publicJwk, kid: c.realHeader.kid }] }));
      return c.asAttacker({ ...c.realHeader, jku: `${listener.url}/jwks.json` }, { ...c.realClaims, ...ADMIN_ROLES });
    },
  },
  {
    name: 'x5u pointing at a listener on 127.0.0.1 (never contacted)',
    build: async (c) => {
      const listener = await c.listen('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      return c.asAttacker({ ...c.realHeader, kid: 'attacker', x5u: `${listener.url}/cert.pem` }, { ...c.realClaims, ...ADMIN_ROLES });
    },
  },
  {
    name: 'kid with path traversal (../../dev/null), HS256 with an empty secret',
    build: async (c) =>
      hmacCompact({ ...c.realHeader, alg: 'HS256', kid: '../../../../../../../dev/null' }, { ...c.realClaims, ...ADMIN_ROLES }, ''),
  },
  {
    name: 'kid with path traversal, signed with the attacker key',
    build: async (c) => c.asAttacker({ ...c.realHeader, kid: '../../../../../../etc/passwd' }, { ...c.realClaims, ...ADMIN_ROLES }),
  },
  {
    name: "kid with SQL (' UNION SELECT 'attacker' --), HS256 keyed with 'attacker'",
    build: async (c) =>
      hmacCompact({ ...c.realHeader, alg: 'HS256', kid: "x' UNION SELECT 'attacker' -- " }, { ...c.realClaims, ...ADMIN_ROLES }, 'attacker'),
  },
  {
    name: "kid with SQL (' OR '1'='1), signed with the attacker key",
    build: async (c) => c.asAttacker({ ...c.realHeader, kid: "' OR '1'='1" }, { ...c.realClaims, ...ADMIN_ROLES }),
  },
  {
    name: "no kid (signed with the server's key)",
    build: async (c) => {
      const { kid: _kid, ...header } = c.realHeader;
      return c.asServer(header, c.realClaims);
    },
  },
  {
    name: 'expired: the real token after the clock passed exp + tolerance',
    code: 'token_expired',
    build: async (c) => {
      const exp = c.realClaims.exp as number;
      c.server.clock.set((exp + toleranceS(c.server) + 1) * 1000);
      return c.real;
    },
  },
  {
    name: "expired: exp in the past (signed with the server's key)",
    code: 'token_expired',
    build: async (c) => c.asServer(c.realHeader, { ...c.realClaims, iat: c.nowS - 120, exp: c.nowS - 60 }),
  },
  {
    name: "nbf in the future (signed with the server's key)",
    build: async (c) => c.asServer(c.realHeader, { ...c.realClaims, nbf: c.nowS + 3600 }),
  },
  {
    name: "wrong iss (signed with the server's key)",
    build: async (c) => c.asServer(c.realHeader, { ...c.realClaims, iss: 'https://evil.example' }),
  },
  {
    name: "missing iss (signed with the server's key)",
    build: async (c) => {
      const { iss: _iss, ...claims } = c.realClaims;
      return c.asServer(c.realHeader, claims);
    },
  },
  {
    name: "wrong aud (signed with the server's key)",
    build: async (c) => c.asServer(c.realHeader, { ...c.realClaims, aud: 'another-service' }),
  },
  {
    name: "aud array without ours (signed with the server's key)",
    build: async (c) => c.asServer(c.realHeader, { ...c.realClaims, aud: ['another-service', 'tessera-admin'] }),
  },
  {
    name: "missing exp (signed with the server's key)",
    build: async (c) => {
      const { exp: _exp, ...claims } = c.realClaims;
      return c.asServer(c.realHeader, claims);
    },
  },
  {
    name: "missing typ (signed with the server's key)",
    build: async (c) => {
      const { typ: _typ, ...header } = c.realHeader;
      return c.asServer(header, c.realClaims);
    },
  },
  {
    name: "typ JWT (signed with the server's key)",
    build: async (c) => c.asServer({ ...c.realHeader, typ: 'JWT' }, c.realClaims),
  },
  {
    name: 'a refresh token used as an access token',
    build: async (c) => c.refresh,
  },
  {
    name: "unknown crit extension (signed with the server's key)",
    build: async (c) =>
      c.asServer({ ...c.realHeader, crit: ['urn:example:unknown'], 'urn:example:unknown': true }, c.realClaims, { 'urn:example:unknown': true }),
  },
  {
    name: 'a 5-part JWE-shaped token (dir / A256GCM)',
    build: async (c) =>
      new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ ...c.realClaims, ...ADMIN_ROLES })))
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', typ: 'at+jwt', kid: c.realHeader.kid as string })
        .encrypt(randomBytes(32)),
  },
  {
    name: "oversize (9 KB, over the 8 KiB limit), validly signed with the server's key",
    build: async (c) => c.asServer(c.realHeader, { ...c.realClaims, pad: 'x'.repeat(9 * 1024) }),
  },
  {
    name: 'garbage: characters outside base64url',
    build: async () => '!!!.###.$$$',
  },
  {
    name: 'garbage: base64url that is not JSON',
    build: async () => `${Buffer.from('not json').toString('base64url')}.${Buffer.from('{').toString('base64url')}.AAAA`,
  },
  {
    name: 'garbage: one random base64url part',
    build: async () => randomBytes(64).toString('base64url'),
  },
];

async function attackerKeys(alg: Algorithm): Promise<AttackerKeys> {
  let sameAlg: AttackerKeys['sameAlg'];
  if (alg === 'HS256') {
    const secret = randomBytes(32);
    sameAlg = { key: secret, publicJwk: { kty: 'oct', k: secret.toString('base64url') } };
  } else {
    const pair = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true });
    sameAlg = { key: pair.privateKey, publicJwk: await exportJWK(pair.publicKey) };
  }
  const other = alg === 'EdDSA' ? 'ES256' : 'EdDSA';
  const otherPair = await generateKeyPair(other, other === 'EdDSA' ? { crv: 'Ed25519' } : {});
  return { sameAlg, otherAlg: { alg: other, key: otherPair.privateKey } };
}

describe.each(ALGORITHMS.map((alg) => ({ alg })))('attack suite against GET /auth/me (mode jwt, $alg)', ({ alg }) => {
  let attacker: AttackerKeys;
  let server: TestServer | undefined;
  let listeners: CountingListener[] = [];

  beforeAll(async () => {
    attacker = await attackerKeys(alg);
  });

  afterEach(async () => {
    await Promise.all(listeners.map((l) => l.close()));
    listeners = [];
    await server?.close();
    server = undefined;
  });

  async function setUp(): Promise<AttackContext> {
    server = await startJwtServer({ algorithm: alg });
    const s = server;
    const victim = await bearerUser(s, 'victim@x.io');
    expect((await me(s, victim.access)).status, 'the real token is accepted').toBe(200);
    const { header, claims } = decode(victim.access);
    const serverKey = await serverSigningKey(s, victim.access);
    return {
      server: s,
      alg,
      real: victim.access,
      refresh: victim.refresh,
      realHeader: header,
      realClaims: claims,
      realSignature: victim.access.split('.')[2]!,
      nowS: Math.floor(s.clock.now() / 1000),
      attacker,
      asServer: (h, claims, crit) => signCompact({ ...h, alg } as Record<string, unknown> & { alg: string }, claims, serverKey.key, crit),
      asAttacker: async (h, claims) =>
        alg === 'HS256'
          ? hmacCompact({ ...h, alg: 'HS256' }, claims, attacker.sameAlg.key as Uint8Array)
          : signCompact({ ...h, alg }, claims, attacker.sameAlg.key),
      async listen(body) {
        const listener = await startCountingListener(body);
        listeners.push(listener);
        return listener;
      },
    };
  }

  it('control: a token forged with the server key and nothing wrong is accepted (the rows below test one defect each)', async () => {
    const ctx = await setUp();
    const forged = await ctx.asServer(ctx.realHeader, { ...ctx.realClaims, jti: 'control-jti' });
    const res = await me(ctx.server, forged);
    expect(res.status, res.text).toBe(200);
    expect(res.body.user.roles).toEqual([]);
  });

  const rows = ROWS.filter((row) => row.only?.(alg) ?? true);
  it.each(rows.map((row) => [row.name, row] as const))('%s → 401 invalid_token', async (_name, row) => {
    const ctx = await setUp();
    const token = await row.build(ctx);
    const res = await createClient(ctx.server.url).get('/auth/me', { headers: bearer(token) });
    expectInvalidToken(res, row.code ?? 'unauthenticated', [token]);
    // The server is still fine, and no key URL named by the token was ever contacted.
    expect((await createClient(ctx.server.url).get('/healthz')).status).toBe(200);
    for (const listener of listeners) {
      expect({ connections: listener.connections, requests: listener.requests }).toEqual({ connections: 0, requests: [] });
    }
  });

  it('a 100 KB token is refused with a 4xx before it reaches the verifier (never 200, never 5xx)', async () => {
    const ctx = await setUp();
    const huge = await ctx.asServer(ctx.realHeader, { ...ctx.realClaims, pad: 'x'.repeat(100 * 1024) });
    expect(huge.length).toBeGreaterThan(100 * 1024);
    const res = await fetch(`${ctx.server.url}/auth/me`, { headers: bearer(huge), signal: AbortSignal.timeout(15_000) });
    const text = await res.text();
    // Node's HTTP parser refuses request headers over its 16 KiB default before Fastify runs.
    expect(res.status).toBe(431);
    expect(text).not.toContain(huge.slice(0, 64));
    expect((await me(ctx.server, ctx.real)).status, 'the server still serves the real token').toBe(200);
  });

  if (alg === 'HS256') {
    it('no JWKS is published for HS256: GET /.well-known/jwks.json → 404 problem+json', async () => {
      server = await startJwtServer({ algorithm: alg });
      const res = await createClient(server.url).get('/.well-known/jwks.json');
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.text).not.toContain(server.tessera.config.jwt.secrets[0]!);
    });
  }
});
