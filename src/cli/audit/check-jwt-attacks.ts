import { createHmac, createPublicKey, randomBytes, type JsonWebKey } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactEncrypt, CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose';
import { AuditContext, CheckFailed, CheckSkipped, jwtHeader, jwtPayload } from './context.js';
import { describe } from './http.js';

type Claims = Record<string, unknown>;
type SigningKey = Parameters<CompactSign['sign']>[0];

/** What every attack row may use: a genuine token taken apart, attacker keys, a key URL listener. */
interface AttackKit {
  real: string;
  header: Claims;
  claims: Claims;
  signature: string;
  /** The attacker's own key pair, of the server's algorithm when it is asymmetric. */
  attacker: { alg: string; key: SigningKey; publicJwk: JWK };
  /** The server's published JWKS (empty for a symmetric algorithm). */
  jwks: JWK[];
  listener: KeyUrlListener;
  /** A genuine access token of this run that has already expired, if any. */
  expired: string | undefined;
}

/** A loopback listener standing in for an attacker's key URL; a server must never contact it. */
interface KeyUrlListener {
  url: string;
  connections(): number;
  close(): Promise<void>;
}

async function startListener(body: string): Promise<KeyUrlListener> {
  let connections = 0;
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  server.on('connection', () => connections++);
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');
const unsigned = (header: Claims, claims: Claims, signature = ''): string => `${b64(header)}.${b64(claims)}.${signature}`;
const hmac = (header: Claims, claims: Claims, secret: string | Uint8Array): string => {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
};
const sign = (header: Claims & { alg: string }, claims: Claims, key: SigningKey): Promise<string> =>
  new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader(header).sign(key);

const ADMIN = { roles: ['admin'] };

/** One row of the attack table: the tokens to send, each of which must be refused. */
interface Attack {
  id: string;
  what: string;
  /** A reason to skip, or null. */
  skip?(kit: AttackKit): string | null;
  tokens(kit: AttackKit): Promise<string[]>;
  /** `401` (default): exactly 401. `4xx`: any refusal (an oversize token may stop at the HTTP parser). */
  expect?: '401' | '4xx';
  /** Also fail if the key-URL listener was contacted. */
  watchesListener?: boolean;
}

async function attackerKit(alg: string): Promise<AttackKit['attacker']> {
  const chosen = ['EdDSA', 'ES256', 'RS256'].includes(alg) ? alg : 'EdDSA';
  const pair = await generateKeyPair(chosen, chosen === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true });
  return { alg: chosen, key: pair.privateKey, publicJwk: await exportJWK(pair.publicKey) };
}

function publishedKeyForms(kit: AttackKit): Array<string | Buffer> {
  const jwk = kit.jwks.find((k) => k.kid === kit.header.kid) ?? kit.jwks[0];
  if (!jwk) return [];
  const publicKey = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  return [JSON.stringify(jwk), publicKey.export({ type: 'spki', format: 'pem' }).toString(), publicKey.export({ type: 'spki', format: 'der' })];
}

const ATTACKS: Attack[] = [
  { id: 'jwt.alg-none', what: 'alg "none", no signature, roles admin', tokens: async (k) => [unsigned({ ...k.header, alg: 'none' }, { ...k.claims, ...ADMIN })] },
  {
    id: 'jwt.alg-none-variants',
    what: 'alg None / NONE / nOnE, and "none" with the original signature',
    tokens: async (k) => [
      ...['None', 'NONE', 'nOnE'].map((alg) => unsigned({ ...k.header, alg }, { ...k.claims, ...ADMIN })),
      unsigned({ ...k.header, alg: 'none' }, k.claims, k.signature),
    ],
  },
  {
    id: 'jwt.signature-stripped',
    what: 'signature removed (header.payload. and header.payload)',
    tokens: async (k) => [k.real.slice(0, k.real.lastIndexOf('.') + 1), k.real.slice(0, k.real.lastIndexOf('.'))],
  },
  { id: 'jwt.payload-tampered', what: 'roles changed to admin, original signature', tokens: async (k) => [unsigned(k.header, { ...k.claims, ...ADMIN }, k.signature)] },
  {
    id: 'jwt.foreign-key',
    what: "signed with another key under the server's kid",
    tokens: async (k) => [await sign({ ...k.header, alg: k.attacker.alg }, { ...k.claims, ...ADMIN }, k.attacker.key)],
  },
  {
    id: 'jwt.hs256-with-public-key',
    what: 'HS256 keyed with the published public key (JWK text, PEM, DER)',
    skip: (k) => (k.jwks.length === 0 ? 'no JWKS published (symmetric algorithm): nothing to confuse' : null),
    tokens: async (k) => publishedKeyForms(k).map((secret) => hmac({ ...k.header, alg: 'HS256' }, { ...k.claims, ...ADMIN }, secret)),
  },
  {
    id: 'jwt.embedded-jwk',
    what: 'jwk header carrying the attacker key',
    tokens: async (k) => {
      const { kid: _kid, ...noKid } = k.header;
      return [
        await sign({ ...k.header, alg: k.attacker.alg, jwk: k.attacker.publicJwk }, { ...k.claims, ...ADMIN }, k.attacker.key),
        await sign({ ...noKid, alg: k.attacker.alg, jwk: k.attacker.publicJwk }, { ...k.claims, ...ADMIN }, k.attacker.key),
      ];
    },
  },
  {
    id: 'jwt.jku-header',
    what: "jku naming a key URL on the auditor's loopback",
    watchesListener: true,
    tokens: async (k) => [
      await sign({ ...k.header, alg: k.attacker.alg, kid: 'attacker', jku: `${k.listener.url}/jwks.json` }, { ...k.claims, ...ADMIN }, k.attacker.key),
      await sign({ ...k.header, alg: k.attacker.alg, jku: `${k.listener.url}/jwks.json` }, { ...k.claims, ...ADMIN }, k.attacker.key),
    ],
  },
  {
    id: 'jwt.x5u-header',
    what: "x5u naming a certificate URL on the auditor's loopback",
    watchesListener: true,
    tokens: async (k) => [await sign({ ...k.header, alg: k.attacker.alg, kid: 'attacker', x5u: `${k.listener.url}/cert.pem` }, { ...k.claims, ...ADMIN }, k.attacker.key)],
  },
  {
    id: 'jwt.expired',
    what: 'an expired token',
    tokens: async (k) => {
      if (k.expired !== undefined) return [k.expired];
      const now = Math.floor(Date.now() / 1000);
      // No genuine token expired during this run: the best stand-in is one with exp in the past.
      return [unsigned(k.header, { ...k.claims, iat: now - 120, exp: now - 60 }, k.signature)];
    },
  },
  {
    id: 'jwt.garbage',
    what: 'garbage (not base64url, not JSON, one random part)',
    tokens: async () => [
      '!!!.###.$$$',
      `${Buffer.from('not json').toString('base64url')}.${Buffer.from('{').toString('base64url')}.AAAA`,
      randomBytes(48).toString('base64url'),
    ],
  },
  {
    id: 'jwt.five-part',
    what: 'a 5-part JWE-shaped token (dir / A256GCM)',
    tokens: async (k) => [
      await new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ ...k.claims, ...ADMIN })))
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', typ: 'at+jwt' })
        .encrypt(randomBytes(32)),
    ],
  },
  {
    id: 'jwt.oversize',
    what: 'a 9 KB token (over 8 KiB), original signature',
    expect: '4xx',
    tokens: async (k) => [unsigned(k.header, { ...k.claims, pad: 'x'.repeat(9 * 1024) }, k.signature)],
  },
];

