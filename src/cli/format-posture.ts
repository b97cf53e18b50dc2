import type { PostureReport } from '../core/posture.js';

function windowText(ms: number): string {
  if (ms === 0) return 'next request';
  if (ms < 1000) return `≤ ${ms} ms`;
  return `up to ${Math.round(ms / 1000)} s`;
}

/** The posture as a plain two-column table, the same facts `/auth/posture` serves. */
export function formatPosture(report: PostureReport): string {
  const rows: Array<[string, string]> = [
    ['mode', report.mode],
    ['store', report.store],
    ['per-request state lookup', report.revocation.per_request_lookup ? 'yes' : 'no'],
    ['revocation mechanism', report.revocation.mechanism],
    ['logout takes effect', windowText(report.revocation.events.logout)],
    ['logout-all takes effect', windowText(report.revocation.events.logout_all)],
    ['disable takes effect', windowText(report.revocation.events.disable)],
    ['role change takes effect', windowText(report.revocation.events.role_change)],
    ['access-token lifetime', report.access_ttl_s === null ? '—' : `${report.access_ttl_s} s`],
    ['algorithms', report.algorithms.length ? report.algorithms.join(', ') : '—'],
    ['browser credential', report.credential.browser],
    ['non-browser credential', report.credential.non_browser],
    ['CSRF', `SameSite=${report.csrf.same_site}, ${report.csrf.token}, Origin check, Fetch Metadata`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}
