/**
 * What a third party sees of the jwt postures over HTTP: the JWKS, a verifier that knows only
 * its URL, the shape of the access token (RFC 9068), and the transports (cookies for browsers,
 * body for bearer clients).
 */
import { createRemoteJWKSet, errors, generateKeyPair, jwtVerify, type JWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { Algorithm } from '../../src/core/config.js';
import { createClient } from '../helpers/client.js';
import type { TestServer } from '../helpers/server.js';
import {
  ACCESS_COOKIE,
  bearerLogin,
  bearerUser,
  cookieLogin,
  decode,
  JWT_MODES,
  me,
  REFRESH_COOKIE,
  REFRESH_TOKEN_SHAPE,
  setCookieOf,
  signCompact,
  signupUser,
  startJwtServer,
} from './jwt-support.js';
import { ISO_TIMESTAMP } from './support.js';

const ASYMMETRIC: readonly Algorithm[] = ['EdDSA', 'ES256', 'RS256'];
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const KTY: Record<string, string> = { EdDSA: 'OKP', ES256: 'EC', RS256: 'RSA' };

describe('JWKS and a verifier that knows only the JWKS URL', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each(ASYMMETRIC)('%s: GET /.well-known/jwks.json publishes public keys only, with kid, alg, use:"sig" and Cache-Control max-age', async (alg) => {
    server = await startJwtServer({ algorithm: alg });
    const { access } = await bearerUser(server, 'alice@x.io');
    const res = await createClient(server.url).get('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
    const cacheControl = res.headers.get('cache-control') ?? '';
    const maxAge = /(?:^|[,\s])max-age=(\d+)/.exec(cacheControl);
    expect(maxAge, `Cache-Control: ${cacheControl}`).not.toBeNull();
    expect(Number(maxAge![1])).toBeGreaterThan(0);

    expect(Object.keys(res.body)).toEqual(['keys']);
    const keys = res.body.keys as Array<Record<string, unknown>>;
    expect(keys.length).toBeGreaterThanOrEqual(1);
    for (const key of keys) {
      expect(key).toMatchObject({ kid: expect.any(String), alg, use: 'sig', kty: KTY[alg] });
      for (const member of PRIVATE_MEMBERS) expect(key, `private member ${member}`).not.toHaveProperty(member);
    }
    expect(keys.map((k) => k.kid)).toContain(decode(access).header.kid);
  });

  it.each(ASYMMETRIC)('%s: createRemoteJWKSet + jwtVerify (iss, aud, alg pinned) accepts a real access token and rejects one forged with another key under the same kid', async (alg) => {
    server = await startJwtServer({ algorithm: alg });
    const { access, user } = await bearerUser(server, 'alice@x.io');
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const options = {
      issuer: 'tessera',
      audience: 'tessera',
      algorithms: [alg],
      typ: 'at+jwt',
      // The server runs on an injected clock; verify at its time.
      currentDate: new Date(server.clock.now()),
    };

    const { payload, protectedHeader } = await jwtVerify(access, jwks, options);
    expect(payload.sub).toBe(user.id);
    expect(protectedHeader).toMatchObject({ alg, typ: 'at+jwt' });

    const { header, claims } = decode(access);
    const attacker = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
    const forged = await signCompact({ ...header, alg }, { ...claims, roles: ['admin'] }, attacker.privateKey);
    await expect(jwtVerify(forged, jwks, options)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
    // And the server agrees with the third party on both.
    expect((await me(server, access)).status).toBe(200);
    expect((await me(server, forged)).status).toBe(401);
  });

  it('HS256: no JWKS (404), and the posture says why', async () => {
    server = await startJwtServer({ algorithm: 'HS256' });
    const res = await createClient(server.url).get('/.well-known/jwks.json');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
    const posture = await createClient(server.url).get('/auth/posture');
    expect(posture.body.algorithms).toEqual(['HS256']);
    expect(posture.body.warnings.join('\n')).toMatch(/HS256/);
  });

  it('the session posture publishes no JWKS (404)', async () => {
    server = await startJwtServer({ mode: 'session' });
    expect((await createClient(server.url).get('/.well-known/jwks.json')).status).toBe(404);
  });
});

describe('access token shape (RFC 9068) and bearer login', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each(['EdDSA', 'ES256', 'RS256', 'HS256'] as const)('%s: header {alg, kid, typ:"at+jwt"}; claims exactly iss, sub, aud, exp, iat, jti, sid, roles; exp − iat = access TTL; nothing personal', async (alg) => {
    server = await startJwtServer({ algorithm: alg, accessTtlSeconds: 300 });
    const { access, refresh, expiresIn, body, user } = await bearerUser(server, 'Alice@X.io');
    const { header, claims } = decode(access);
    expect(Object.keys(header).sort()).toEqual(['alg', 'kid', 'typ']);
    expect(header).toMatchObject({ alg, typ: 'at+jwt', kid: expect.any(String) });
    expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'roles', 'sid', 'sub']);
    expect(claims).toMatchObject({ iss: 'tessera', sub: user.id, roles: [], jti: expect.any(String), sid: expect.any(String) });
    expect([claims.aud].flat()).toContain('tessera');
    expect((claims.exp as number) - (claims.iat as number)).toBe(300);
    expect(claims.iat).toBe(Math.floor(server.clock.now() / 1000));
    expect(expiresIn).toBe(300);

    const payloadText = Buffer.from(access.split('.')[1]!, 'base64url').toString('utf8');
    expect(payloadText).not.toMatch(/alice|@x\.io|password|hash|argon|secret/i);

    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type', 'user']);
    expect(body.token_type).toBe('Bearer');
    expect(body.user).toEqual({ id: user.id, email: 'alice@x.io', roles: [] });
    expect(refresh).toMatch(REFRESH_TOKEN_SHAPE);
    expect(access).not.toContain(refresh);

    const res = await me(server, access);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user: { id: user.id, email: 'alice@x.io', roles: [] }, session: { id: claims.sid }, mode: 'jwt' });
  });

  it('two logins of one user get different jti and sid', async () => {
    server = await startJwtServer();
    const a = await bearerUser(server, 'alice@x.io');
    const b = await bearerLogin(server, 'alice@x.io');
    expect(decode(a.access).claims.jti).not.toBe(decode(b.access).claims.jti);
    expect(decode(a.access).claims.sid).not.toBe(decode(b.access).claims.sid);
    expect(a.refresh).not.toBe(b.refresh);
  });
});

