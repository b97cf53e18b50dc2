import { constants, createHmac, createSecretKey, KeyObject, timingSafeEqual, verify } from 'node:crypto';
import type { Algorithm } from '../config.js';
import { ConfigError } from '../errors.js';
import type { KeyMaterial } from './keys.js';

/**
 * Checks one JWS signature (RFC 7515 §5.2 step 8) over the ASCII signing input
 * `BASE64URL(header) '.' BASE64URL(payload)` with a key of the ring. Synchronous; never throws:
 * a key that is unusable for the algorithm, or a signature of the wrong size, is a `false`.
 */
export type SignatureCheck = (key: KeyMaterial, signingInput: string, signature: Buffer) => boolean;

/** What a verification key must be for each algorithm (the checks `jose` applies to CryptoKeys). */
interface KeyRule {
  /** WebCrypto algorithm name (and hash / curve) a CryptoKey must carry. */
  readonly name: string;
  readonly hash?: string;
  readonly namedCurve?: string;
  /** The node:crypto view of the same key. */
  accepts(key: KeyObject): boolean;
  /** Exact signature size in bytes, when fixed by the algorithm. */
  readonly signatureBytes?: number;
}

// RFC 7518 §3.2 (HS256), §3.3 (RS256, keys of 2048 bits or more), §3.4 (ES256: P-256, R || S of
// 32 bytes each), RFC 8037 §3.1 (EdDSA: Ed25519 only here, 64-byte signatures).
const RULES: Readonly<Record<Algorithm, KeyRule>> = {
  HS256: { name: 'HMAC', hash: 'SHA-256', accepts: (k) => k.type === 'secret', signatureBytes: 32 },
  RS256: {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    accepts: (k) => k.type === 'public' && k.asymmetricKeyType === 'rsa' && (k.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048,
  },
  ES256: {
    name: 'ECDSA',
    namedCurve: 'P-256',
    accepts: (k) => k.type === 'public' && k.asymmetricKeyType === 'ec' && k.asymmetricKeyDetails?.namedCurve === 'prime256v1',
    signatureBytes: 64,
  },
  EdDSA: { name: 'Ed25519', accepts: (k) => k.type === 'public' && k.asymmetricKeyType === 'ed25519', signatureBytes: 64 },
};

interface CryptoKeyShape {
  type: string;
  usages: readonly string[];
  algorithm: { name: string; hash?: { name: string }; namedCurve?: string };
}

function isCryptoKey(material: unknown): material is CryptoKeyShape {
  return typeof material === 'object' && material !== null && (material as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'CryptoKey';
}

/** The node:crypto key for a key of the ring, or null if it may not verify this algorithm. */
function toVerificationKey(material: KeyMaterial, rule: KeyRule): KeyObject | null {
  let key: KeyObject;
  if (material instanceof Uint8Array) {
    if (rule.name !== 'HMAC') return null;
    key = createSecretKey(material);
  } else if (material instanceof KeyObject) {
    key = material;
  } else if (isCryptoKey(material)) {
    // As jose does for a CryptoKey: its algorithm, hash or curve and a `verify` usage must match.
    const { algorithm } = material;
    if (algorithm.name !== rule.name) return null;
    if (rule.hash !== undefined && algorithm.hash?.name !== rule.hash) return null;
    if (rule.namedCurve !== undefined && algorithm.namedCurve !== rule.namedCurve) return null;
    if (!material.usages.includes('verify')) return null;
    key = KeyObject.from(material as Parameters<typeof KeyObject.from>[0]);
  } else {
    return null;
  }
  return rule.accepts(key) ? key : null;
}

/**
 * Creates the synchronous signature check for the pinned algorithm: `node:crypto` on the same keys
 * the ring holds (each converted once, then remembered per key object), instead of WebCrypto's
 * asynchronous round trip through the thread pool. The algorithm comes from configuration only.
 *
 * @throws ConfigError for an algorithm Tessera does not pin.
 * @example const check = createSignatureCheck('EdDSA'); check(key, `${h}.${p}`, Buffer.from(s, 'base64url'));
 */
export function createSignatureCheck(algorithm: Algorithm): SignatureCheck {
  const rule = RULES[algorithm];
  if (rule === undefined) throw new ConfigError('jwt.algorithm', `no signature check for ${String(algorithm)}`);
  const prepared = new WeakMap<object, KeyObject | null>();

  const keyFor = (material: KeyMaterial): KeyObject | null => {
    let key = prepared.get(material);
    if (key === undefined) {
      try {
        key = toVerificationKey(material, rule);
      } catch {
        key = null;
      }
      prepared.set(material, key);
    }
    return key;
  };

  return function checkSignature(material, signingInput, signature) {
    const key = keyFor(material);
    if (key === null) return false;
    if (rule.signatureBytes !== undefined && signature.length !== rule.signatureBytes) return false;
    try {
      const data = Buffer.from(signingInput, 'latin1');
      switch (algorithm) {
        case 'HS256': {
          const mac = createHmac('sha256', key).update(data).digest();
          return timingSafeEqual(mac, signature);
        }
        case 'EdDSA':
          return verify(null, data, key, signature);
        case 'ES256':
          return verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
        case 'RS256':
          return verify('sha256', data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
      }
    } catch {
      return false;
    }
    return false;
  };
}
