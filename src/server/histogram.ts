import type { Metric, Registry } from 'prom-client';

/** One labelled series of a histogram. */
export interface HistogramSeries {
  /** Records one value (seconds). */
  observe(value: number): void;
}

/** A Prometheus histogram whose series are looked up once and then observed without label handling. */
export interface SeriesHistogram<L extends string> {
  /** The series for these label values (created at first use, all zero; the same handle every time). Observing it is a bucket search and three additions. */
  series(labels: Readonly<Record<L, string>>): HistogramSeries;
}

/** Options of `createSeriesHistogram`; the same as prom-client's `Histogram`. */
export interface SeriesHistogramOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  /** Upper bounds, ascending; `+Inf` is implied. */
  buckets: readonly number[];
  registers: readonly Registry[];
}

interface SeriesState {
  labels: Record<string, string>;
  /** The handle `series()` returns for these labels, made once. */
  handle: HistogramSeries;
  /** Non-cumulative counts per upper bound. */
  counts: number[];
  sum: number;
  count: number;
}

/** One line of the exposition, in the shape prom-client's registry formats. */
interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName: string;
  /** prom-client marks bucket lines with `exemplar: null` (exemplars off). */
  exemplar?: null;
}

/**
 * A histogram that prom-client's registry exposes exactly as it would its own `Histogram` (same
 * `_bucket`/`_sum`/`_count` lines, cumulative buckets, `+Inf`), for the reference server's
 * per-request metrics. prom-client's `observe(labels, value)` validates, sorts and hashes the
 * labels on every call (about half a microsecond, twice per authenticated request); here a caller
 * resolves its series once (`series(labels)`) and an observation is a bucket search and three
 * additions.
 * @example const calls = createSeriesHistogram({ name, help, labelNames: ['op'], buckets, registers }); calls.series({ op }).observe(0.002);
 */
export function createSeriesHistogram<L extends string>(options: SeriesHistogramOptions<L>): SeriesHistogram<L> {
  const bounds = [...options.buckets];
  for (let i = 1; i < bounds.length; i += 1) {
    if (!(bounds[i]! > bounds[i - 1]!)) throw new Error(`${options.name}: buckets must be ascending`);
  }
  const labelNames = [...options.labelNames];
  const all = new Map<string, SeriesState>();

  function exported(merge: boolean): ExportedValue[] {
    const values: ExportedValue[] = [];
    const line = (labels: Record<string, string | number>, shared: Record<string, string>, value: number, metricName: string): ExportedValue =>
      merge ? { labels: { ...labels, ...shared }, value, metricName } : { labels, sharedLabels: shared, value, metricName };
    const bucket = (le: number | string, shared: Record<string, string>, value: number): ExportedValue => ({
      ...line({ le }, shared, value, `${options.name}_bucket`),
      exemplar: null,
    });
    for (const state of all.values()) {
      let cumulative = 0;
      for (let i = 0; i < bounds.length; i += 1) {
        cumulative += state.counts[i]!;
        values.push(bucket(bounds[i]!, state.labels, cumulative));
      }
      values.push(bucket('+Inf', state.labels, state.count));
      values.push(line({}, state.labels, state.sum, `${options.name}_sum`));
      values.push(line({}, state.labels, state.count, `${options.name}_count`));
    }
    return values;
  }

  const metric = {
    name: options.name,
    help: options.help,
    type: 'histogram',
    aggregator: 'sum',
    // What the registry reads for the text exposition (labels kept apart, as prom-client does) …
    getForPromString: async () => ({ name: options.name, help: options.help, type: 'histogram', aggregator: 'sum', values: exported(false) }),
    // … and for `getMetricsAsJSON` (labels merged).
    get: async () => ({ name: options.name, help: options.help, type: 'histogram', aggregator: 'sum', values: exported(true) }),
    reset: () => {
      for (const state of all.values()) {
        state.counts.fill(0);
        state.sum = 0;
        state.count = 0;
      }
    },
  };
  // The registry only reads name, type, get / getForPromString and reset; prom-client's types
  // accept its own classes only, hence the cast.
  for (const registry of options.registers) registry.registerMetric(metric as unknown as Metric);

  return {
    series(labels) {
      const key = labelNames.map((name) => labels[name]).join('\u0000');
      const known = all.get(key);
      if (known !== undefined) return known.handle;
      const own: Record<string, string> = {};
      for (const name of labelNames) own[name] = labels[name];
      const state: SeriesState = {
        labels: own,
        counts: bounds.map(() => 0),
        sum: 0,
        count: 0,
        handle: {
          observe(value) {
            if (!Number.isFinite(value)) return;
            let i = 0;
            while (i < bounds.length && value > bounds[i]!) i += 1;
            if (i < bounds.length) state.counts[i]! += 1;
            state.sum += value;
            state.count += 1;
          },
        },
      };
      all.set(key, state);
      return state.handle;
    },
  };
}
