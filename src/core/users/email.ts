/** The longest address RFC 5321 allows in a path. */
const MAX_EMAIL_LENGTH = 254;
// Deliberately simple: one @, a non-empty local part without spaces, a dotted domain.
const EMAIL_SHAPE = /^[^\s@"(),:;<>[\\\]]{1,64}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/**
 * Normalises an email so that one mailbox is one account: trimmed, NFKC-normalised,
 * lower-cased. Returns null when the result is not a plausible address.
 * @example normalizeEmail('  Alice@X.io ') // 'alice@x.io'
 */
export function normalizeEmail(input: string): string | null {
  const email = input.trim().normalize('NFKC').toLowerCase();
  if (email.length === 0 || email.length > MAX_EMAIL_LENGTH) return null;
  return EMAIL_SHAPE.test(email) ? email : null;
}
