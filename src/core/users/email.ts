/** The longest address RFC 5321 allows in a path. */
const MAX_EMAIL_LENGTH = 254;
// Deliberately simple: one @, a non-empty local part without spaces, a dotted domain.
const EMAIL_SHAPE = /^[^\s@"(),:;<>[\\\]]{1,64}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

// Control characters (NUL included), invisible format characters (zero-width space, joiners, bidi
// controls: lookalike accounts) and lone surrogates, which no store keeps as given (UTF-8 turns them
// into U+FFFD, so the address signed up would not be the address logged in).
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Cs}]/u;

/**
 * Normalises an email so that one mailbox is one account: trimmed, NFKC-normalised,
 * lower-cased. Returns null when the result is not a plausible address.
 * @example normalizeEmail('  Alice@X.io ') // 'alice@x.io'
 */
export function normalizeEmail(input: string): string | null {
  if (FORBIDDEN.test(input)) return null;
  const email = input.trim().normalize('NFKC').toLowerCase();
  if (email.length === 0 || email.length > MAX_EMAIL_LENGTH) return null;
  return EMAIL_SHAPE.test(email) ? email : null;
}
