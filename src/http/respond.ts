import type { HttpResponse } from './types.js';

/** Headers on every API response: no caching of credentials, no sniffing, no framing, no referrer. */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
});

/** The same headers as `[name, value]` pairs, listed once rather than on every response. */
export const API_SECURITY_HEADER_ENTRIES: ReadonlyArray<readonly [string, string]> = Object.freeze(Object.entries(API_SECURITY_HEADERS));

/** A JSON response. */
export function json(status: number, body: unknown, cookies: string[] = []): HttpResponse {
  return jsonText(status, JSON.stringify(body), cookies);
}

/** A JSON response whose body is already serialised (by a route's own serializer). */
export function jsonText(status: number, text: string, cookies: string[] = []): HttpResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, cookies, body: text };
}

/** A 204 response. */
export function noContent(cookies: string[] = []): HttpResponse {
  return { status: 204, headers: {}, cookies };
}

const MS_PER_DAY = 86_400_000;
/** 9999-12-31T23:59:59.999Z: the last instant with a four-digit year. */
const LAST_FOUR_DIGIT_YEAR_MS = 253_402_300_799_999;

/** `00`…`99` and `000`…`999`, built once: formatting a timestamp then converts only its year. */
const PAD2: readonly string[] = Array.from({ length: 100 }, (_, n) => `${n}`.padStart(2, '0'));
const PAD3: readonly string[] = Array.from({ length: 1000 }, (_, n) => `${n}`.padStart(3, '0'));

/** `YYYY-MM-DDT` of a day since the epoch (0 … 2 932 896, years 1970–9999), after H. Hinnant's `civil_from_days`. */
function datePrefix(days: number): string {
  // Days since 0000-03-01 in eras of 400 years (146 097 days); March-based years put Feb 29 last.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const yyyy = year < 1000 ? `${year}`.padStart(4, '0') : `${year}`;
  return `${yyyy}-${PAD2[month]}-${PAD2[day]}T`;
}

// The last two days formatted (a response's timestamps mostly fall on one or two days).
const recentDays = [-1, -1];
const recentPrefixes = ['', ''];
let nextSlot = 0;

/**
 * Epoch ms as an RFC 3339 timestamp, exactly what `new Date(ms).toISOString()` returns
 * (`2026-11-27T17:30:00.000Z`), without a Date object: `GET /auth/me` formats two per request and
 * the Date route costs about three times as much. Integer ms of 1970–9999 are formatted here (the
 * date part remembered for the last two days); anything else goes to `Date` (which also throws on
 * what it cannot represent).
 */
export function iso(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms > LAST_FOUR_DIGIT_YEAR_MS) return new Date(ms).toISOString();
  const days = Math.floor(ms / MS_PER_DAY);
  let prefix: string;
  if (recentDays[0] === days) prefix = recentPrefixes[0]!;
  else if (recentDays[1] === days) prefix = recentPrefixes[1]!;
  else {
    prefix = datePrefix(days);
    recentDays[nextSlot] = days;
    recentPrefixes[nextSlot] = prefix;
    nextSlot ^= 1;
  }
  let rest = ms - days * MS_PER_DAY;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  return `${prefix}${PAD2[hours]}:${PAD2[minutes]}:${PAD2[seconds]}.${PAD3[rest - seconds * 1000]}Z`;
}

// What `JSON.stringify` escapes in a string: `"`, `\`, control characters, and (well-formed
// JSON.stringify, ES2019) lone surrogates; a surrogate pair also goes the slow way, which is merely slower.
const NEEDS_JSON_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * A string as a JSON string literal, exactly what `JSON.stringify(text)` returns: strings that need
 * no escape (every id, and almost every email) are quoted as they are, at about half the cost.
 */
export function jsonString(text: string): string {
  return NEEDS_JSON_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** An array of strings as JSON, exactly what `JSON.stringify(texts)` returns. */
export function jsonStringArray(texts: readonly string[]): string {
  let out = '[';
  for (let i = 0; i < texts.length; i += 1) out += i === 0 ? jsonString(texts[i]!) : `,${jsonString(texts[i]!)}`;
  return `${out}]`;
}
