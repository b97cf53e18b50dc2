import { describe, expect, it } from 'vitest';
import { createBatcher } from './batch.js';

describe('createBatcher', () => {
  it('hands the calls of one turn to one fetch, in order, and splits at the batch size', async () => {
    const batches: number[][] = [];
    const double = createBatcher<number, number>(async (args) => {
      batches.push(args);
      return args.map((n) => n * 2);
    }, 3);
    const results = await Promise.all([1, 2, 3, 4, 5].map(double));
    expect(results).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1, 2, 3], [4, 5]]);
    // A later turn is a new batch.
    expect(await double(7)).toBe(14);
    expect(batches).toHaveLength(3);
  });

  it('rejects every call of a failed batch, and the next batch starts afresh', async () => {
    let fail = true;
    const get = createBatcher<string, string>(async (args) => {
      if (fail) throw new Error('store down');
      return args.map((a) => a.toUpperCase());
    });
    const settled = await Promise.allSettled([get('a'), get('b')]);
    expect(settled).toEqual([
      { status: 'rejected', reason: new Error('store down') },
      { status: 'rejected', reason: new Error('store down') },
    ]);
    fail = false;
    expect(await Promise.all([get('c'), get('d')])).toEqual(['C', 'D']);
  });

  it('rejects when fetch throws synchronously or answers with the wrong number of results', async () => {
    const throwing = createBatcher<number, number>(() => {
      throw new Error('sync');
    });
    await expect(throwing(1)).rejects.toThrow('sync');
    const short = createBatcher<number, number>(async () => [1]);
    const settled = await Promise.allSettled([short(1), short(2)]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
  });
});
