import { parseCommand, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { runAudit, type AuditReport } from '../audit/run.js';
import { createProgress, formatTable, styleFor } from '../output.js';

const HELP = `Usage: tessera audit <base-url> [--email E --password-env NAME] [--origin URL] [--json]

A security self-test of a running Tessera deployment you operate (e.g. http://127.0.0.1:3000):
  posture        GET /auth/posture is served, hangs together, and matches what the server does
  cookies        HttpOnly, Secure, SameSite, __Host-/__Secure- prefixes, Path; no token in the body
  csrf           a cookie-authenticated POST without / with a wrong X-CSRF-Token, from a foreign
                 Origin, or marked Sec-Fetch-Site: cross-site is refused; a genuine one passes
  login-csrf     login and signup from a foreign Origin / cross-site are refused
  fixation       a cookie planted before login is not adopted; every login gets a new credential
  logout         the measured revocation window of logout and logout-all is within the posture's
                 claim (claims over 10 s are not waited out: exp must fall within them)
  refresh        rotation, the grace window, reuse of an old token revokes the family (jwt modes)
  jwt            the attack table: alg none, stripped signature, tampered payload, HS256 with the
                 public key, embedded jwk, jku/x5u, expired, garbage, 5-part, oversize → 401

It signs up its own test account (audit-<random>@example.invalid; needs signup open) or uses an
existing test account given with --email and a password from --password-env NAME (or
--password P). It cleans up with logout-all; the API cannot delete users, so a created test
account remains (the output names it).

  --origin URL           the browser origin the deployment allows (default: the base URL's)
  --json                 machine-readable output

Exit code: the number of failed checks (0 = all passed, at most 100); 2 also for invalid usage.
`;

const FLAGS = {
  email: { type: 'string' },
  password: { type: 'string' },
  'password-env': { type: 'string' },
  origin: { type: 'string' },
  json: { type: 'boolean' },
} as const;

function originOf(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(flag, `"${value.slice(0, 80)}" is not a URL like http://127.0.0.1:3000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(flag, 'must be an http:// or https:// URL');
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') throw new UsageError(flag, 'give the origin only (scheme://host:port), without a path');
  if (url.username !== '' || url.password !== '') throw new UsageError(flag, 'must not carry credentials');
  return url.origin;
}

function printText(report: AuditReport): void {
  const style = styleFor(process.stdout);
  const tag = (s: string) => (s === 'PASS' ? style.green(s) : s === 'FAIL' ? style.red(s) : style.yellow(s));
  const rows = report.checks.map((c) => [tag(c.status), c.id, c.detail]);
  const counts = { PASS: 0, FAIL: 0, SKIP: 0 };
  for (const c of report.checks) counts[c.status]++;
  let out = `${style.bold('tessera audit')} ${report.base}${report.mode ? ` (mode ${report.mode})` : ''}\n\n`;
  out += formatTable(rows, ['RESULT', 'CHECK', 'DETAIL'], style);
  out += `\n${counts.PASS} passed, ${counts.FAIL === 0 ? '0 failed' : style.red(`${counts.FAIL} failed`)}, ${counts.SKIP} skipped\n`;
  for (const note of report.notes) out += `note: ${note}\n`;
  process.stdout.write(out);
}

/** `tessera audit`: the security self-test. */
export const auditCommand: Command = {
  name: 'audit',
  summary: 'security self-test of a running deployment (exit code = failures)',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommand('audit', argv, FLAGS, { min: 1, max: 1, names: 'the base URL of a running Tessera' });
    const base = originOf('base-url', positionals[0]!);
    const origin = values.origin === undefined ? base : originOf('--origin', values.origin);
    if (values.password !== undefined && values['password-env'] !== undefined) {
      throw new UsageError('--password', 'give either --password or --password-env, not both');
    }
    let password = values.password;
    if (values['password-env'] !== undefined) {
      password = process.env[values['password-env']];
      if (!password) throw new UsageError('--password-env', `environment variable ${values['password-env']} is not set`);
    }
    if ((values.email === undefined) !== (password === undefined)) {
      throw new UsageError(values.email === undefined ? '--password' : '--email', 'the test account email and password go together');
    }
    const progress = createProgress();
    let report: AuditReport;
    try {
      report = await runAudit({
        base,
        origin,
        ...(values.email !== undefined && password !== undefined ? { email: values.email, password } : {}),
        onProgress: (id, index, total) => progress.update(`tessera audit: [${Math.min(index, total)}/${total}] ${id}`),
      });
    } finally {
      progress.done();
    }
    if (values.json) {
      const summary = { pass: 0, fail: 0, skip: 0 };
      for (const c of report.checks) summary[c.status.toLowerCase() as 'pass' | 'fail' | 'skip']++;
      process.stdout.write(`${JSON.stringify({ target: report.base, origin, mode: report.mode, user: report.email, created_user: report.createdUser, checks: report.checks, summary, notes: report.notes }, null, 2)}\n`);
    } else {
      printText(report);
    }
    return Math.min(100, report.checks.filter((c) => c.status === 'FAIL').length);
  },
};
