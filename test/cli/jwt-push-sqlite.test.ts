/**
 * jwt-push on a SQLite file, across processes: a revocation made by the operator CLI (its own
 * process, its own connection) reaches a running `tessera serve` through the file's feed log, so
 * an access token already issued is refused within the poll interval, not at `exp`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { spawnServer, type ServerProcess } from '../helpers/process-server.js';
import { assertBuilt, runCli, type CliResult } from './support.js';

const PASSWORD = 'push password 1';
/** How long the running server may take to hear of the revocation (it polls every 50 ms). */
// The poll interval is 50 ms; the bound leaves room for a busy CI machine.
const PROPAGATION = { timeout: 5000, interval: 20 };

let dir: string;
let store: string;
let server: ServerProcess | undefined;

async function expectOk(res: Promise<CliResult>): Promise<CliResult> {
  const r = await res;
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

function post(url: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
}

/** Signs up and logs in with the bearer transport; returns the access token. */
async function bearerToken(url: string, email: string): Promise<string> {
  expect((await post(url, '/auth/signup', { email, password: PASSWORD })).status).toBe(201);
  const login = await post(url, '/auth/login', { email, password: PASSWORD, transport: 'bearer' });
  expect(login.status).toBe(200);
  return ((await login.json()) as { access_token: string }).access_token;
}

async function me(url: string, access: string): Promise<number> {
  return (await fetch(`${url}/auth/me`, { headers: { authorization: `Bearer ${access}` }, signal: AbortSignal.timeout(15_000) })).status;
}

describe('jwt-push on a SQLite file: revocations from another process', () => {
  beforeAll(() => {
    assertBuilt();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-push-'));
    store = `sqlite:${join(dir, 'push.db')}`;
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('users disable in the CLI: the running server refuses the access token within the poll interval', async () => {
    server = await spawnServer(['--mode', 'jwt-push', '--store', store]);
    const { url } = server;
    const access = await bearerToken(url, 'push@x.io');
    const other = await bearerToken(url, 'bystander@x.io');
    expect(await me(url, access)).toBe(200);

    const disabled = await expectOk(runCli(['users', 'disable', 'push@x.io', '--mode', 'jwt-push', '--store', store]));
    expect(disabled.stdout).toMatch(/takes effect: within the feed poll interval/);
    expect(disabled.stdout).not.toMatch(/in-process/);

    await vi.waitFor(async () => expect(await me(url, access)).toBe(401), PROPAGATION);
    expect(await me(url, other)).toBe(200);
  });

  it('sessions revoke --all in the CLI: the running server refuses the access token within the poll interval', async () => {
    server = await spawnServer(['--mode', 'jwt-push', '--store', store]);
    const { url } = server;
    const access = await bearerToken(url, 'revoke@x.io');
    expect(await me(url, access)).toBe(200);

    const revoked = await expectOk(runCli(['sessions', 'revoke', '--user', 'revoke@x.io', '--all', '--mode', 'jwt-push', '--store', store]));
    expect(revoked.stdout).toMatch(/revoked all 1 session of revoke@x\.io/);

    await vi.waitFor(async () => expect(await me(url, access)).toBe(401), PROPAGATION);
  });
});
