// The crypto floor: what one access-token signature check costs, per algorithm, with `jose`
// (WebCrypto, async: what Tessera's verifier calls) and with synchronous `node:crypto` on the same
// key and token. Tokens have Tessera's header and claims shape. No HTTP, no store.
import { createHmac, createPublicKey, timingSafeEqual, verify as cryptoVerify, KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify } from 'jose';
import { load } from './dist.mjs';

export const FLOOR_ALGORITHMS = ['EdDSA', 'ES256', 'RS256', 'HS256'];

async function keysFor(alg) {
  if (alg === 'HS256') {
    const secret = new TextEncoder().encode('s'.repeat(48));
    const key = await globalThis.crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    return { signKey: key, verifyKey: key, secret };
  }
  const options = alg === 'EdDSA' ? { extractable: true, crv: 'Ed25519' } : alg === 'RS256' ? { extractable: true, modulusLength: 2048 } : { extractable: true };
  const { privateKey, publicKey } = await generateKeyPair(alg, options);
  // As Tessera's key ring does: the public JWK is imported (non-extractable CryptoKey) for verification.
  const jwk = await exportJWK(publicKey);
  const verifyKey = await importJWK(jwk, alg, { extractable: false });
  return { signKey: privateKey, verifyKey, nodeKey: createPublicKey({ key: jwk, format: 'jwk' }) };
}

async function tokenFor(alg, signKey) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sid: 'f'.repeat(22), roles: [], jti: 'j'.repeat(22) })
    .setProtectedHeader({ alg, kid: 'k'.repeat(22), typ: 'at+jwt' })
    .setIssuer('tessera')
    .setAudience('tessera')
    .setSubject('00000000-0000-4000-8000-000000000000')
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(signKey);
}

/** A synchronous signature check with node:crypto; returns true if valid. */
export function nodeVerifier(alg, keys) {
  if (alg === 'HS256') {
    return (input, signature) => {
      const mac = createHmac('sha256', keys.secret).update(input).digest();
      return mac.length === signature.length && timingSafeEqual(mac, signature);
    };
  }
  const key = keys.nodeKey instanceof KeyObject ? keys.nodeKey : undefined;
  if (alg === 'EdDSA') return (input, signature) => cryptoVerify(null, input, key, signature);
  if (alg === 'ES256') return (input, signature) => cryptoVerify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature);
  return (input, signature) => cryptoVerify('sha256', input, key, signature);
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Tessera's own verifier (`createAccessTokenVerifier`, as built in dist/), every token new (a cache
 * miss): CPU time per verification over all threads (WebCrypto work on the thread pool included)
 * and the rate with 100 in flight.
 */
async function measureTesseraVerifier(alg, n) {
  const { createMemoryStore } = await load('stores/memory/index.js');
  const { resolveConfig } = await load('core/config.js');
  const { loadKeyRing, createAccessTokenSigner, createAccessTokenVerifier } = await load('core/tokens/index.js');
  const config = resolveConfig({ mode: 'jwt', store: createMemoryStore(), jwt: { algorithm: alg, secrets: alg === 'HS256' ? ['s'.repeat(48)] : [] } });
  const ring = await loadKeyRing(config);
  const sign = createAccessTokenSigner(config, ring);
  const tokens = [];
  for (let i = 0; i < n + 200; i++) tokens.push((await sign({ sub: `user-${i}`, sid: `family-${i}`, roles: [] })).token);
  const verify = createAccessTokenVerifier(config, ring);
  for (let i = 0; i < 200; i++) await verify(tokens[i]);
  const rest = tokens.slice(200);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < rest.length; i += 100) {
    const results = await Promise.all(rest.slice(i, i + 100).map((t) => verify(t)));
    if (!results.every((r) => r.ok)) throw new Error(`crypto floor: Tessera refused a valid ${alg} token`);
  }
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { tesseraColdCpuUs: (cpu.user + cpu.system) / rest.length, tesseraColdOpsPerSec: rest.length / (wallMs / 1000) };
}

/**
 * Measures, per algorithm: jose `jwtVerify` one at a time (µs, p50), jose with 100 in flight
 * (ops/s over the whole process), node:crypto signature check (µs, p50), and jose `SignJWT` (µs).
 * `iterations` per measurement.
 */
export async function measureCryptoFloor({ iterations = 2000 } = {}) {
  const out = {};
  for (const alg of FLOOR_ALGORITHMS) {
    const keys = await keysFor(alg);
    const token = await tokenFor(alg, keys.signKey);
    const [h, p, s] = token.split('.');
    const input = Buffer.from(`${h}.${p}`);
    const signature = Buffer.from(s, 'base64url');
    const options = { algorithms: [alg], issuer: 'tessera', audience: 'tessera', typ: 'at+jwt' };
    const verifyNode = nodeVerifier(alg, keys);
    if (!verifyNode(input, signature)) throw new Error(`crypto floor: node:crypto rejected a valid ${alg} token`);
    await jwtVerify(token, keys.verifyKey, options);

    const n = alg === 'RS256' ? Math.ceil(iterations / 4) : iterations;
    // Warm-up, then one at a time.
    for (let i = 0; i < 200; i++) await jwtVerify(token, keys.verifyKey, options);
    const joseTimes = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await jwtVerify(token, keys.verifyKey, options);
      joseTimes.push((performance.now() - t) * 1000);
    }
    // 100 in flight, like 100 connections' worth of concurrent verifications.
    let t = performance.now();
    for (let done = 0; done < n; done += 100) {
      await Promise.all(Array.from({ length: 100 }, () => jwtVerify(token, keys.verifyKey, options)));
    }
    const joseConcurrentOpsPerSec = (Math.ceil(n / 100) * 100) / ((performance.now() - t) / 1000);

    for (let i = 0; i < 200; i++) verifyNode(input, signature);
    const nodeTimes = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      verifyNode(input, signature);
      nodeTimes.push((performance.now() - t0) * 1000);
    }
    const signN = alg === 'RS256' ? 100 : 500;
    t = performance.now();
    for (let i = 0; i < signN; i++) await tokenFor(alg, keys.signKey);
    const signUs = ((performance.now() - t) * 1000) / signN;

    const tessera = await measureTesseraVerifier(alg, n);

    joseTimes.sort((a, b) => a - b);
    nodeTimes.sort((a, b) => a - b);
    out[alg] = {
      ...tessera,
      joseVerifyP50Us: percentile(joseTimes, 50),
      joseVerifyMeanUs: joseTimes.reduce((a, b) => a + b, 0) / joseTimes.length,
      joseConcurrentOpsPerSec,
      nodeVerifyP50Us: percentile(nodeTimes, 50),
      nodeVerifyMeanUs: nodeTimes.reduce((a, b) => a + b, 0) / nodeTimes.length,
      joseSignMeanUs: signUs,
      iterations: n,
    };
  }
  return out;
}
