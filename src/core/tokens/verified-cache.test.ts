import { describe, expect, it } from 'vitest';
import { createVerifiedTokenCache } from './verified-cache.js';
import type { AccessClaims } from './verify-access.js';

const claims = (expSeconds: number): AccessClaims => ({ sub: 'u', sid: 's', roles: [], jti: 'j', iat: expSeconds - 600, exp: expSeconds });

describe('the verified-token cache', () => {
  it('returns an entry only before its exp', () => {
    const cache = createVerifiedTokenCache(10);
    cache.set('a', 'kid', claims(100), 0);
    expect(cache.get('a', 99_999)?.kid).toBe('kid');
    expect(cache.get('a', 100_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('when full, keeps its live entries (no first-in-first-out cliff) and skips the newcomer', () => {
    const cache = createVerifiedTokenCache(3);
    for (const t of ['a', 'b', 'c']) cache.set(t, 'kid', claims(100), 0);
    cache.set('d', 'kid', claims(100), 10);
    expect(cache.size).toBe(3);
    expect(cache.get('a', 20)).toBeDefined();
    expect(cache.get('d', 20)).toBeUndefined();
  });

  it('when full, sweeps expired entries (at most once a second) to make room', () => {
    const cache = createVerifiedTokenCache(2);
    cache.set('old', 'kid', claims(1), 0);
    cache.set('live', 'kid', claims(100), 0);
    cache.set('new', 'kid', claims(100), 5_000);
    expect(cache.get('new', 5_000)).toBeDefined();
    expect(cache.get('live', 5_000)).toBeDefined();
    expect(cache.size).toBe(2);
  });

  it('answers only for the exact token: one with the same signature and another header or payload is a miss', () => {
    const cache = createVerifiedTokenCache(10);
    cache.set('h.p.sig', 'kid', claims(100), 0);
    expect(cache.get('h.p.sig', 0)?.kid).toBe('kid');
    for (const other of ['h.q.sig', 'g.p.sig', 'h.p.sig.', 'xh.p.sig', 'h.p.sig ', '.sig', 'sig', 'h.p.si']) expect(cache.get(other, 0), other).toBeUndefined();
    // A miss leaves the cached token alone.
    expect(cache.get('h.p.sig', 0)?.kid).toBe('kid');
    expect(cache.size).toBe(1);
  });

  it('finds an entry by the end of the token but answers only for the whole of it: a token sharing its last characters is a miss and displaces nothing', () => {
    const cache = createVerifiedTokenCache(10);
    const end = 'S'.repeat(40);
    const token = `header.payload.${end}`;
    cache.set(token, 'kid', claims(100), 0);
    for (const other of [`header.payloaX.${end}`, `Xeader.payload.${end}`, `payload.${end}`, end, `${token.slice(0, -1)}T`]) {
      expect(cache.get(other, 0), other).toBeUndefined();
    }
    expect(cache.get(['header', 'payload', end].join('.'), 0)?.kid).toBe('kid');
    expect(cache.size).toBe(1);
  });

  it('caches nothing with a size of 0', () => {
    const cache = createVerifiedTokenCache(0);
    cache.set('a', 'kid', claims(100), 0);
    expect(cache.get('a', 0)).toBeUndefined();
  });
});
