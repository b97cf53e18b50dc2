import { createHash, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK } from 'jose';
import type { CryptoKey, JWK, KeyObject } from 'jose';
import type { Algorithm, ResolvedConfig } from '../config.js';
import { ConfigError, StoreError } from '../errors.js';
import type { StoredSigningKey } from '../../stores/types.js';

/** Key material as `jose` accepts it. Imported once per load, never per request. */
export type KeyMaterial = CryptoKey | KeyObject | Uint8Array;

/** An asymmetric algorithm whose keys live in the store. */
type StoredAlgorithm = Exclude<Algorithm, 'HS256'>;

/**
 * How old (per `config.clock`) a ring's view of the store may get before the signer or the
 * verifier re-reads it. Bounds how long an instance keeps signing with, or accepting, a key
 * that another instance has rotated out. `rotateSigningKey` adds it to `retireAt`.
 */
export const KEY_RING_MAX_AGE_MS = 30_000;

/** Secret-store name of the per-store salt of first-key kids (see `bootstrapKid`). */
const BOOTSTRAP_SALT_NAME = 'jwt-key-bootstrap-salt-v1';

/** Attempts to find or create an active key before `loadKeyRing` gives up. */
const LOAD_ATTEMPTS = 4;

/** Public JWK members per key type (RFC 7518 §6); everything else (`d`, `p`, `k`, …) is dropped. */
const PUBLIC_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  OKP: ['crv', 'x'],
  EC: ['crv', 'x', 'y'],
  RSA: ['n', 'e'],
};

/** Private JWK members per key type; what the store keeps as `privateJwk`. */
const PRIVATE_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  OKP: ['crv', 'x', 'd'],
  EC: ['crv', 'x', 'y', 'd'],
  RSA: ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'],
};

/** The JWK key type each stored algorithm needs. */
const KEY_TYPE: Readonly<Record<StoredAlgorithm, string>> = { EdDSA: 'OKP', ES256: 'EC', RS256: 'RSA' };

/**
 * The signing and verification keys of one process, for the one configured algorithm.
 * Keys are chosen only by `kid`; the algorithm is fixed by configuration, never by a token.
 */
export interface KeyRing {
  /** The configured algorithm; every key in the ring is for it. */
  readonly algorithm: Algorithm;
  /** The key new access tokens are signed with. */
  signingKey(): { kid: string; key: KeyMaterial };
  /** The verification key with this `kid`, or undefined (unknown, or retired per `config.clock`). */
  verificationKey(kid: string): KeyMaterial | undefined;
  /** Public keys only, each with `kid`, `alg`, `use: 'sig'`; `{ keys: [] }` for HS256. */
  jwks(): { keys: JWK[] };
  /** Re-reads the store now (another instance may have rotated). Concurrent calls share one read. */
  reload(): Promise<void>;
  /**
   * Re-reads the store if the last read is older than `KEY_RING_MAX_AGE_MS`; otherwise does
   * nothing and returns null (no promise: this runs on every verification). Never rejects: on a
   * store failure the ring keeps the keys it has and retries later.
   */
  reloadIfStale(): Promise<void> | null;
}

interface VerificationEntry {
  readonly key: KeyMaterial;
  /** When the key stops verifying (ms), or null while active. */
  readonly retireAt: number | null;
  /** Public JWK for the JWKS, or null for secrets. */
  readonly jwk: JWK | null;
}

interface RingState {
  readonly signing: { readonly kid: string; readonly key: KeyMaterial };
  readonly verification: ReadonlyMap<string, VerificationEntry>;
}

/**
 * Loads the key ring for `config.jwt.algorithm`, once at start-up.
 *
 * - EdDSA (Ed25519), ES256, RS256 (2048-bit): keys come from `config.store.keys`. If there is no
 *   active key of that algorithm, one is generated and stored. Instances starting at once converge
 *   on one key: that key's `kid` is derived from the store contents they all observed (and a
 *   per-store salt), so exactly one `create` succeeds and the others adopt the stored key; if
 *   several keys are active anyway, the oldest (then the smallest `kid`) signs everywhere.
 * - HS256: the keys are `config.jwt.secrets` (sign with the first, verify with all); no JWKS.
 *
 * @throws ConfigError when HS256 has no secret; StoreError when the store fails or holds a corrupt key.
 * @example const ring = await loadKeyRing(config); const { kid } = ring.signingKey();
 */
export async function loadKeyRing(config: ResolvedConfig): Promise<KeyRing> {
  const algorithm = config.jwt.algorithm;
  if (algorithm === 'HS256') return createSecretRing(config);
  return createStoredRing(config, algorithm);
}

/**
 * Generates a new active signing key, retires the previous active keys of the configured
 * algorithm and deletes retiring keys whose `retireAt` has passed. Retired keys keep verifying
 * until `now + (accessTtlSeconds + clockToleranceSeconds) s + KEY_RING_MAX_AGE_MS`, so every
 * token they signed (including by instances that have not reloaded yet) has expired first.
 * Running rings pick the new key up on their next reload.
 *
 * @throws ConfigError for HS256 (rotate by putting a new secret first in `jwt.secrets`); StoreError.
 * @example const { kid, retired } = await rotateSigningKey(config);
 */
