import { createVerifiedTokenCache } from './verified-cache.js';
import type { ResolvedConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { checkClaimSet, type ClaimRules } from './check-claims.js';
import type { KeyRing } from './keys.js';
import { MAX_IAT_LEAD_SECONDS } from './sign-access.js';
import { createSignatureCheck } from './verify-signature.js';

/** The claims of a verified access token. `iat`/`exp` are in seconds. */
export interface AccessClaims {
  sub: string;
  sid: string;
  roles: string[];
  jti: string;
  iat: number;
  exp: number;
  /** Only the names in `config.jwt.extraClaims`. */
  [extra: string]: unknown;
}

/** Why a token was refused: unparseable, refused (bad signature, header or claims), or past `exp`. */
export type AccessRejection = 'malformed' | 'invalid' | 'expired';

/** A verified token's claims, or why it was refused. */
export type AccessVerifyResult = { ok: true; claims: AccessClaims } | { ok: false; reason: AccessRejection };

/**
 * Verifies one access token; never throws or rejects. A token it has verified before is answered
 * synchronously (no promise on the hot path); a full verification returns a promise.
 */
export type AccessTokenVerifier = (token: string) => AccessVerifyResult | Promise<AccessVerifyResult>;

/** Longest token accepted; checked before any parsing. */
export const MAX_ACCESS_TOKEN_LENGTH = 8192;

/** Least time between two store re-reads caused by an unknown `kid` (per ring, so per process). */
export const UNKNOWN_KID_RELOAD_INTERVAL_MS = 5000;

const MAX_KID_LENGTH = 128;
const ACCESS_TOKEN_TYP = 'at+jwt';
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Header parameters that name or carry a key (RFC 7515 §4.1.2–4.1.6). Tessera never fetches or
 * trusts a key a token names (RFC 8725 §3.10); `crit` lists extensions, of which we understand
 * none (RFC 7515 §4.1.11).
 */
const REFUSED_HEADER_PARAMETERS = ['jku', 'x5u', 'jwk', 'x5c', 'crit'] as const;

const MALFORMED: AccessVerifyResult = Object.freeze({ ok: false, reason: 'malformed' });
const INVALID: AccessVerifyResult = Object.freeze({ ok: false, reason: 'invalid' });
const EXPIRED: AccessVerifyResult = Object.freeze({ ok: false, reason: 'expired' });

const utf8 = new TextDecoder('utf-8', { fatal: true });

interface ReloadGate {
  lastAt: number | null;
  pending: Promise<void> | null;
}

/** Rate limit of unknown-kid reloads, shared by every verifier of a ring. */
const reloadGates = new WeakMap<KeyRing, ReloadGate>();

/** How many verified tokens each verifier remembers (about 1 KB each). */
export const VERIFIED_CACHE_ENTRIES = 10_000;

/** A token that passed the structural and header checks: its `kid` and its three parts. */
interface Screened {
  kid: string;
  header: string;
  payload: string;
  signature: string;
}

/**
 * Creates the access-token verifier. Everything is set up once; per call the token is checked
 * structurally, its header is screened (`typ`, RFC 9068 §4; the pinned `alg`), the key is chosen by
 * `kid` only, and the signature is checked synchronously with `node:crypto` (configured algorithm
 * only, RFC 8725 §3.1; see `createSignatureCheck`) before any claim is read: then `iss`, `aud`,
 * `exp`/`nbf` with `config.jwt.clockToleranceSeconds` (`checkClaimSet`, the rules of `jose`'s
 * `jwtVerify`), an age of less than
 * `accessTtlSeconds` since `iat` (so no token outlives the configured TTL, whatever its `exp`), and
 * an `iat` no further ahead than the tolerance plus `MAX_IAT_LEAD_SECONDS`.
 * The token never reaches an error or a log.
 *
 * @throws ConfigError at creation if the ring is for another algorithm. The returned function never throws.
 * @example const verify = createAccessTokenVerifier(config, ring); const result = await verify(token);
 */
export function createAccessTokenVerifier(config: ResolvedConfig, ring: KeyRing): AccessTokenVerifier {
  const algorithm = config.jwt.algorithm;
  if (ring.algorithm !== algorithm) {
    throw new ConfigError('jwt.algorithm', `the key ring was loaded for ${ring.algorithm}, not ${algorithm}`);
  }
  const clock = config.clock;
  const extraNames = [...config.jwt.extraClaims];
  const rules: Readonly<ClaimRules> = Object.freeze({
    issuer: config.issuer,
    audience: config.audience,
    requiredClaims: Object.freeze(['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'sid']),
    clockToleranceSeconds: config.jwt.clockToleranceSeconds,
  });
  const checkSignature = createSignatureCheck(algorithm);
  const tolerance = config.jwt.clockToleranceSeconds;
  const ttlSeconds = config.jwt.accessTtlSeconds;
  const cache = createVerifiedTokenCache(VERIFIED_CACHE_ENTRIES);

  /** The time rules, applied on every call, cached or not (RFC 7519 §4.1.4, §4.1.6). */
  function timeCheck(iat: number, exp: number, nowMs: number): AccessVerifyResult | null {
    const nowSeconds = nowMs / 1000;
    if (exp <= nowSeconds - tolerance) return EXPIRED;
    if (iat > nowSeconds + tolerance + MAX_IAT_LEAD_SECONDS) return INVALID;
    if (nowSeconds - iat - tolerance >= ttlSeconds) return EXPIRED;
    return null;
  }

  function verify(token: string): AccessVerifyResult | Promise<AccessVerifyResult> {
    if (typeof token !== 'string' || token.length > MAX_ACCESS_TOKEN_LENGTH) return MALFORMED;
    const reloading = ring.reloadIfStale();
    return reloading === null ? verifyWithRing(token) : reloading.then(() => verifyWithRing(token));
  }

  function verifyWithRing(token: string): AccessVerifyResult | Promise<AccessVerifyResult> {
    // Fast path: this exact string passed every check before (structure, header, signature,
    // claims), so the screening is not repeated. Its key must still be in the ring (a retired key's
    // tokens fall out), and the time rules are applied again; revocation runs after, as always.
    const now = clock.now();
    const hit = cache.get(token, now);
    if (hit !== undefined && ring.verificationKey(hit.kid) !== undefined) {
      const rejected = timeCheck(hit.claims.iat, hit.claims.exp, now);
      if (rejected) return rejected;
      return { ok: true, claims: { ...hit.claims, roles: [...hit.claims.roles] } };
    }
    return verifyFully(token, now);
  }

  /** Every check, for a token not in the cache (or whose cached key is gone). */
  async function verifyFully(token: string, now: number): Promise<AccessVerifyResult> {
    const screened = screenHeader(token, algorithm);
    if ('ok' in screened) return screened;
    const { kid } = screened;
    let key = ring.verificationKey(kid);
    if (key === undefined && (await reloadForUnknownKid(ring, now))) {
      key = ring.verificationKey(kid);
      now = clock.now();
    }
    if (key === undefined) return INVALID;

    // RFC 7515 §5.2: the signature over the ASCII header and payload parts, before any claim is read.
    if (!checkSignature(key, `${screened.header}.${screened.payload}`, Buffer.from(screened.signature, 'base64url'))) return INVALID;
    const checked = checkClaimSet(Buffer.from(screened.payload, 'base64url'), rules, now);
    if (!checked.ok) return checked.reason === 'expired' ? EXPIRED : INVALID;
    const payload = checked.payload;
    // Signature, iss, aud, typ, exp and nbf are good; now the age (RFC 7519 §4.1.6). No token
    // outlives accessTtlSeconds after its iat, whatever its exp (the revocation windows of the
    // jwt postures are sized by it), and iat is not ahead of us by more than the signer may put it.
    const iat = payload.iat;
    if (typeof iat !== 'number' || typeof payload.exp !== 'number') return INVALID;
    const rejected = timeCheck(iat, payload.exp, now);
    if (rejected) return rejected;
    const result = toClaims(payload, extraNames);
    if (result.ok) cache.set(token, kid, { ...result.claims, roles: [...result.claims.roles] }, now);
    return result;
  }

  // Defensive: a bad token is a result, never an exception (and never logged).
  const invalidOnError = (): AccessVerifyResult => INVALID;
  return function verifyAccessToken(token) {
    try {
      const result = verify(token);
      return result instanceof Promise ? result.catch(invalidOnError) : result;
    } catch {
      return INVALID;
    }
  };
}

/**
 * Structural checks and header screening before any cryptography. Returns the `kid` and the three
 * parts, or the rejection. Only the header is decoded here; the payload is not read before the signature.
 */
function screenHeader(token: unknown, algorithm: string): Screened | AccessVerifyResult {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_ACCESS_TOKEN_LENGTH) return MALFORMED;
  // JWS compact serialization has exactly three parts (RFC 7515 §7.1); a JWE has five.
  const parts = token.split('.');
  if (parts.length !== 3) return MALFORMED;
  for (const part of parts) {
    // Unpadded base64url (RFC 7515 §2); a length of 1 mod 4 cannot be decoded.
    if (!BASE64URL.test(part) || part.length % 4 === 1 || !isCanonicalTail(part)) return MALFORMED;
  }

  let header: unknown;
  try {
    header = JSON.parse(utf8.decode(Buffer.from(parts[0]!, 'base64url')));
  } catch {
    return MALFORMED;
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return MALFORMED;
  const fields = header as Record<string, unknown>;

  for (const name of REFUSED_HEADER_PARAMETERS) {
    if (Object.hasOwn(fields, name)) return INVALID;
  }
  if (!isAccessTokenTyp(fields.typ)) return INVALID;
  // Pinned, case-sensitive (RFC 7515 §4.1.1); this also refuses `none` in every spelling.
  if (fields.alg !== algorithm) return INVALID;
  const kid = fields.kid;
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) return INVALID;
  return { kid, header: parts[0]!, payload: parts[1]!, signature: parts[2]! };
}

/**
 * True if the unused low bits of the last character are zero (RFC 4648 §3.5: canonical encoding).
 * Decoders ignore those bits, so without this check up to 15 spellings of one signature would all
 * verify: a token altered in its last character must be refused like any other alteration.
 */
function isCanonicalTail(part: string): boolean {
  const unusedBits = (part.length % 4) === 2 ? 4 : (part.length % 4) === 3 ? 2 : 0;
  if (unusedBits === 0) return true;
  const value = BASE64URL_ALPHABET.indexOf(part[part.length - 1]!);
  return (value & ((1 << unusedBits) - 1)) === 0;
}

/** RFC 9068 §4: `typ` is `at+jwt` or `application/at+jwt`, compared case-insensitively. */
function isAccessTokenTyp(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  const value = typ.toLowerCase();
  return value === ACCESS_TOKEN_TYP || value === `application/${ACCESS_TOKEN_TYP}`;
}

/**
 * Re-reads the ring's store for a `kid` we do not know (another instance may have rotated), at
 * most once per interval per ring, so random kids cannot turn into a store read per request.
 * True if a reload ran (or was already running) and succeeded.
 */
async function reloadForUnknownKid(ring: KeyRing, now: number): Promise<boolean> {
  let gate = reloadGates.get(ring);
  if (gate === undefined) {
    gate = { lastAt: null, pending: null };
    reloadGates.set(ring, gate);
  }
  if (gate.pending !== null) {
    return gate.pending.then(
      () => true,
      () => false,
    );
  }
  if (gate.lastAt !== null && Math.abs(now - gate.lastAt) < UNKNOWN_KID_RELOAD_INTERVAL_MS) return false;
  gate.lastAt = now;
  const current = gate;
  const pending = ring.reload();
  current.pending = pending;
  try {
    await pending;
    return true;
  } catch {
    return false;
  } finally {
    current.pending = null;
  }
}

/** Shape checks beyond the registered-claim rules (RFC 9068 §2.2), and the allow-listed copy of the claims. */
function toClaims(payload: Record<string, unknown>, extraNames: readonly string[]): AccessVerifyResult {
  const { sub, sid, jti, iat, exp, roles } = payload;
  if (!isNonEmptyString(sub) || !isNonEmptyString(sid) || !isNonEmptyString(jti)) return INVALID;
  if (typeof iat !== 'number' || typeof exp !== 'number') return INVALID;
  if (!Array.isArray(roles) || !roles.every((role): role is string => typeof role === 'string')) return INVALID;

  const claims: AccessClaims = { sub, sid, roles: [...roles], jti, iat, exp };
  for (const name of extraNames) {
    // defineProperty: a claim named `__proto__` must stay a plain own property.
    if (Object.hasOwn(payload, name)) {
      Object.defineProperty(claims, name, { value: payload[name], enumerable: true, writable: true, configurable: true });
    }
  }
  return { ok: true, claims };
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
