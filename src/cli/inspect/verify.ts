import { readFileSync } from 'node:fs';
import { compactVerify, createLocalJWKSet, createRemoteJWKSet, errors, type JSONWebKeySet } from 'jose';
import { UsageError } from '../args.js';

/** Asymmetric JWS algorithms a JWKS may verify (RFC 7518 §3.1, RFC 8037). Never `none`, never HS*. */
const PUBLIC_KEY_ALGORITHMS = ['EdDSA', 'Ed25519', 'ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];

/** Where the verification key comes from. */
export type KeySource = { kind: 'jwks'; location: string } | { kind: 'secret'; envName: string };

/** The outcome of a signature check. */
export type VerifyOutcome =
  | { ok: true; method: string; kid: string | null; alg: string }
  | { ok: false; method: string; reason: string };

type Verifier = Uint8Array | ReturnType<typeof createLocalJWKSet> | ReturnType<typeof createRemoteJWKSet>;

/**
 * Prepares the key: a JWKS URL (fetched with jose's `createRemoteJWKSet`, 5 s timeout), a JWKS
 * file (`createLocalJWKSet`), or an HS256 secret read from the named environment variable.
 * @throws UsageError when the file cannot be read or the variable is not set.
 */
export function loadKeySource(source: KeySource): { verifier: Verifier; algorithms: string[]; method: string } {
  if (source.kind === 'secret') {
    const secret = process.env[source.envName];
    if (!secret) throw new UsageError('--secret-env', `environment variable ${source.envName} is not set`);
    return { verifier: new TextEncoder().encode(secret), algorithms: ['HS256'], method: `HS256 secret from $${source.envName}` };
  }
  const location = source.location;
  if (/^https?:\/\//i.test(location)) {
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      throw new UsageError('--jwks', 'is not a valid URL');
    }
    return { verifier: createRemoteJWKSet(url, { timeoutDuration: 5000 }), algorithms: PUBLIC_KEY_ALGORITHMS, method: `JWKS ${url.origin}${url.pathname}` };
  }
  let jwks: unknown;
  try {
    jwks = JSON.parse(readFileSync(location, 'utf8'));
  } catch (err) {
    const why = err instanceof SyntaxError ? 'is not JSON' : 'cannot be read';
    throw new UsageError('--jwks', `${location} ${why}`);
  }
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys)) {
    throw new UsageError('--jwks', `${location} is not a JWK Set ({"keys": [...]})`);
  }
  const publicOnly = (jwks as JSONWebKeySet).keys.every((k) => k.kty !== 'oct');
  if (!publicOnly) throw new UsageError('--jwks', `${location} holds a symmetric (oct) key; a JWKS is for public keys`);
  return { verifier: createLocalJWKSet(jwks as JSONWebKeySet), algorithms: PUBLIC_KEY_ALGORITHMS, method: `JWKS file ${location}` };
}

/**
 * Checks the signature only (claims are linted separately, so an expired but genuine token is a
 * finding, not an invalid token). The algorithm list is fixed by the key source, never read from
 * the token; `jku`, `x5u` and `jwk` headers are ignored.
 */
export async function verifySignature(token: string, source: KeySource): Promise<VerifyOutcome> {
  const { verifier, algorithms, method } = loadKeySource(source);
  try {
    const options = { algorithms };
    const { protectedHeader } = verifier instanceof Uint8Array ? await compactVerify(token, verifier, options) : await compactVerify(token, verifier, options);
    return { ok: true, method, kid: typeof protectedHeader.kid === 'string' ? protectedHeader.kid : null, alg: protectedHeader.alg };
  } catch (err) {
    return { ok: false, method, reason: reasonOf(err) };
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof errors.JOSEAlgNotAllowed) return 'the token\'s alg is not one this key can verify';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key in the JWKS matches the token\'s kid and alg';
  if (err instanceof errors.JWKSMultipleMatchingKeys) return 'several keys in the JWKS match and none verifies';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  if (err instanceof errors.JWKSTimeout) return 'the JWKS could not be fetched in time';
  if (err instanceof errors.JWKSInvalid) return 'the JWKS is not a valid JWK Set';
  if (err instanceof errors.JWSInvalid) return 'the token is not a valid JWS';
  if (err instanceof errors.JOSENotSupported) return 'the token uses an unsupported algorithm or header';
  if (err instanceof errors.JOSEError) return `verification failed (${err.code})`;
  return 'the JWKS could not be fetched';
}
