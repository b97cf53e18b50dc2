/**
 * `tessera posture` as a subprocess: the trade-off table, and `--json` equal to what a running
 * server with the same flags serves at GET /auth/posture (store and the live feed aside).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type ServerProcess } from '../helpers/process-server.js';
import { assertBuilt, hasAnsi, runCli } from './support.js';

const HS_SECRET = 'posture-test-hs256-secret-0123456789-abcdefghij';

function withoutRuntime(report: Record<string, unknown>): Record<string, unknown> {
  const { store: _store, feed: _feed, ...rest } = report;
  return rest;
}

describe('tessera posture', () => {
  let dir: string;
  let server: ServerProcess | undefined;

  beforeAll(() => {
    assertBuilt();
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['session', ['--mode', 'session'], {}],
    ['jwt', ['--mode', 'jwt', '--access-ttl', '300'], {}],
    ['jwt with a long TTL and --demo', ['--mode', 'jwt', '--access-ttl', '1800', '--demo'], {}],
    ['jwt HS256', ['--mode', 'jwt', '--alg', 'HS256'], { TESSERA_JWT_SECRET: HS_SECRET }],
    ['jwt-denylist ES256', ['--mode', 'jwt-denylist', '--alg', 'ES256', '--access-ttl', '120'], {}],
    ['jwt-push', ['--mode', 'jwt-push', '--access-ttl', '300'], {}],
  ] as const)('--json says what a running server says at /auth/posture (%s)', async (_name, flags, env) => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-posture-'));
    server = await spawnServer([...flags, '--store', `sqlite:${join(dir, 'p.db')}`], env);
    const served = (await (await fetch(`${server.url}/auth/posture`, { signal: AbortSignal.timeout(15_000) })).json()) as Record<string, unknown>;
    const cli = await runCli(['posture', ...flags, '--json', '--store', `sqlite:${join(dir, 'p.db')}`], { env });
    expect(cli.code, cli.stderr).toBe(0);
    const printed = JSON.parse(cli.stdout) as Record<string, unknown>;
    expect(withoutRuntime(printed)).toEqual(withoutRuntime(served));
    expect(printed.store).toBe('sqlite');
    expect(printed).not.toHaveProperty('feed');
    expect(cli.stdout).not.toContain(HS_SECRET);
  });

  it('prints the trade-off table: lookup, a window per event, credential, CSRF, warnings (session)', async () => {
    const res = await runCli(['posture']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^mode\s+session$/m);
    expect(res.stdout).toMatch(/^per-request state lookup\s+yes/m);
    for (const event of ['logout', 'logout-all', 'disable', 'role change']) {
      expect(res.stdout).toMatch(new RegExp(`^${event} takes effect\\s+next request$`, 'm'));
    }
    expect(res.stdout).toMatch(/^browser credential\s+HttpOnly cookie __Host-tessera_sid/m);
    expect(res.stdout).toMatch(/^CSRF: SameSite\s+Lax$/m);
    expect(res.stdout).toMatch(/^CSRF: token\s+X-CSRF-Token/m);
    expect(res.stdout).toMatch(/^CSRF: Origin check\s+yes$/m);
    expect(res.stdout).toMatch(/^CSRF: Fetch Metadata\s+yes/m);
    expect(res.stdout).not.toMatch(/^warning:/m);
    expect(hasAnsi(res.stdout)).toBe(false);
  });

  it('jwt with a long TTL: windows of the access TTL, no lookup, and the warnings', async () => {
    const res = await runCli(['posture', '--mode', 'jwt', '--access-ttl', '1800']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^per-request state lookup\s+no/m);
    expect(res.stdout).toMatch(/^logout takes effect\s+up to 30 min/m);
    expect(res.stdout).toMatch(/^role change takes effect\s+up to 30 min/m);
    expect(res.stdout).toMatch(/^revocation window_ms\s+1800000$/m);
    expect(res.stdout).toMatch(/^browser credential\s+HttpOnly cookies __Host-tessera_at/m);
    expect(res.stdout).toMatch(/^warning: .*take up to 1800 s/m);
    expect(res.stdout).toMatch(/^warning: access tokens live 1800 s/m);
  });

  it('env vars configure it like serve, flags win, and an invalid value exits 2 naming the flag', async () => {
    const env = await runCli(['posture', '--json'], { env: { TESSERA_MODE: 'jwt-denylist', TESSERA_ACCESS_TTL: '120' } });
    expect(JSON.parse(env.stdout)).toMatchObject({ mode: 'jwt-denylist', access_ttl_s: 120, revocation: { per_request_lookup: true, window_ms: 0 } });
    const flag = await runCli(['posture', '--json', '--mode', 'jwt'], { env: { TESSERA_MODE: 'bogus' } });
    expect(JSON.parse(flag.stdout).mode).toBe('jwt');
    const bad = await runCli(['posture', '--mode', 'bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^tessera: --mode: must be one of/);
    const hs = await runCli(['posture', '--mode', 'jwt', '--alg', 'HS256']);
    expect(hs.code).toBe(2);
    expect(hs.stderr).toMatch(/TESSERA_JWT_SECRET/);
  });
});
