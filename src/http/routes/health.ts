import type { Tessera } from '../../core/tessera.js';
import { json } from '../respond.js';
import { problem } from '../problem.js';
import type { Route } from '../types.js';
import type { RouteDefiner } from './auth.js';

/** Liveness and readiness. Readiness is 503 while the store does not answer. */
export function healthRoutes(tessera: Tessera, define: RouteDefiner): Route[] {
  return [
    define('GET', '/healthz', async () => json(200, { status: 'ok' })),
    define('GET', '/readyz', async () => {
      try {
        await tessera.ready();
        return json(200, { status: 'ready' });
      } catch {
        return problem('unavailable', { detail: 'the store is not answering' });
      }
    }),
  ];
}
