import type { Tessera } from '../core/tessera.js';
import type { RejectReason } from '../core/types.js';

/**
 * The outcome of authenticating one request on a guarded route: `ok`, why the credential was
 * refused (`missing`, `malformed`, `invalid`, `expired`, `revoked`), or `csrf_rejected` when the
 * request was refused by the Origin / Fetch Metadata / `X-CSRF-Token` checks.
 */
export type AuthDecision = 'ok' | RejectReason | 'csrf_rejected';

/** Every decision, in a stable order (metrics initialise one series per value). */
export const AUTH_DECISIONS: readonly AuthDecision[] = Object.freeze(['ok', 'missing', 'malformed', 'invalid', 'expired', 'revoked', 'csrf_rejected']);

/** Receives one decision per guarded request; must not throw and never sees the credential. */
export type AuthDecisionObserver = (decision: AuthDecision) => void;

const observers = new WeakMap<Tessera, AuthDecisionObserver>();

/**
 * Registers the observer of a Tessera instance's authentication decisions (the reference server's
 * metrics). One per instance; a second call replaces the first. Keyed by the instance so several
 * servers in one process (tests) stay apart, and without widening the adapters' public options.
 * @example observeAuthDecisions(tessera, (d) => counter.inc({ result: d }));
 */
export function observeAuthDecisions(tessera: Tessera, observer: AuthDecisionObserver): void {
  observers.set(tessera, observer);
}

/** Reports a decision to the instance's observer, if any. An observer that throws is ignored. */
export function reportAuthDecision(tessera: Tessera, decision: AuthDecision): void {
  const observer = observers.get(tessera);
  if (!observer) return;
  try {
    observer(decision);
  } catch {
    // Metrics must never change the outcome of a request.
  }
}
