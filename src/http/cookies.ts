/** Cookie names of API.md. The prefixes make the browser enforce Secure (and, for __Host-, Path=/ and no Domain). */
export const COOKIE_NAMES = Object.freeze({
  session: '__Host-tessera_sid',
  access: '__Host-tessera_at',
  refresh: '__Secure-tessera_rt',
});

/** At most this many cookies are read from one header; the rest are ignored. */
const MAX_COOKIES = 64;
// RFC 6265 §4.1.1: token for names, cookie-octets for values.
const NAME_SHAPE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const VALUE_SHAPE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;

/**
 * Parses a `Cookie` header into a map (first occurrence of a name wins; RFC 6265bis §5.7.2
 * orders the most specific path first). Malformed pairs are skipped, never thrown.
 */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  let count = 0;
  for (const part of header.split(';')) {
    if (++count > MAX_COOKIES) break;
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!NAME_SHAPE.test(name) || !VALUE_SHAPE.test(value) || out.has(name)) continue;
    out.set(name, value);
  }
  return out;
}

/** Attributes Tessera sets; every cookie is HttpOnly and Secure. */
export interface CookieAttributes {
  path: string;
  sameSite: 'Strict' | 'Lax';
  /** Seconds; 0 deletes the cookie. */
  maxAgeSeconds: number;
}

/**
 * Serialises a Set-Cookie value. Enforces the prefix rules of RFC 6265bis §4.1.3:
 * `__Host-` needs Path=/ and no Domain; both prefixes need Secure (always set here).
 * @throws Error on a name or value that could inject attributes (CR, LF, `;`).
 */
export function serializeCookie(name: string, value: string, attrs: CookieAttributes): string {
  if (!NAME_SHAPE.test(name)) throw new Error('invalid cookie name');
  if (!VALUE_SHAPE.test(value)) throw new Error('invalid cookie value');
  if (name.startsWith('__Host-') && attrs.path !== '/') throw new Error('__Host- cookies must have Path=/');
  const parts = [`${name}=${value}`, `Path=${attrs.path}`, `Max-Age=${Math.max(0, Math.floor(attrs.maxAgeSeconds))}`];
  if (attrs.maxAgeSeconds <= 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  parts.push('HttpOnly', 'Secure', `SameSite=${attrs.sameSite}`);
  return parts.join('; ');
}

/** Set-Cookie values that delete the given cookies. */
export function clearCookies(...cookies: Array<{ name: string; path: string; sameSite: 'Strict' | 'Lax' }>): string[] {
  return cookies.map((c) => serializeCookie(c.name, '', { path: c.path, sameSite: c.sameSite, maxAgeSeconds: 0 }));
}
