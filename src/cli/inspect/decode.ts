/** A JWS compact token split and decoded, signature kept only as a length. */
export interface DecodedToken {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** Bytes of the signature (0 when the third part is empty). The signature itself is never kept. */
  signatureBytes: number;
  /** Bytes of the whole token. */
  sizeBytes: number;
}

/** A decoded token, or why the input is not a JWT. */
export type DecodeResult = { ok: true; token: DecodedToken } | { ok: false; reason: string };

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeJson(part: string, what: string): Record<string, unknown> | string {
  // Unpadded base64url (RFC 7515 §2); a length of 1 mod 4 cannot be decoded.
  if (!BASE64URL.test(part) || part.length % 4 === 1) return `the ${what} is not base64url`;
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(Buffer.from(part, 'base64url')));
  } catch {
    return `the ${what} is not UTF-8 JSON`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `the ${what} is not a JSON object`;
  return value as Record<string, unknown>;
}

/**
 * Splits and decodes a JWS compact serialization (RFC 7515 §7.1) whose payload is a JWT claims
 * set (RFC 7519 §7.2). Never verifies: this is exactly what anyone holding the token can read.
 */
export function decodeToken(input: string): DecodeResult {
  const text = input.trim().replace(/^Bearer\s+/i, '');
  if (text === '') return { ok: false, reason: 'no token given' };
  const parts = text.split('.');
  if (parts.length === 5) return { ok: false, reason: 'this is a JWE (five parts): an encrypted token, not a signed JWT; it cannot be read without the key' };
  if (parts.length !== 3) return { ok: false, reason: `not a JWT: expected three base64url parts separated by dots, got ${parts.length}` };
  const header = decodeJson(parts[0]!, 'header');
  if (typeof header === 'string') return { ok: false, reason: `not a JWT: ${header}` };
  const payload = decodeJson(parts[1]!, 'payload');
  if (typeof payload === 'string') return { ok: false, reason: `not a JWT: ${payload}` };
  const signature = parts[2]!;
  if (!BASE64URL.test(signature) || signature.length % 4 === 1) return { ok: false, reason: 'not a JWT: the signature is not base64url' };
  return {
    ok: true,
    token: { header, payload, signatureBytes: Buffer.from(signature, 'base64url').length, sizeBytes: Buffer.byteLength(text, 'utf8') },
  };
}

/** The token text as decoded (trimmed, without a `Bearer ` prefix). */
export function tokenText(input: string): string {
  return input.trim().replace(/^Bearer\s+/i, '');
}