export async function rotateSigningKey(config: ResolvedConfig): Promise<{ kid: string; retired: string[] }> {
  const algorithm = config.jwt.algorithm;
  if (algorithm === 'HS256') {
    throw new ConfigError('jwt.algorithm', 'HS256 has no stored keys; rotate by putting a new secret first in jwt.secrets');
  }
  const keys = config.store.keys;
  const now = config.clock.now();
  const before = await keys.list();
  const kid = randomBytes(16).toString('base64url');
  if (!(await keys.create(await generateStoredKey(algorithm, kid, now)))) {
    throw new StoreError('signing key id collision; retry the rotation');
  }
  const { accessTtlSeconds, clockToleranceSeconds } = config.jwt;
  const retireAt = now + (accessTtlSeconds + clockToleranceSeconds) * 1000 + KEY_RING_MAX_AGE_MS;
  const retired: string[] = [];
  for (const key of before) {
    if (key.alg === algorithm && key.state === 'active') {
      await keys.retire(key.kid, retireAt);
      retired.push(key.kid);
    } else if (key.state === 'retiring' && !isUsable(key, now)) {
      await keys.delete(key.kid);
    }
  }
  return { kid, retired };
}

async function createSecretRing(config: ResolvedConfig): Promise<KeyRing> {
  const secrets = config.jwt.secrets;
  if (secrets.length === 0) throw new ConfigError('jwt.secrets', 'HS256 needs at least one secret');
  const verification = new Map<string, VerificationEntry>();
  let signing: RingState['signing'] | undefined;
  for (const secret of secrets) {
    const kid = secretKid(secret);
    if (verification.has(kid)) continue;
    const key = await globalThis.crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    verification.set(kid, { key, retireAt: null, jwk: null });
    signing ??= { kid, key };
  }
  const state: RingState = { signing: signing!, verification };
  return {
    algorithm: 'HS256',
    signingKey: () => ({ ...state.signing }),
    verificationKey: (kid) => verification.get(kid)?.key,
    // A shared secret is never published (API.md: HS256 has no JWKS).
    jwks: () => ({ keys: [] }),
    reload: async () => {},
    reloadIfStale: () => null,
  };
}

/** A `kid` for an HS256 secret that names it without revealing it. */
function secretKid(secret: string): string {
  return createHash('sha256').update(`tessera-hs256:${secret}`, 'utf8').digest('base64url').slice(0, 16);
}

async function createStoredRing(config: ResolvedConfig, algorithm: StoredAlgorithm): Promise<KeyRing> {
  const clock = config.clock;
  let state = await readState(config, algorithm);
  let loadedAt = clock.now();
  let pending: Promise<void> | null = null;

  const reload = (): Promise<void> => {
    pending ??= (async () => {
      try {
        const attemptAt = clock.now();
        state = await readState(config, algorithm);
        loadedAt = attemptAt;
      } finally {
        pending = null;
      }
    })();
    return pending;
  };

  return {
    algorithm,
    signingKey: () => ({ ...state.signing }),
    verificationKey(kid) {
      const entry = state.verification.get(kid);
      if (entry === undefined) return undefined;
      // Exact retirement even if the ring has not reloaded since retireAt passed.
      if (entry.retireAt !== null && entry.retireAt <= clock.now()) return undefined;
      return entry.key;
    },
    jwks() {
      const now = clock.now();
      const keys: JWK[] = [];
      for (const entry of state.verification.values()) {
        if (entry.jwk !== null && (entry.retireAt === null || entry.retireAt > now)) keys.push({ ...entry.jwk });
      }
      return { keys };
    },
    reload,
    reloadIfStale() {
      const now = clock.now();
      if (Math.abs(now - loadedAt) < KEY_RING_MAX_AGE_MS) return null;
      // Whatever happens, do not try again for another interval (no store hammering in an outage).
      loadedAt = now;
      // On a failure keep the keys we have; verification stays closed for kids we do not know.
      return reload().catch(() => {});
    },
  };
}

/** Reads the store, creating the first key of the algorithm if there is no active one. */
async function readState(config: ResolvedConfig, algorithm: StoredAlgorithm): Promise<RingState> {
  for (let attempt = 0; attempt < LOAD_ATTEMPTS; attempt++) {
    const stored = await config.store.keys.list();
    const now = config.clock.now();
    const usable = stored.filter((key) => key.alg === algorithm && isUsable(key, now));
    const signing = usable.filter((key) => key.state === 'active').sort(oldestFirst)[0];
    if (signing !== undefined) return buildState(algorithm, signing, usable);
    // Every instance that saw the same store derives the same kid: one create wins, the rest re-read.
    const salt = await config.store.secrets.getOrCreate(BOOTSTRAP_SALT_NAME, randomBytes(16).toString('base64url'));
    await config.store.keys.create(await generateStoredKey(algorithm, bootstrapKid(salt, algorithm, stored), now));
  }
  throw new StoreError(`no active ${algorithm} signing key could be stored`);
}

