import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iso, jsonString, jsonStringArray } from './respond.js';
import { meBody } from './routes/auth.js';
import type { Principal } from '../core/types.js';

const MAX_DATE_MS = 8.64e15;

describe('iso', () => {
  it('is exactly Date#toISOString at the edges of the fast range and of every month', () => {
    const edges = [0, 1, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000 /* 2000-02-29 */, 253_402_300_799_999, 253_402_300_800_000, -1, -62_198_755_200_000];
    for (let year = 1970; year <= 2400; year += 1) {
      for (let month = 0; month < 12; month += 1) edges.push(Date.UTC(year, month, 1) - 1, Date.UTC(year, month, 1));
    }
    for (const ms of edges) expect(iso(ms), String(ms)).toBe(new Date(ms).toISOString());
  });

  it('is exactly Date#toISOString for any integer instant Date can represent', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 253_402_300_799_999 }), fc.integer({ min: -MAX_DATE_MS, max: MAX_DATE_MS })), (ms) => {
        expect(iso(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
  });

  it('stays exact when instants come back to days it has formatted, in any order (its memo of recent days)', () => {
    const day = (n: number) => Date.UTC(2026, 10, 27) + n * 86_400_000;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -3, max: 3 }), fc.integer({ min: 0, max: 86_399_999 })), { minLength: 1, maxLength: 40 }), (instants) => {
        for (const [n, offset] of instants) expect(iso(day(n) + offset)).toBe(new Date(day(n) + offset).toISOString());
      }),
      { numRuns: 500 },
    );
  });

  it('hands fractional instants to Date and throws like it on what it cannot represent', () => {
    expect(iso(1.5)).toBe(new Date(1.5).toISOString());
    expect(() => iso(Number.NaN)).toThrow(RangeError);
    expect(() => iso(MAX_DATE_MS + 1)).toThrow(RangeError);
  });
});

describe('jsonString', () => {
  it('is exactly JSON.stringify for any string and any array of strings (quotes, backslashes, controls, lone surrogates)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string()), (text) => {
        expect(jsonString(text)).toBe(JSON.stringify(text));
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { maxLength: 5 }), (texts) => {
        expect(jsonStringArray(texts)).toBe(JSON.stringify(texts));
      }),
      { numRuns: 2000 },
    );
    for (const text of ['', '"', '\\', '\u0000', '\u001f', '\u007f', '\ud800', '\udfff', '\ud83d\ude00', 'a"b\\c', '\u2028']) {
      expect(jsonString(text), JSON.stringify(text)).toBe(JSON.stringify(text));
    }
  });
});

describe('meBody', () => {
  const principal = (id: string, email: string, roles: string[], sid: string, createdAt: number, expiresAt: number): Principal => ({
    user: { id, email, roles },
    session: { id: sid, createdAt, expiresAt },
    transport: 'cookie',
  });

  it('is the JSON of the contract shape for any strings (quotes, controls, non-ASCII escaped as JSON.stringify does)', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string({ unit: 'grapheme' }),
        fc.array(fc.string({ unit: 'binary' }), { maxLength: 4 }),
        fc.string(),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.constantFrom('session', 'jwt', 'jwt-denylist', 'jwt-push'),
        (id, email, roles, sid, createdAt, expiresAt, mode) => {
          const p = principal(id, email, roles, sid, createdAt, expiresAt);
          const text = meBody(p, mode);
          expect(text).toBe(
            JSON.stringify({
              user: { id, email, roles },
              session: { id: sid, created_at: new Date(createdAt).toISOString(), expires_at: new Date(expiresAt).toISOString() },
              mode,
            }),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('writes only the contract fields, whatever else the principal carries', () => {
    const p = principal('u1', 'a@example.com', ['admin'], 's1', 0, 1000);
    Object.assign(p.user, { passwordHash: '$argon2id$secret', disabled: false });
    Object.assign(p.session, { tokenHash: 'deadbeef' });
    const parsed = JSON.parse(meBody(p, 'session')) as { user: object; session: object };
    expect(Object.keys(parsed.user)).toEqual(['id', 'email', 'roles']);
    expect(Object.keys(parsed.session)).toEqual(['id', 'created_at', 'expires_at']);
    expect(meBody(p, 'session')).not.toContain('argon2');
  });
});