/** The ids of the attack table, in order (for SKIP rows). */
export const ATTACK_IDS = ['jwt.control', ...ATTACKS.map((a) => a.id)];

/**
 * The JWT attack table of the jwt postures (RFC 8725): every forged, tampered or malformed token
 * sent as a bearer token to `GET /auth/me` must be refused with 401 (never 2xx, never 5xx), and no
 * key URL a token names may be fetched. A control row shows that a genuine token is accepted.
 */
export async function checkJwtAttacks(ctx: AuditContext): Promise<void> {
  if (!ctx.jwtMode) {
    for (const id of ATTACK_IDS) ctx.skip(id, 'session posture: opaque session tokens, no JWTs');
    return;
  }
  let kit: AttackKit | undefined;
  const control = await ctx.check('jwt.control', async () => {
    const login = await ctx.bearerLogin();
    const header = jwtHeader(login.access);
    const claims = jwtPayload(login.access);
    if (!header || !claims) throw new CheckFailed('the access token is not a JWT');
    const me = await ctx.me(login.access);
    if (me.status !== 200) throw new CheckFailed(`a genuine token is refused (${describe(me)}): the rows below would prove nothing`);
    const jwksRes = await ctx.get('/.well-known/jwks.json');
    const jwks = jwksRes.status === 200 && Array.isArray(jwksRes.body?.keys) ? (jwksRes.body.keys as JWK[]) : [];
    const nowS = Date.now() / 1000;
    const expired = ctx.accessTokens.find((t) => {
      const exp = jwtPayload(t)?.exp;
      return typeof exp === "number" && exp <= nowS;
    });
    kit = {
      real: login.access,
      header,
      claims,
      signature: login.access.split('.')[2] ?? '',
      attacker: await attackerKit(String(header.alg)),
      jwks,
      listener: await startListener(JSON.stringify({ keys: [] })),
      expired,
    };
    return `a genuine ${String(header.alg)} token is accepted`;
  });
  if (control.status !== 'PASS' || !kit) {
    for (const a of ATTACKS) ctx.skip(a.id, 'the control row failed');
    return;
  }
  const k = kit;
  try {
    for (const attack of ATTACKS) {
      await ctx.check(attack.id, async () => {
        const reason = attack.skip?.(k) ?? null;
        if (reason !== null) throw new CheckSkipped(reason);
        const statuses: string[] = [];
        for (const token of await attack.tokens(k)) {
          const res = await ctx.me(token);
          statuses.push(String(res.status));
          if (res.status >= 500) throw new CheckFailed(`${attack.what}: server error ${res.status} (must be refused with 401)`);
          if (res.status >= 200 && res.status < 300) throw new CheckFailed(`${attack.what}: ACCEPTED (${res.status})`);
          const ok = attack.expect === '4xx' ? res.status >= 400 && res.status < 500 : res.status === 401;
          if (!ok) throw new CheckFailed(`${attack.what}: ${describe(res)}, expected 401`);
        }
        if (attack.watchesListener && k.listener.connections() > 0) {
          throw new CheckFailed(`${attack.what}: refused, but the server contacted the key URL the token named`);
        }
        const note = attack.id === 'jwt.expired' && k.expired === undefined ? ' (no genuine token expired during the run: exp moved into the past)' : '';
        return `${attack.what} → ${[...new Set(statuses)].join('/')}${note}`;
      });
    }
  } finally {
    await k.listener.close();
  }
}
