/**
 * `tessera audit` as a subprocess: green against the reference server in each posture, red
 * against a deliberately vulnerable stand-in (test/cli/vulnerable-server.ts), check by check.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Mode } from '../../src/core/config.js';
import { spawnServer, type ServerProcess } from '../helpers/process-server.js';
import { assertBuilt, hasAnsi, runCli } from './support.js';
import { startVulnerableServer, type VulnerableServer } from './vulnerable-server.js';

interface Row {
  id: string;
  status: 'PASS' | 'FAIL' | 'SKIP';
  detail: string;
}
interface AuditJson {
  target: string;
  mode: string;
  user: string;
  created_user: boolean;
  checks: Row[];
  summary: { pass: number; fail: number; skip: number };
  notes: string[];
}

const JWT_ONLY = [
  'csrf.refresh-cookie',
  'logout.refresh-revoked',
  'logout-all.refresh-revoked',
  'refresh.rotation',
  'refresh.grace',
  'refresh.reuse-revokes-family',
  'jwt.control',
  'jwt.alg-none',
  'jwt.alg-none-variants',
  'jwt.signature-stripped',
  'jwt.payload-tampered',
  'jwt.foreign-key',
  'jwt.hs256-with-public-key',
  'jwt.embedded-jwk',
  'jwt.jku-header',
  'jwt.x5u-header',
  'jwt.expired',
  'jwt.garbage',
  'jwt.five-part',
  'jwt.oversize',
];

const ALWAYS = [
  'posture.served',
  'posture.consistent',
  'setup.account',
  'posture.matches-server',
  'cookie.httponly',
  'cookie.secure',
  'cookie.samesite',
  'cookie.prefix',
  'cookie.path',
  'cookie.no-token-in-body',
  'csrf.missing-token',
  'csrf.wrong-token',
  'csrf.foreign-origin',
  'csrf.cross-site',
  'csrf.control',
  'login-csrf.foreign-origin',
  'login-csrf.cross-site',
  'signup-csrf.foreign-origin',
  'session-fixation.planted',
  'session-fixation.renewed',
  'logout.window',
  'logout-all.window',
];

function byId(report: AuditJson): Map<string, Row> {
  return new Map(report.checks.map((r) => [r.id, r]));
}

async function audit(url: string, extra: string[] = []): Promise<{ code: number | null; report: AuditJson; stderr: string }> {
  const res = await runCli(['audit', url, '--json', ...extra], { timeoutMs: 90_000 });
  let report: AuditJson;
  try {
    report = JSON.parse(res.stdout) as AuditJson;
  } catch {
    throw new Error(`audit printed no JSON (exit ${res.code}); stdout:\n${res.stdout}\nstderr:\n${res.stderr}`);
  }
  return { code: res.code, report, stderr: res.stderr };
}

describe('tessera audit', () => {
  let dir: string;
  let server: ServerProcess | undefined;
  let vulnerable: VulnerableServer | undefined;

  beforeAll(() => {
    assertBuilt();
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    await vulnerable?.close();
    vulnerable = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const MODES: Mode[] = ['session', 'jwt', 'jwt-denylist', 'jwt-push'];
  it.each(MODES)('is green against the reference server in mode %s (exit 0, every check PASS or a reasoned SKIP)', async (mode) => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-audit-'));
    // A short access TTL keeps the measured jwt window quick (the audit waits it out, ≤ 10 s claims).
    server = await spawnServer(['--mode', mode, '--store', `sqlite:${join(dir, 'audit.db')}`, '--access-ttl', '5']);
    const { code, report } = await audit(server.url);
    const failed = report.checks.filter((r) => r.status === 'FAIL');
    expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
    expect(code).toBe(0);
    expect(report.mode).toBe(mode);
    const rows = byId(report);
    for (const id of ALWAYS) expect(rows.get(id)?.status, id).toBe('PASS');
    for (const id of JWT_ONLY) {
      if (mode === 'session') {
        expect(rows.get(id)?.status, id).toBe('SKIP');
        expect(rows.get(id)?.detail, id).toMatch(/session posture/);
      } else {
        expect(rows.get(id)?.status, id).toBe('PASS');
      }
    }
    if (mode !== 'session') expect(rows.get('csrf.refresh-cookie')!.detail).toBe("refresh cookie without X-CSRF-Token → 403 csrf_rejected; with the login's token → 200");
    // The window was measured, and within the claim.
    if (mode === 'jwt') expect(rows.get('logout.window')!.detail).toMatch(/refused .* after logout ≤ claimed 5 s/);
    else expect(rows.get('logout.window')!.detail).toMatch(/refused on the first request after logout/);
    expect(report.created_user).toBe(true);
    expect(report.user).toMatch(/^audit-[0-9a-f]+@example\.invalid$/);
    expect(report.notes.join('\n')).toMatch(/cannot delete users/);
    expect(report.notes.join('\n')).toMatch(/revoked \(logout-all\)/);
    // The clean-up worked: the operator's view of the store shows no live session of the audit account.
    const sessions = await runCli(['sessions', 'list', '--user', report.user, '--json', '--mode', mode, '--store', `sqlite:${join(dir, 'audit.db')}`]);
    expect(sessions.code, sessions.stderr).toBe(0);
    expect(JSON.parse(sessions.stdout).sessions).toEqual([]);
  });

  it('against the jwt posture with a long TTL, does not wait the window out: exp must fall within the claim', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-audit-'));
    server = await spawnServer(['--mode', 'jwt', '--store', `sqlite:${join(dir, 'audit.db')}`, '--access-ttl', '600']);
    const started = Date.now();
    const { code, report } = await audit(server.url);
    expect(code, JSON.stringify(report.checks.filter((r) => r.status === 'FAIL'))).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(byId(report).get('logout.window')!.detail).toMatch(/still accepted right after logout, as the posture says; exp in .* ≤ claimed 10 min/);
  });

  it('with --email/--password-env uses that existing account and creates none; prints a text table without colours off a TTY', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-audit-'));
    server = await spawnServer(['--mode', 'session', '--store', `sqlite:${join(dir, 'audit.db')}`, '--signup', 'closed', '--admin-email', 'tester@example.com', '--admin-password', 'tester password 1']);
    const res = await runCli(['audit', server.url, '--email', 'tester@example.com', '--password-env', 'AUDIT_PW'], { env: { AUDIT_PW: 'tester password 1' }, timeoutMs: 90_000 });
    expect(res.code, res.stdout).toBe(0);
    expect(res.stdout).toMatch(/^RESULT\s+CHECK\s+DETAIL$/m);
    expect(res.stdout).toMatch(/^PASS\s+csrf\.missing-token\s+/m);
    expect(res.stdout).toMatch(/^SKIP\s+jwt\.alg-none\s+session posture/m);
    expect(res.stdout).toContain('using the existing account tester@example.com');
    expect(res.stdout).not.toContain('remains: the API cannot delete users');
    expect(res.stdout).not.toContain('tester password 1');
    expect(hasAnsi(res.stdout + res.stderr)).toBe(false);
    // Progress goes to stderr only on a TTY.
    expect(res.stderr).toBe('');
  });

  it('with signup closed and no --email, fails setup.account and says what to do', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-audit-'));
    server = await spawnServer(['--mode', 'session', '--store', `sqlite:${join(dir, 'audit.db')}`, '--signup', 'closed']);
    const { code, report } = await audit(server.url);
    const setup = byId(report).get('setup.account')!;
    expect(setup.status).toBe('FAIL');
    expect(setup.detail).toMatch(/--email\/--password/);
    expect(code).toBe(report.summary.fail);
  });

  it('against a URL where nothing listens: posture.served FAILs, exit 1', async () => {
    const { code, report } = await audit('http://127.0.0.1:9');
    expect(byId(report).get('posture.served')?.status).toBe('FAIL');
    expect(code).toBe(1);
  });

  it.each([
    ['a path', ['audit', 'http://127.0.0.1:3000/auth']],
    ['not a URL', ['audit', 'nope']],
    ['no URL', ['audit']],
    ['--email without a password', ['audit', 'http://127.0.0.1:3000', '--email', 'a@b.c']],
  ])('rejects invalid usage (%s) with exit 2', async (_name, args) => {
    const res = await runCli(args);
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });

  const SESSION_FLAWS = [
    'cookie.httponly',
    'cookie.no-token-in-body',
    'csrf.missing-token',
    'csrf.wrong-token',
    'csrf.foreign-origin',
    'csrf.cross-site',
    'login-csrf.foreign-origin',
    'login-csrf.cross-site',
    'signup-csrf.foreign-origin',
    'session-fixation.planted',
    'session-fixation.renewed',
    'logout.window',
    'logout-all.window',
  ];
  const JWT_FLAWS = [
    'posture.consistent',
    'cookie.httponly',
    'cookie.path',
    'cookie.no-token-in-body',
    'csrf.missing-token',
    'csrf.wrong-token',
    'csrf.foreign-origin',
    'csrf.cross-site',
    'csrf.refresh-cookie',
    'login-csrf.foreign-origin',
    'login-csrf.cross-site',
    'signup-csrf.foreign-origin',
    'logout.window',
    'logout.refresh-revoked',
    'refresh.grace',
    'refresh.reuse-revokes-family',
    'jwt.alg-none',
    'jwt.alg-none-variants',
    'logout-all.window',
    'logout-all.refresh-revoked',
  ];

  it.each([
    ['session', SESSION_FLAWS],
    ['jwt', JWT_FLAWS],
  ] as const)('is red against the vulnerable stand-in (%s flavour): each flaw FAILs by name; exit code = failures', async (flavour, flaws) => {
    vulnerable = await startVulnerableServer(flavour);
    const { code, report } = await audit(vulnerable.url);
    const rows = byId(report);
    for (const id of flaws) expect({ id, status: rows.get(id)?.status }).toEqual({ id, status: 'FAIL' });
    const failed = report.checks.filter((r) => r.status === 'FAIL').map((r) => r.id);
    // Nothing else fails: the checks are precise, not merely noisy.
    expect(new Set(failed)).toEqual(new Set(flaws));
    expect(code).toBe(failed.length);
    expect(report.summary.fail).toBe(failed.length);
    // What the stand-in does right still passes (the audit does not fail everything).
    expect(rows.get('posture.served')?.status).toBe('PASS');
    expect(rows.get('csrf.control')?.status).toBe('PASS');
    if (flavour === 'jwt') {
      expect(rows.get('jwt.payload-tampered')?.status).toBe('PASS');
      expect(rows.get('jwt.hs256-with-public-key')?.status).toBe('SKIP');
      expect(rows.get('refresh.rotation')?.status).toBe('PASS');
      expect(rows.get('csrf.refresh-cookie')?.detail).toBe('POST /auth/refresh with the refresh cookie and no X-CSRF-Token was not refused: 200');
      expect(rows.get('logout.window')?.detail).toMatch(/still accepted .* after logout; the posture claims ≤ 0 ms/);
      expect(rows.get('posture.consistent')?.detail).toMatch(/window_ms is 0/);
    }
  });
});
