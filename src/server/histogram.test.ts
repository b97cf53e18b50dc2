import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createSeriesHistogram } from './histogram.js';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.1, 1];

/** The same observations through prom-client's own Histogram and through ours, each in a registry of its own. */
async function both(observations: Array<{ op: string; status: string; value: number }>) {
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Histogram({ name: 'h_seconds', help: 'help text', labelNames: ['op', 'status'], buckets: BUCKETS, registers: [theirs] });
  const mine = createSeriesHistogram({ name: 'h_seconds', help: 'help text', labelNames: ['op', 'status'], buckets: BUCKETS, registers: [ours] });
  for (const { op, status, value } of observations) {
    reference.observe({ op, status }, value);
    mine.series({ op, status }).observe(value);
  }
  return { theirs, ours };
}

describe('createSeriesHistogram', () => {
  it('exposes exactly what prom-client exposes for the same observations (text and JSON)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            op: fc.constantFrom('sessions.getWithUser', 'users.getById', 'a"quoted\\name'),
            status: fc.constantFrom('200', '401'),
            value: fc.oneof(fc.constantFrom(0, ...BUCKETS, 2, 1e-9), fc.double({ min: 0, max: 5, noNaN: true })),
          }),
          { maxLength: 60 },
        ),
        async (observations) => {
          const { theirs, ours } = await both(observations);
          expect(await ours.metrics()).toBe(await theirs.metrics());
          expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
        },
      ),
      { numRuns: 200 },
    );
  });

  it('counts a value equal to a bound in that bound (le is inclusive), and above every bound only in +Inf', async () => {
    const registry = new Registry();
    const histogram = createSeriesHistogram({ name: 'x_seconds', help: 'x', labelNames: ['op'], buckets: [0.1, 1], registers: [registry] });
    const series = histogram.series({ op: 'a' });
    series.observe(0.1);
    series.observe(3);
    const text = await registry.metrics();
    expect(text).toContain('x_seconds_bucket{le="0.1",op="a"} 1');
    expect(text).toContain('x_seconds_bucket{le="1",op="a"} 1');
    expect(text).toContain('x_seconds_bucket{le="+Inf",op="a"} 2');
    expect(text).toContain('x_seconds_sum{op="a"} 3.1');
    expect(text).toContain('x_seconds_count{op="a"} 2');
  });

  it('hands out one series per label set, and resetMetrics zeroes them', async () => {
    const registry = new Registry();
    const histogram = createSeriesHistogram({ name: 'y_seconds', help: 'y', labelNames: ['op'], buckets: [1], registers: [registry] });
    expect(histogram.series({ op: 'a' })).toBe(histogram.series({ op: 'a' }));
    expect(histogram.series({ op: 'a' })).not.toBe(histogram.series({ op: 'b' }));
    histogram.series({ op: 'a' }).observe(0.5);
    histogram.series({ op: 'a' }).observe(0.5);
    expect(await registry.metrics()).toContain('y_seconds_count{op="a"} 2');
    registry.resetMetrics();
    expect(await registry.metrics()).toContain('y_seconds_count{op="a"} 0');
  });

  it('refuses buckets that are not ascending', () => {
    expect(() => createSeriesHistogram({ name: 'z', help: 'z', labelNames: [], buckets: [1, 1], registers: [] })).toThrow(/ascending/);
  });
});
