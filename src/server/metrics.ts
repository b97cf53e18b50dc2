import { Counter, Gauge, Registry } from 'prom-client';
import { createSeriesHistogram, type HistogramSeries } from './histogram.js';
import type { Mode } from '../core/config.js';
import type { Tessera } from '../core/tessera.js';
import { AUTH_DECISIONS, observeAuthDecisions, type AuthDecision } from '../http/auth-decisions.js';
import type { StoreObserver } from './instrumented-store.js';

/**
 * Who may read `GET /metrics`: `loopback` (default) answers only requests whose socket comes from
 * 127.0.0.0/8 or ::1 and that carry no proxy forwarding header; `open` answers anyone who reaches
 * the port (put it behind your own network policy); `off` does not serve the route (404).
 */
export type MetricsAccess = 'loopback' | 'open' | 'off';

/** Why Node refused a request before Fastify saw it (see `limits.ts`). */
export type ClientErrorReason = 'header_overflow' | 'timeout' | 'malformed';

/** The reference server's Prometheus metrics, in a registry of its own (never prom-client's global one). */
export interface ServerMetrics {
  readonly registry: Registry;
  /** One finished HTTP request; `route` is the route pattern (`/auth/sessions/:id`), never the URL. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** A parse-level refusal answered before routing (431, 408, 400). */
  clientError(reason: ClientErrorReason): void;
  /** Receives the store wrapper's reports (`instrumentStore(store, metrics.storeObserver)`). */
  readonly storeObserver: StoreObserver;
  /** Counts the instance's auth decisions and exposes its revocation feed (jwt-push). Call once. */
  watch(tessera: Tessera): void;
  /** The exposition text (Prometheus text format 0.0.4). */
  render(): Promise<string>;
  readonly contentType: string;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const FEED_STATES = ['up', 'down', 'syncing'] as const;
// Seconds. Logins run argon2id (tens to hundreds of ms); everything else should be well under 10 ms.
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STORE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Creates the metrics of one server. Label values are bounded: methods outside a fixed set become
 * `OTHER`, routes are Fastify's patterns (or `unmatched`), store operations are the Store methods.
 * Nothing here ever carries a token, an email, an id or a URL.
 * @example const metrics = createServerMetrics({ mode: 'session', store: 'sqlite' });
 */
export function createServerMetrics(options: { mode: Mode; store: string }): ServerMetrics {
  const registry = new Registry();
  const registers = [registry];
  const mode = options.mode;

  new Gauge({
    name: 'tessera_info',
    help: 'The running posture and store kind (always 1).',
    labelNames: ['mode', 'store'],
    registers,
  }).set({ mode, store: options.store }, 1);

  // Counted in plain numbers on the request path and handed to the counter when it is scraped:
  // a labelled `inc` per authenticated request costs more than the rest of a cached jwt check.
  const pendingDecisions = new Map<AuthDecision, number>(AUTH_DECISIONS.map((result) => [result, 0]));
  const decisions = new Counter({
    name: 'tessera_auth_decisions_total',
    help: 'Authentication decisions on guarded routes, by posture and result (ok, missing, malformed, invalid, expired, revoked, csrf_rejected).',
    labelNames: ['mode', 'result'],
    registers,
    collect() {
      for (const [result, count] of pendingDecisions) {
        if (count === 0) continue;
        this.inc({ mode, result }, count);
        pendingDecisions.set(result, 0);
      }
    },
  });
  for (const result of AUTH_DECISIONS) decisions.inc({ mode, result }, 0);

  const requests = createSeriesHistogram({
    name: 'tessera_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: HTTP_BUCKETS,
    registers,
  });
  const rateLimited = new Counter({
    name: 'tessera_rate_limited_total',
    help: 'Requests refused with 429 rate_limited, by route pattern (login, signup).',
    labelNames: ['route'],
    registers,
  });
  const clientErrors = new Counter({
    name: 'tessera_http_client_errors_total',
    help: 'Requests refused by the HTTP parser before routing: header_overflow (431), timeout (408), malformed (400).',
    labelNames: ['reason'],
    registers,
  });
  const storeCalls = createSeriesHistogram({
    name: 'tessera_store_call_duration_seconds',
    help: 'Store call latency by operation (failed calls included).',
    labelNames: ['op'],
    buckets: STORE_BUCKETS,
    registers,
  });
  const storeErrors = new Counter({
    name: 'tessera_store_errors_total',
    help: 'Store calls that threw (the request then fails closed with 503), by operation.',
    labelNames: ['op'],
    registers,
  });
  const created = new Counter({
    name: 'tessera_sessions_created_total',
    help: 'Sessions (session posture) or refresh families (jwt postures) created by this instance.',
    registers,
  });
  const ended = new Counter({
    name: 'tessera_sessions_ended_total',
    help: 'Sessions or refresh families deleted by this instance (logout, revoke, disable); expiry is not counted.',
    registers,
  });
  let active = 0;
  new Gauge({
    name: 'tessera_sessions_active',
    help:
      'Approximate live sessions: created minus deleted by this instance since it started. Not counted: sessions ' +
      'from before the start or from other instances, and sessions that simply expired. Sum the _total counters across instances for a fleet view.',
    registers,
    collect() {
      this.set(Math.max(0, active));
    },
  });

  let watched: Tessera | undefined;
  new Gauge({
    name: 'tessera_revocation_feed_state',
    help: 'jwt-push: the revocation feed state (1 for the current one of up, down, syncing).',
    labelNames: ['state'],
    registers,
    collect() {
      const feed = watched?.posture().feed;
      this.reset();
      if (!feed) return;
      for (const state of FEED_STATES) this.set({ state }, feed.status === state ? 1 : 0);
    },
  });
  new Gauge({
    name: 'tessera_revocation_feed_stale',
    help: 'jwt-push: 1 while the feed is stale and every request checks the store (fail closed).',
    registers,
    collect() {
      const feed = watched?.posture().feed;
      this.reset();
      if (feed) this.set(feed.stale ? 1 : 0);
    },
  });
  new Gauge({
    name: 'tessera_revocation_feed_lag_seconds',
    help: 'jwt-push: measured delay from a revocation to its arrival on this instance (p50, p99 of the last samples).',
    labelNames: ['quantile'],
    registers,
    collect() {
      const feed = watched?.posture().feed;
      this.reset();
      if (!feed) return;
      if (feed.p50_ms !== null) this.set({ quantile: '0.5' }, feed.p50_ms / 1000);
      if (feed.p99_ms !== null) this.set({ quantile: '0.99' }, feed.p99_ms / 1000);
    },
  });
  new Gauge({
    name: 'tessera_revocation_feed_entries',
    help: 'jwt-push: revocations held in memory.',
    registers,
    collect() {
      const feed = watched?.posture().feed;
      this.reset();
      if (feed) this.set(feed.entries);
    },
  });

  return {
    registry,
    contentType: registry.contentType,
    observeRequest(method, route, status, seconds) {
      requests.series({ method: METHODS.has(method) ? method : 'OTHER', route, status: String(status) }).observe(seconds);
      if (status === 429) rateLimited.inc({ route });
    },
    clientError(reason) {
      clientErrors.inc({ reason });
    },
    storeObserver: {
      operation(op) {
        // Resolved at the first call, so the exposition lists only the operations that ran.
        let calls: HistogramSeries | undefined;
        return (seconds, failed) => {
          (calls ??= storeCalls.series({ op })).observe(seconds);
          if (failed) storeErrors.inc({ op });
        };
      },
      sessionsCreated(count) {
        created.inc(count);
        active += count;
      },
      sessionsEnded(count) {
        ended.inc(count);
        active -= count;
      },
    },
    watch(tessera) {
      watched = tessera;
      observeAuthDecisions(tessera, (result: AuthDecision) => pendingDecisions.set(result, (pendingDecisions.get(result) ?? 0) + 1));
    },
    render: () => registry.metrics(),
  };
}
