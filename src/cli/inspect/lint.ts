import type { DecodedToken } from './decode.js';

/** One thing wrong (or risky) with a token. */
export interface Finding {
  /** Stable identifier, e.g. `alg-none`. */
  code: string;
  severity: 'error' | 'warning';
  message: string;
}

/** Options of `lintToken`. */
export interface LintOptions {
  /** Now, in seconds since the epoch. */
  nowSeconds: number;
  /** A public key (JWKS) is expected to verify it: a symmetric `alg` is then a finding. */
  publicKeyExpected: boolean;
}

/** RFC 8725 §3.11 / RFC 9068 §2.1: access tokens are typed. */
const EXPECTED_TYP = ['at+jwt', 'application/at+jwt'];
/** Longest access-token lifetime that is not a finding (15 min). */
export const MAX_LIFETIME_SECONDS = 900;
export const SIZE_WARNING_BYTES = 4096;
export const SIZE_ERROR_BYTES = 8192;
/** How far ahead an `iat` may be before the token counts as not yet valid (clock skew). */
const IAT_SKEW_SECONDS = 60;

/** Words that, as (part of) a claim name, suggest the claim carries a secret. */
const SECRET_WORDS = new Set([
  'password', 'passwd', 'pwd', 'pass', 'passphrase', 'secret', 'hash', 'ssn', 'card', 'cvv', 'cvc', 'pin', 'token',
  'private', 'credential', 'credentials', 'iban', 'salt', 'apikey', 'otp', 'totp', 'seed', 'mnemonic',
]);
/** Substrings that are secret-looking wherever they appear in a claim name. */
const SECRET_SUBSTRINGS = ['password', 'passwd', 'secret', 'token', 'credential', 'apikey', 'api_key', 'creditcard', 'privatekey', 'private_key'];

/** Splits `creditCardNumber`, `api_key`, `x-pin` into lower-case words. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .map((w) => w.toLowerCase())
    .filter(Boolean);
}

/** Registered claims that only look like secrets: OpenID Connect hashes of other tokens. */
const NOT_SECRETS = new Set(['at_hash', 'c_hash', 's_hash']);

/** True if a claim name looks like it holds a secret (a JWS payload is readable by anyone). */
export function isSecretLookingName(name: string): boolean {
  const lower = name.toLowerCase();
  if (NOT_SECRETS.has(lower)) return false;
  if (SECRET_SUBSTRINGS.some((s) => lower.includes(s))) return true;
  return words(name).some((w) => SECRET_WORDS.has(w));
}

/** Paths (`a.b`) of every secret-looking claim name, nested objects included. */
export function secretLookingClaims(payload: Record<string, unknown>, prefix = '', depth = 0): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(payload)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isSecretLookingName(key)) out.push(path);
    else if (depth < 8 && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      out.push(...secretLookingClaims(value as Record<string, unknown>, path, depth + 1));
    }
  }
  return out;
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * Lints a decoded token against RFC 8725 (JWT best practice) and RFC 9068 (access tokens):
 * `alg`, `typ`, key-naming headers, lifetime, required claims, secret-looking claims, size and
 * validity at `nowSeconds`. Reads only what anyone can read; never verifies.
 */
