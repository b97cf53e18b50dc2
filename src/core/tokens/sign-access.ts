import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { JWTPayload } from 'jose';
import type { ResolvedConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import type { KeyRing } from './keys.js';

/** What an access token says about its holder. */
export interface AccessTokenInput {
  /** User id. */
  sub: string;
  /** Refresh family (or session) id. */
  sid: string;
  roles: string[];
  /** Extra claims; only names listed in `config.jwt.extraClaims` are kept, the rest are dropped. */
  extra?: Record<string, string | number | boolean>;
  /**
   * Issue time in whole milliseconds, instead of now. It may only move forward, by at most
   * `MAX_IAT_LEAD_SECONDS`: so that a token minted in the same millisecond as a user-wide
   * revocation (a not-before in ms) sorts after it. `exp` is `floor(iat) + accessTtlSeconds`.
   */
  issuedAtMs?: number;
}

/** A freshly signed access token. */
export interface SignedAccessToken {
  /** JWS compact serialization. */
  token: string;
  jti: string;
  /** `iat`, in ms. */
  issuedAt: number;
  /** `exp`, in ms. */
  expiresAt: number;
}

/** Signs one access token. */
export type AccessTokenSigner = (input: AccessTokenInput) => Promise<SignedAccessToken>;

/** RFC 9068 §2.1: access tokens are typed so they cannot be confused with other JWTs. */
const ACCESS_TOKEN_TYP = 'at+jwt';

/** How far (seconds) `issuedAtMs` may put `iat` ahead of the clock; the verifier allows it. */
export const MAX_IAT_LEAD_SECONDS = 1;

/**
 * Creates the access-token signer: header `{ alg, kid, typ: 'at+jwt' }` (RFC 9068), claims exactly
 * `iss, sub, aud, exp, iat, jti, sid, roles` plus the allow-listed `extraClaims` (RFC 8725 §3.x:
 * a JWS payload is readable by anyone, so nothing else gets in). `iat` has millisecond precision and `exp` is a whole second
 * of `config.clock`; the lifetime is `config.jwt.accessTtlSeconds`.
 *
 * @throws ConfigError at creation if the ring is for another algorithm; the returned function
 *   throws TypeError on an empty `sub`/`sid`, non-string roles or an out-of-range `issuedAtMs` (misuse).
 * @example const sign = createAccessTokenSigner(config, ring); const { token } = await sign({ sub, sid, roles: [] });
 */
export function createAccessTokenSigner(config: ResolvedConfig, ring: KeyRing): AccessTokenSigner {
  const algorithm = config.jwt.algorithm;
  if (ring.algorithm !== algorithm) {
    throw new ConfigError('jwt.algorithm', `the key ring was loaded for ${ring.algorithm}, not ${algorithm}`);
  }
  const { issuer, audience, clock } = config;
  const ttlSeconds = config.jwt.accessTtlSeconds;
  const extraNames = [...config.jwt.extraClaims];

  return async function signAccessToken(input) {
    if (typeof input.sub !== 'string' || input.sub === '') throw new TypeError('sub must be a non-empty string');
    if (typeof input.sid !== 'string' || input.sid === '') throw new TypeError('sid must be a non-empty string');
    if (!Array.isArray(input.roles) || !input.roles.every((role) => typeof role === 'string')) {
      throw new TypeError('roles must be an array of strings');
    }
    await ring.reloadIfStale();
    const { kid, key } = ring.signingKey();

    const payload: JWTPayload = {};
    const extra = input.extra;
    if (extra !== undefined) {
      for (const name of extraNames) {
        const value = Object.hasOwn(extra, name) ? extra[name] : undefined;
        // defineProperty: a claim named `__proto__` must stay a plain own property.
        if (isClaimValue(value)) {
          Object.defineProperty(payload, name, { value, enumerable: true, writable: true, configurable: true });
        }
      }
    }
    payload.sid = input.sid;
    payload.roles = [...input.roles];

    const nowMs = clock.now();
    const requested = input.issuedAtMs ?? nowMs;
    if (!Number.isInteger(requested) || requested > nowMs + MAX_IAT_LEAD_SECONDS * 1000) {
      throw new TypeError(`issuedAtMs must be a whole millisecond at most ${MAX_IAT_LEAD_SECONDS} s ahead`);
    }
    // A floor computed a moment ago (before a store round trip) is never used to backdate a token.
    const issuedAtMs = Math.max(requested, nowMs);
    // iat keeps millisecond precision (RFC 7519 §2 NumericDate allows fractions): a revocation and
    // a token minted within the same second stay ordered. exp is a whole second, never later than iat + TTL.
    const issuedAtSeconds = issuedAtMs / 1000;
    const expiresAtSeconds = Math.floor(issuedAtSeconds) + ttlSeconds;
    const jti = randomBytes(16).toString('base64url');
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: algorithm, kid, typ: ACCESS_TOKEN_TYP })
      .setIssuer(issuer)
      .setSubject(input.sub)
      .setAudience(audience)
      .setIssuedAt(issuedAtSeconds)
      .setExpirationTime(expiresAtSeconds)
      .setJti(jti)
      .sign(key);
    return { token, jti, issuedAt: issuedAtMs, expiresAt: expiresAtSeconds * 1000 };
  };
}

function isClaimValue(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}