function isUsable(key: StoredSigningKey, now: number): boolean {
  if (key.state === 'active') return true;
  return key.state === 'retiring' && key.retireAt !== null && key.retireAt > now;
}

function oldestFirst(a: StoredSigningKey, b: StoredSigningKey): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0;
}

/**
 * The kid of a key created because there is no active one: a function of what the creator saw
 * (so concurrent creators agree) and of a per-store random salt (so two deployments never share
 * a kid). Not secret: a kid only names a key.
 */
function bootstrapKid(salt: string, algorithm: StoredAlgorithm, stored: readonly StoredSigningKey[]): string {
  const seen = stored.map((key) => key.kid).sort();
  return createHash('sha256')
    .update(`tessera-bootstrap:${salt}:${algorithm}\n${seen.join('\n')}`, 'utf8')
    .digest('base64url')
    .slice(0, 22);
}

async function buildState(
  algorithm: StoredAlgorithm,
  signing: StoredSigningKey,
  usable: readonly StoredSigningKey[],
): Promise<RingState> {
  const verification = new Map<string, VerificationEntry>();
  for (const stored of usable) {
    const publicJwk = pickMembers(parseJwk(stored, 'publicJwk'), algorithm, PUBLIC_MEMBERS, stored.kid);
    const key = await importKey(publicJwk, algorithm, stored.kid);
    verification.set(stored.kid, {
      key,
      retireAt: stored.state === 'active' ? null : stored.retireAt,
      jwk: Object.freeze({ ...publicJwk, kid: stored.kid, alg: algorithm, use: 'sig' }),
    });
  }
  const privateJwk = pickMembers(parseJwk(signing, 'privateJwk'), algorithm, PRIVATE_MEMBERS, signing.kid);
  const publicJwk = verification.get(signing.kid)?.jwk;
  // The private key must belong to the public key others verify with.
  for (const member of PUBLIC_MEMBERS[KEY_TYPE[algorithm]] ?? []) {
    if (publicJwk?.[member as keyof JWK] !== privateJwk[member as keyof JWK]) {
      throw new StoreError(`signing key ${signing.kid}: private and public JWK do not match`);
    }
  }
  const key = await importKey(privateJwk, algorithm, signing.kid);
  return { signing: { kid: signing.kid, key }, verification };
}

function parseJwk(stored: StoredSigningKey, field: 'publicJwk' | 'privateJwk'): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(stored[field]);
  } catch (cause) {
    throw new StoreError(`signing key ${stored.kid}: ${field} is not JSON`, cause);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StoreError(`signing key ${stored.kid}: ${field} is not a JWK`);
  }
  return value as Record<string, unknown>;
}

/** Keeps only the allow-listed members of the algorithm's key type. */
function pickMembers(
  jwk: Record<string, unknown>,
  algorithm: StoredAlgorithm,
  allowed: Readonly<Record<string, readonly string[]>>,
  kid: string,
): JWK {
  const kty = KEY_TYPE[algorithm];
  if (jwk.kty !== kty) throw new StoreError(`signing key ${kid}: kty is not ${kty}`);
  const out: Record<string, string> = { kty };
  for (const member of allowed[kty] ?? []) {
    const value = jwk[member];
    if (typeof value !== 'string') throw new StoreError(`signing key ${kid}: JWK member ${member} is missing`);
    out[member] = value;
  }
  return out as JWK;
}

async function importKey(jwk: JWK, algorithm: StoredAlgorithm, kid: string): Promise<KeyMaterial> {
  try {
    return await importJWK(jwk, algorithm, { extractable: false });
  } catch (cause) {
    throw new StoreError(`signing key ${kid}: cannot be imported for ${algorithm}`, cause);
  }
}

async function generateStoredKey(algorithm: StoredAlgorithm, kid: string, now: number): Promise<StoredSigningKey> {
  const options =
    algorithm === 'EdDSA'
      ? { extractable: true, crv: 'Ed25519' }
      : algorithm === 'RS256'
        ? { extractable: true, modulusLength: 2048 }
        : { extractable: true };
  const { privateKey, publicKey } = await generateKeyPair(algorithm, options);
  const privateJwk = pickMembers({ ...(await exportJWK(privateKey)) }, algorithm, PRIVATE_MEMBERS, kid);
  const publicJwk = pickMembers({ ...(await exportJWK(publicKey)) }, algorithm, PUBLIC_MEMBERS, kid);
  return {
    kid,
    alg: algorithm,
    privateJwk: JSON.stringify(privateJwk),
    publicJwk: JSON.stringify(publicJwk),
    state: 'active',
    createdAt: now,
    retireAt: null,
  };
}