export function lintToken(token: DecodedToken, options: LintOptions): Finding[] {
  const findings: Finding[] = [];
  const add = (code: string, severity: Finding['severity'], message: string) => findings.push({ code, severity, message });
  const { header, payload } = token;

  const alg = header.alg;
  if (typeof alg !== 'string' || alg === '') {
    add('alg-missing', 'error', 'the header has no alg (RFC 7515 §4.1.1)');
  } else if (alg.toLowerCase() === 'none') {
    add('alg-none', 'error', `alg "${alg}": the token is unsigned; anyone can forge it (RFC 8725 §3.1)`);
    if (token.signatureBytes > 0) add('alg-none-signature', 'error', 'alg none, yet a signature is attached');
  } else if (/^HS/i.test(alg) && options.publicKeyExpected) {
    add('alg-symmetric', 'error', `alg ${alg} is symmetric where a public key (JWKS) is expected: algorithm confusion (RFC 8725 §2.1)`);
  }
  if (alg !== undefined && typeof alg === 'string' && alg.toLowerCase() !== 'none' && token.signatureBytes === 0) {
    add('signature-missing', 'error', `alg ${alg} but the signature part is empty`);
  }

  const typ = header.typ;
  if (typ === undefined) add('typ-missing', 'warning', 'no typ header; access tokens are typed "at+jwt" (RFC 9068 §2.1, RFC 8725 §3.11)');
  else if (typeof typ !== 'string' || !EXPECTED_TYP.includes(typ.toLowerCase())) {
    add('typ-wrong', 'warning', `typ ${JSON.stringify(typ)}; access tokens are typed "at+jwt" (RFC 9068 §2.1)`);
  }
  for (const name of ['jku', 'x5u', 'jwk', 'x5c']) {
    if (Object.hasOwn(header, name)) {
      add('header-key-reference', 'error', `header "${name}" names or carries a key: a verifier must never fetch or trust it (RFC 8725 §3.10)`);
    }
  }
  if (Object.hasOwn(header, 'crit')) add('header-crit', 'warning', 'header "crit" lists extensions a verifier must understand or refuse');

  for (const claim of ['iss', 'aud', 'exp', 'jti', 'sub', 'iat'] as const) {
    if (payload[claim] === undefined) {
      const severity = claim === 'exp' ? 'error' : 'warning';
      const why = claim === 'exp' ? 'the token never expires' : claim === 'aud' ? 'any service that trusts the issuer would accept it' : 'required in access tokens (RFC 9068 §2.2)';
      add(`${claim}-missing`, severity, `no "${claim}" claim: ${why}`);
    }
  }

  const { exp, iat, nbf } = payload;
  if (isNumericDate(exp) && isNumericDate(iat)) {
    const lifetime = exp - iat;
    if (lifetime > MAX_LIFETIME_SECONDS) {
      add('lifetime-too-long', 'warning', `lives ${Math.round(lifetime)} s (exp - iat); keep access tokens at 5–15 minutes (≤ ${MAX_LIFETIME_SECONDS} s): until exp, nothing revokes it without a lookup`);
    }
  }
  if (exp !== undefined && !isNumericDate(exp)) add('exp-invalid', 'error', '"exp" is not a NumericDate');
  if (isNumericDate(exp) && exp <= options.nowSeconds) {
    add('expired', 'error', `expired ${Math.round(options.nowSeconds - exp)} s ago`);
  }
  if (isNumericDate(nbf) && nbf > options.nowSeconds) add('not-yet-valid', 'error', `not valid before ${new Date(nbf * 1000).toISOString()} (nbf)`);
  if (isNumericDate(iat) && iat > options.nowSeconds + IAT_SKEW_SECONDS) {
    add('issued-in-future', 'error', `issued ${Math.round(iat - options.nowSeconds)} s in the future (iat)`);
  }

  for (const path of secretLookingClaims(payload)) {
    add('secret-claim', 'error', `claim "${path}" looks like a secret: a JWT is signed, not encrypted; anyone holding it can read it (RFC 7519 §12)`);
  }

  if (token.sizeBytes > SIZE_ERROR_BYTES) {
    add('size-too-large', 'error', `${token.sizeBytes} bytes: over ${SIZE_ERROR_BYTES}, servers (Tessera included) refuse it, and cookies cap at 4096`);
  } else if (token.sizeBytes > SIZE_WARNING_BYTES) {
    add('size-large', 'warning', `${token.sizeBytes} bytes: over ${SIZE_WARNING_BYTES}, it no longer fits in a cookie`);
  }
  return findings;
}
