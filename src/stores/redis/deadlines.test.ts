import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDeadlines } from './context.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('createDeadlines', () => {
  it('rejects an operation that runs past its deadline, at most one tick late, and settles the others like their work', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    const deadlines = createDeadlines(10);
    const never = new Promise<string>(() => {});
    let done: (value: string) => void = () => {};
    const later = new Promise<string>((resolve) => {
      done = resolve;
    });
    const late = deadlines.within(never, 100);
    const onTime = deadlines.within(later, 100);
    const failing = deadlines.within(Promise.reject(new Error('boom')), 100);
    let lateError: unknown;
    late.catch((error: unknown) => {
      lateError = error;
    });
    await expect(failing).rejects.toThrow('boom');
    await vi.advanceTimersByTimeAsync(90);
    expect(lateError).toBeUndefined();
    done('value');
    await expect(onTime).resolves.toBe('value');
    await vi.advanceTimersByTimeAsync(20);
    expect(lateError).toMatchObject({ name: 'DeadlineError', reason: 'timeout' });
    deadlines.dispose();
  });

  it('runs its timer only while operations are in flight', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    const deadlines = createDeadlines(10);
    expect(vi.getTimerCount()).toBe(0);
    await deadlines.within(Promise.resolve(1), 100);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(10);
    expect(vi.getTimerCount()).toBe(0);
    deadlines.dispose();
  });
});