describe('cookie transport in the jwt postures', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each(JWT_MODES)('%s: login sets __Host-tessera_at (Lax, Path=/) and __Secure-tessera_rt (Strict, Path=/auth), HttpOnly and Secure, and the body carries neither token', async (mode) => {
    server = await startJwtServer({ mode, accessTtlSeconds: 300 });
    await signupUser(server, 'alice@x.io');
    const { client, res } = await cookieLogin(server, 'alice@x.io');

    const at = setCookieOf(res, ACCESS_COOKIE);
    const rt = setCookieOf(res, REFRESH_COOKIE);
    expect(at, 'access cookie').toBeDefined();
    expect(rt, 'refresh cookie').toBeDefined();
    expect(at!.attributes).toEqual({ path: '/', 'max-age': '300', httponly: true, secure: true, samesite: 'Lax' });
    expect(rt!.attributes).toEqual({ path: '/auth', 'max-age': String(30 * 24 * 3600), httponly: true, secure: true, samesite: 'Strict' });
    expect(decode(at!.value).header.typ).toBe('at+jwt');
    expect(rt!.value).toMatch(REFRESH_TOKEN_SHAPE);

    expect(res.text).not.toContain(at!.value);
    expect(res.text).not.toContain(rt!.value);
    expect(res.text).not.toContain(at!.value.split('.')[2]!);
    expect(Object.keys(res.body).sort()).toEqual(['csrf_token', 'session', 'user']);
    expect(res.body.session).toEqual({ id: decode(at!.value).claims.sid, expires_at: expect.stringMatching(ISO_TIMESTAMP) });

    const meRes = await client.get('/auth/me');
    expect(meRes.status).toBe(200);
    expect(meRes.body).toMatchObject({ user: { email: 'alice@x.io' }, session: { id: res.body.session.id }, mode });
    expect(meRes.text).not.toContain(at!.value);

    // A cookie refresh also keeps the tokens out of the body.
    const refreshed = await client.post('/auth/refresh');
    expect(refreshed.status).toBe(200);
    expect(Object.keys(refreshed.body).sort()).toEqual(['csrf_token', 'expires_in']);
    const at2 = setCookieOf(refreshed, ACCESS_COOKIE)!;
    const rt2 = setCookieOf(refreshed, REFRESH_COOKIE)!;
    expect(at2.attributes).toEqual(at!.attributes);
    expect(rt2.attributes.path).toBe('/auth');
    expect(rt2.attributes.samesite).toBe('Strict');
    expect(refreshed.text).not.toContain(at2.value);
    expect(refreshed.text).not.toContain(rt2.value);
  });

  it('bearer login sets no cookie', async () => {
    server = await startJwtServer();
    await signupUser(server, 'alice@x.io');
    const res = await createClient(server.url).post('/auth/login', { json: { email: 'alice@x.io', password: 'correct horse battery', transport: 'bearer' } });
    expect(res.status).toBe(200);
    expect(res.setCookies).toEqual([]);
  });
});

describe('JWKS keys are not private material even with a stored private key', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('no member of the stored private JWK that is not public appears in the JWKS text', async () => {
    server = await startJwtServer({ algorithm: 'ES256' });
    await bearerUser(server, 'alice@x.io');
    const [stored] = await server.store.keys.list();
    const privateJwk = JSON.parse(stored!.privateJwk) as JWK;
    const res = await createClient(server.url).get('/.well-known/jwks.json');
    expect(res.text).not.toContain(privateJwk.d!);
  });
});
