/**
 * `tessera inspect` as a subprocess over a table of good and bad tokens crafted with jose:
 * what it prints, what it finds, and its exit code (0 clean, 1 findings, 2 invalid).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompactEncrypt, exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, hasAnsi, runCli } from './support.js';

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const HS_SECRET = 'inspect-test-secret-0123456789-abcdefghijklmnop';
const SECRET_VALUE = 'hunter2-super-secret-value';

let dir: string;
let jwksFile: string;
let edKey: Key;
let otherKey: Key;
let jwksServer: Server;
let jwksUrl: string;

const nowS = () => Math.floor(Date.now() / 1000);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A good access token's claims (RFC 9068), overridable; `undefined` removes a claim. */
function claims(over: Record<string, unknown> = {}): JWTPayload {
  const base: Record<string, unknown> = { iss: 'https://auth.example.com', aud: 'api', sub: 'user-1', jti: randomBytes(8).toString('hex'), iat: nowS(), exp: nowS() + 600, sid: 's1', roles: [] };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  return base as JWTPayload;
}

async function ed(payload: JWTPayload = claims(), header: Record<string, unknown> = {}, key: Key = edKey): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: 'at+jwt', ...header }).sign(key);
}

async function hs(payload: JWTPayload = claims(), secret = HS_SECRET): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(new TextEncoder().encode(secret));
}

function unsigned(payload: JWTPayload = claims(), alg = 'none'): string {
  return `${b64({ alg, typ: 'at+jwt' })}.${b64(payload)}.`;
}

interface Row {
  name: string;
  token: () => Promise<string>;
  args?: string[];
  code: 0 | 1 | 2;
  /** Finding codes that must be reported. */
  findings?: string[];
  /** Finding codes that must not be reported. */
  absent?: string[];
  stdout?: RegExp;
}

const ROWS: Row[] = [
  { name: 'a good EdDSA at+jwt token', token: () => ed(), code: 0, stdout: /result: clean/ },
  { name: 'a good EdDSA token verified with --jwks FILE', token: () => ed(), args: ['--jwks', '<file>'], code: 0, stdout: /signature: verified with JWKS file .*\(alg EdDSA, kid k1\)/ },
  { name: 'a good EdDSA token verified with --jwks URL (loopback)', token: () => ed(), args: ['--jwks', '<url>'], code: 0, stdout: /signature: verified with JWKS http:\/\/127\.0\.0\.1/ },
  { name: 'alg none', token: async () => unsigned(), code: 1, findings: ['alg-none'] },
  { name: 'alg NONE (any case)', token: async () => unsigned(claims(), 'NONE'), code: 1, findings: ['alg-none'] },
  { name: 'alg none with --jwks: does not verify', token: async () => unsigned(), args: ['--jwks', '<file>'], code: 2, findings: ['alg-none'], stdout: /NOT verified/ },
  { name: 'HS256 where a public key is expected (--jwks)', token: () => hs(), args: ['--jwks', '<file>'], code: 2, findings: ['alg-symmetric'] },
  { name: 'HS256 without a key: no alg finding', token: () => hs(), code: 0, absent: ['alg-symmetric'] },
  { name: 'HS256 verified with --secret-env', token: () => hs(), args: ['--secret-env', 'INSPECT_SECRET'], code: 0, stdout: /verified with HS256 secret from \$INSPECT_SECRET/ },
  { name: 'HS256 with the wrong secret', token: () => hs(claims(), 'another-secret-of-enough-length-0123456789'), args: ['--secret-env', 'INSPECT_SECRET'], code: 2, stdout: /signature does not verify/ },
  { name: 'bad signature (another key) with --jwks FILE', token: () => ed(claims(), {}, otherKey), args: ['--jwks', '<file>'], code: 2, stdout: /the signature does not verify/ },
  { name: 'tampered payload with --jwks FILE', token: async () => { const [h, , s] = (await ed()).split('.'); return `${h}.${b64(claims({ roles: ['admin'] }))}.${s}`; }, args: ['--jwks', '<file>'], code: 2 },
  { name: 'a long lifetime (1 h)', token: () => ed(claims({ exp: nowS() + 3600 })), code: 1, findings: ['lifetime-too-long'] },
  { name: 'exactly 15 min is fine', token: () => ed(claims({ exp: nowS() + 900 })), code: 0, absent: ['lifetime-too-long'] },
  { name: 'a secret-looking claim (password)', token: () => ed(claims({ password: SECRET_VALUE })), code: 1, findings: ['secret-claim'] },
  { name: 'secret-looking claims in camelCase and nested (creditCardNumber, profile.ssn, api_key)', token: () => ed(claims({ creditCardNumber: '4111', profile: { ssn: '078-05-1120' }, api_key: 'k' })), code: 1, findings: ['secret-claim'], stdout: /profile\.ssn/ },
  { name: 'OIDC at_hash is not a secret', token: () => ed(claims({ at_hash: 'abc' })), code: 0, absent: ['secret-claim'] },
  { name: 'missing aud', token: () => ed(claims({ aud: undefined })), code: 1, findings: ['aud-missing'] },
  { name: 'missing iss, jti and exp', token: () => ed(claims({ iss: undefined, jti: undefined, exp: undefined })), code: 1, findings: ['iss-missing', 'jti-missing', 'exp-missing'] },
  { name: 'missing typ', token: () => new SignJWT(claims()).setProtectedHeader({ alg: 'EdDSA', kid: 'k1' }).sign(edKey), code: 1, findings: ['typ-missing'] },
  { name: 'typ JWT', token: () => ed(claims(), { typ: 'JWT' }), code: 1, findings: ['typ-wrong'] },
  { name: 'a jku header', token: () => ed(claims(), { jku: 'https://evil.example/jwks.json' }), code: 1, findings: ['header-key-reference'] },
  { name: 'expired', token: () => ed(claims({ iat: nowS() - 700, exp: nowS() - 100 })), code: 1, findings: ['expired'] },
  { name: 'not yet valid (nbf)', token: () => ed(claims({ nbf: nowS() + 3600 })), code: 1, findings: ['not-yet-valid'] },
  { name: 'over 4 KB', token: () => ed(claims({ pad: 'x'.repeat(4200) })), code: 1, findings: ['size-large'] },
  { name: 'over 8 KB', token: () => ed(claims({ pad: 'x'.repeat(8400) })), code: 1, findings: ['size-too-large'] },
  { name: 'not a JWT', token: async () => 'hello', code: 2, stdout: /invalid: not a JWT/ },
  { name: 'not base64url', token: async () => '!!!.###.$$$', code: 2, stdout: /invalid: not a JWT/ },
  { name: 'base64url that is not JSON', token: async () => `${Buffer.from('nope').toString('base64url')}.${b64({})}.AAAA`, code: 2 },
  { name: 'a 5-part JWE', token: () => new CompactEncrypt(new TextEncoder().encode('{}')).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(randomBytes(32)), code: 2, stdout: /JWE/ },
];

