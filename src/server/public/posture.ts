/** The posture table: `GET /auth/posture`, said plainly. */
import type { PostureReport } from '../../core/posture.js';
import type { PageElement } from './browser.js';
import { byId, count, duration, el } from './dom.js';

/** The answer of `GET /auth/posture` (the server's own type; a type import, nothing is loaded). */
export type Posture = PostureReport;

/** How fast a revocation takes effect, in words, for this posture. */
export function takesEffect(posture: Posture, windowMs: number): string {
  if (posture.mode === 'jwt') return `up to ${duration(windowMs)}: access tokens already issued work until they expire`;
  if (posture.mode === 'jwt-push') {
    const feed = posture.feed;
    if (!feed || feed.samples === 0) return 'within the feed’s propagation delay (not measured yet on this instance)';
    return `within the feed’s propagation delay: measured p50 ${duration(feed.p50_ms ?? 0)}, p99 ${duration(feed.p99_ms ?? 0)}`;
  }
  return windowMs === 0 ? 'on the next request' : `within ${duration(windowMs)}`;
}

function row(label: string, ...value: Array<PageElement | string>): PageElement {
  return el('tr', {}, el('th', { scope: 'row' }, label), el('td', {}, ...value));
}

/** Fills the posture table and the warnings list. */
export function renderPosture(posture: Posture): void {
  const { revocation, csrf } = posture;
  const lookup = revocation.per_request_lookup
    ? 'yes: one store read on every request'
    : posture.mode === 'jwt-push'
      ? 'no: a signature check and an in-memory revocation set (the store is read only while the feed is stale)'
      : 'no: a signature check with a key, no store read';
  const defences = [
    `SameSite=${csrf.same_site} cookies`,
    csrf.token,
    csrf.origin_check ? 'Origin checked against the allowed list' : 'no Origin check',
    csrf.fetch_metadata ? 'Sec-Fetch-Site: cross-site refused' : 'no Fetch Metadata check',
  ];
  const rows = [
    row('Posture', posture.mode),
    row('Per-request lookup', lookup),
    row('Revocation mechanism', revocation.mechanism),
    row('Logout takes effect', takesEffect(posture, revocation.events.logout)),
    row('Log out everywhere takes effect', takesEffect(posture, revocation.events.logout_all)),
    row('Disabling an account takes effect', takesEffect(posture, revocation.events.disable)),
    row('A role change takes effect', takesEffect(posture, revocation.events.role_change)),
    row('Where the credential lives (browser)', posture.credential.browser),
    row('Where the credential lives (other clients)', posture.credential.non_browser),
    row('Credential lifetime', duration(posture.credential.lifetime_s * 1000)),
    row('CSRF defences', el('ul', {}, ...defences.map((d) => el('li', {}, d)))),
    row('Signature algorithms', posture.algorithms.length ? posture.algorithms.join(', ') : 'none (opaque session ids)'),
    row('Store', posture.store),
  ];
  if (posture.feed) {
    const f = posture.feed;
    const delay = f.samples === 0 ? 'no revocation observed yet' : `p50 ${duration(f.p50_ms ?? 0)}, p99 ${duration(f.p99_ms ?? 0)} over ${count(f.samples, 'revocation')}`;
    rows.push(row('Revocation feed', `${f.status}${f.stale ? ' (stale: checking the store per request)' : ''}; ${delay}`));
  }
  byId('posture-body').replaceChildren(...rows);
  const warnings = posture.warnings.length ? posture.warnings.map((w) => el('li', {}, w)) : [el('li', {}, 'none')];
  byId('warnings').replaceChildren(...warnings);
}
