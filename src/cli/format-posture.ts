import type { PostureReport } from '../core/posture.js';
import { formatDuration, formatTable, type Style } from './output.js';

function windowText(report: PostureReport, ms: number): string {
  if (report.mode === 'jwt-push') {
    const measured = report.feed?.p99_ms;
    return measured === null || measured === undefined
      ? 'within the feed propagation delay (measured by each running instance, see GET /auth/posture)'
      : `within ${formatDuration(ms)} (p99 propagation measured by this instance)`;
  }
  if (ms === 0) return 'next request';
  return `up to ${formatDuration(ms)} (until issued access tokens expire)`;
}

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

/**
 * The posture as a two-column table: the same facts `GET /auth/posture` serves, with the
 * trade-off spelled out (per-request lookup, revocation window per event, where the credential
 * lives, CSRF defences) and the warnings last.
 */
export function formatPosture(report: PostureReport, style?: Style): string {
  const ev = report.revocation.events;
  const lookup = report.revocation.per_request_lookup;
  const rows: Array<[string, string]> = [
    ['mode', report.mode],
    ['store', report.store],
    ['per-request state lookup', lookup ? 'yes (one store read per request)' : 'no (verified locally with a key)'],
    ['revocation mechanism', report.revocation.mechanism],
    ['logout takes effect', windowText(report, ev.logout)],
    ['logout-all takes effect', windowText(report, ev.logout_all)],
    ['disable takes effect', windowText(report, ev.disable)],
    ['role change takes effect', windowText(report, ev.role_change)],
    ['revocation window_ms', String(report.revocation.window_ms)],
    ['access-token lifetime', report.access_ttl_s === null ? '— (opaque session id)' : `${report.access_ttl_s} s`],
    ['algorithms', report.algorithms.length ? report.algorithms.join(', ') : '—'],
    ['browser credential', report.credential.browser],
    ['non-browser credential', report.credential.non_browser],
    ['credential lifetime', formatDuration(report.credential.lifetime_s * 1000)],
    ['CSRF: SameSite', report.csrf.same_site],
    ['CSRF: token', report.csrf.token],
    ['CSRF: Origin check', yesNo(report.csrf.origin_check)],
    ['CSRF: Fetch Metadata', `${yesNo(report.csrf.fetch_metadata)} (Sec-Fetch-Site: cross-site refused)`],
  ];
  if (report.feed) {
    rows.push(['feed', `${report.feed.status}${report.feed.stale ? ' (stale: store checked per request)' : ''}, ${report.feed.samples} samples`]);
  }
  const bold = style?.bold ?? ((s: string) => s);
  let out = formatTable(rows.map(([k, v]) => [bold(k), v]));
  for (const w of report.warnings) out += `${style ? style.yellow('warning:') : 'warning:'} ${w}\n`;
  return out;
}