describe('tessera inspect', () => {
  beforeAll(async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'tessera-inspect-'));
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    edKey = pair.privateKey;
    otherKey = (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey;
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' }] });
    jwksFile = join(dir, 'jwks.json');
    writeFileSync(jwksFile, jwks);
    jwksServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(jwks));
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(async () => {
    jwksServer?.closeAllConnections();
    await new Promise<void>((r) => (jwksServer ? jwksServer.close(() => r()) : r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(ROWS.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    const token = await row.token();
    const args = (row.args ?? []).map((a) => (a === '<file>' ? jwksFile : a === '<url>' ? jwksUrl : a));
    const env = { INSPECT_SECRET: HS_SECRET };
    const text = await runCli(['inspect', token, ...args], { env });
    expect(text.code, `${text.stdout}\n${text.stderr}`).toBe(row.code);
    if (row.stdout) expect(text.stdout).toMatch(row.stdout);
    // Never the signature, never a secret, no colours off a TTY.
    const signature = token.split('.')[2] ?? '';
    if (signature.length > 8 && token.split('.').length === 3) expect(text.stdout + text.stderr).not.toContain(signature);
    expect(text.stdout + text.stderr).not.toContain(HS_SECRET);
    expect(text.stdout).not.toContain(SECRET_VALUE);
    expect(hasAnsi(text.stdout + text.stderr)).toBe(false);

    const json = await runCli(['inspect', token, ...args, '--json'], { env });
    expect(json.code).toBe(row.code);
    const report = JSON.parse(json.stdout) as { status: string; findings: Array<{ code: string; severity: string }> };
    expect(report.status).toBe(row.code === 0 ? 'clean' : row.code === 1 ? 'findings' : 'invalid');
    const codes = report.findings.map((f) => f.code);
    for (const code of row.findings ?? []) {
      expect(codes).toContain(code);
      expect(text.stdout).toContain(code);
    }
    for (const code of row.absent ?? []) expect(codes).not.toContain(code);
    if (row.code === 0) expect(codes).toEqual([]);
  });

  it('prints header and payload with readable times and says a JWT is signed, not encrypted', async () => {
    const token = await ed(claims({ password: SECRET_VALUE }));
    const res = await runCli(['inspect', token]);
    expect(res.stdout).toMatch(/^header$/m);
    expect(res.stdout).toMatch(/^\s+alg\s+"EdDSA"$/m);
    expect(res.stdout).toMatch(/^payload$/m);
    expect(res.stdout).toMatch(/^\s+sub\s+"user-1"$/m);
    expect(res.stdout).toMatch(/^\s+exp\s+\d+\s+\(\d{4}-\d\d-\d\dT.*Z, in (9|10) min\)$/m);
    expect(res.stdout).toContain('signed, not encrypted');
    expect(res.stdout).toMatch(/password\s+"\[redacted here: \d+ characters/);
    expect(res.stdout).toMatch(/signature\s+64 bytes \(not shown\)/);
  });

  it('reads the token from stdin with "-" (a "Bearer " prefix and a newline are fine)', async () => {
    const token = await ed();
    const res = await runCli(['inspect', '-', '--jwks', jwksFile], { input: `Bearer ${token}\n` });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('signature: verified');
    const bad = await runCli(['inspect', '-'], { input: unsigned() });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('alg-none');
    const empty = await runCli(['inspect', '-'], { input: '' });
    expect(empty.code).toBe(2);
  });

  it.each([
    ['no token', ['inspect'], /expects a token/],
    ['--jwks and --secret-env together', ['inspect', 'x.y.z', '--jwks', 'f', '--secret-env', 'S'], /not both/],
    ['--secret-env naming an unset variable', ['inspect', '<token>', '--secret-env', 'TESSERA_NOPE_UNSET'], /not set/],
    ['--secret-env given a secret instead of a name', ['inspect', '<token>', '--secret-env', 'abc def!'], /NAME of an environment variable/],
    ['a missing JWKS file', ['inspect', '<token>', '--jwks', '/nonexistent/jwks.json'], /cannot be read/],
    ['an unknown flag', ['inspect', '<token>', '--bogus'], /bogus/],
  ])('invalid usage (%s) exits 2 with one line on stderr', async (_name, args, message) => {
    const token = await hs();
    const res = await runCli(args.map((a) => (a === '<token>' ? token : a)));
    expect(res.code).toBe(2);
    const lines = res.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(res.stderr).not.toContain(HS_SECRET);
  });
});
