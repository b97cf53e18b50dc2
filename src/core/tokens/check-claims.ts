/** The registered-claim rules of an access token, fixed once from configuration. */
export interface ClaimRules {
  issuer: string;
  audience: string;
  /** Claims that must be present (own properties of the claim set). */
  requiredClaims: readonly string[];
  /** Allowed clock skew in seconds (RFC 7519 §4.1.4, §4.1.5). */
  clockToleranceSeconds: number;
}

/** A decoded claim set, or why it was refused: `expired` past `exp`, `invalid` for anything else. */
export type ClaimCheck = { ok: true; payload: Record<string, unknown> } | { ok: false; reason: 'invalid' | 'expired' };

const INVALID: ClaimCheck = Object.freeze({ ok: false, reason: 'invalid' });
const EXPIRED: ClaimCheck = Object.freeze({ ok: false, reason: 'expired' });

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A JSON object whose prototype is Object.prototype or null (what `jose` calls a plain object). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Object.prototype.toString.call(value) !== '[object Object]') return false;
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

/**
 * Decodes and checks the JWT claim set of a token whose signature has ALREADY been verified
 * (RFC 7519 §7.2 step 10 onwards; the claims are never read before the signature). The rules and
 * their order are those of `jose`'s `jwtVerify` for Tessera's options, so a token gets the same
 * answer on either path: a top-level JSON object (RFC 7519 §7.2 step 10) in strict UTF-8; every
 * required claim present; `iss` equal to the issuer (§4.1.1); `aud` the audience or an array
 * holding it (§4.1.3); `iat` and `nbf`, when present, numbers, `nbf` not after now + tolerance
 * (§4.1.5); `exp` a number and not at or before now − tolerance (§4.1.4), which is `expired`.
 * Times are whole seconds of `nowMs`. Never throws.
 *
 * @example const checked = checkClaimSet(Buffer.from(payloadPart, 'base64url'), rules, clock.now());
 */
export function checkClaimSet(bytes: Uint8Array, rules: ClaimRules, nowMs: number): ClaimCheck {
  let claims: unknown;
  try {
    claims = JSON.parse(utf8.decode(bytes));
  } catch {
    return INVALID;
  }
  if (!isPlainObject(claims)) return INVALID;
  for (const claim of rules.requiredClaims) {
    if (!Object.hasOwn(claims, claim)) return INVALID;
  }
  if (claims.iss !== rules.issuer) return INVALID;
  const aud = claims.aud;
  const audienceOk = typeof aud === 'string' ? aud === rules.audience : Array.isArray(aud) && aud.includes(rules.audience);
  if (!audienceOk) return INVALID;
  const now = Math.floor(nowMs / 1000);
  const tolerance = rules.clockToleranceSeconds;
  if (claims.iat !== undefined && typeof claims.iat !== 'number') return INVALID;
  const nbf = claims.nbf;
  if (nbf !== undefined) {
    if (typeof nbf !== 'number') return INVALID;
    if (nbf > now + tolerance) return INVALID;
  }
  const exp = claims.exp;
  if (exp !== undefined) {
    if (typeof exp !== 'number') return INVALID;
    if (exp <= now - tolerance) return EXPIRED;
  }
  return { ok: true, payload: claims };
}
