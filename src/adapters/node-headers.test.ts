import { describe, expect, it } from 'vitest';
import { singleValuedHeaders } from './node-headers.js';

describe('singleValuedHeaders', () => {
  it('passes single-valued headers on without copying them', () => {
    const headers = { host: 'example.com', authorization: 'Bearer x', cookie: 'a=1; b=2' };
    expect(singleValuedHeaders(headers)).toBe(headers);
  });

  it('joins repeated headers with ", " in a copy, leaving the original alone', () => {
    const headers = { host: 'example.com', 'set-cookie': ['a=1', 'b=2'], accept: 'text/html' };
    const joined = singleValuedHeaders(headers);
    expect(joined).toEqual({ host: 'example.com', 'set-cookie': 'a=1, b=2', accept: 'text/html' });
    expect(headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });
});
