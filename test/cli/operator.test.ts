/**
 * The operator commands as subprocesses on a temp SQLite store, checked against a reference
 * server spawned on the same file: users, sessions (revocations follow --mode), keys.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawnServer, type ServerProcess } from '../helpers/process-server.js';
import { assertBuilt, hasAnsi, runCli, type CliResult } from './support.js';

const PASSWORD = 'operator password 1';

let dir: string;
let store: string;
let servers: ServerProcess[] = [];

function cli(args: string[], options: { env?: Record<string, string>; input?: string; mode?: string } = {}): Promise<CliResult> {
  const mode = options.mode === undefined ? [] : ['--mode', options.mode];
  return runCli([...args, '--store', store, ...mode], options);
}

async function expectOk(res: Promise<CliResult>): Promise<CliResult> {
  const r = await res;
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

async function serve(mode: string): Promise<string> {
  const server = await spawnServer(['--mode', mode, '--store', store]);
  servers.push(server);
  return server.url;
}

async function bearerLogin(url: string, email: string, password = PASSWORD): Promise<Response> {
  return fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, transport: 'bearer' }),
    signal: AbortSignal.timeout(15_000),
  });
}

async function token(url: string, email: string): Promise<string> {
  const res = await bearerLogin(url, email);
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function me(url: string, access: string): Promise<number> {
  return (await fetch(`${url}/auth/me`, { headers: { authorization: `Bearer ${access}` }, signal: AbortSignal.timeout(15_000) })).status;
}

async function listUsers(): Promise<Array<{ email: string; roles: string[]; disabled: boolean; id: string }>> {
  return (JSON.parse((await expectOk(cli(['users', 'list', '--json']))).stdout) as { users: Array<{ email: string; roles: string[]; disabled: boolean; id: string }> }).users;
}

describe('operator commands on a SQLite store', () => {
  beforeAll(() => {
    assertBuilt();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-operator-'));
    store = `sqlite:${join(dir, 'op.db')}`;
  });
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    servers = [];
    rmSync(dir, { recursive: true, force: true });
  });

  it('users add / list / roles / disable / enable, seen by a server on the same file', async () => {
    const add = await expectOk(cli(['users', 'add', 'Alice@X.io', '--password-env', 'NEW_PW', '--role', 'admin', '--role', 'ops,audit'], { env: { NEW_PW: PASSWORD } }));
    expect(add.stdout).toMatch(/^created alice@x\.io \(id [\w-]+\) roles: admin,audit,ops$/m);
    // From stdin (not a TTY), one trailing newline dropped.
    await expectOk(cli(['users', 'add', 'bob@x.io'], { input: `${PASSWORD}\n` }));
    expect(add.stdout + add.stderr).not.toContain(PASSWORD);

    const text = await expectOk(cli(['users', 'list']));
    expect(text.stdout).toMatch(/^EMAIL\s+ID\s+ROLES\s+STATE\s+CREATED$/m);
    expect(text.stdout).toMatch(/^alice@x\.io\s+\S+\s+admin,audit,ops\s+active\s+\d{4}-/m);
    expect(text.stdout).toMatch(/^bob@x\.io\s+\S+\s+—\s+active/m);
    expect(hasAnsi(text.stdout)).toBe(false);
    expect(text.stdout).not.toMatch(/argon2/);

    const roles = await expectOk(cli(['users', 'roles', 'bob@x.io', 'editor,viewer']));
    expect(roles.stdout).toMatch(/bob@x\.io roles: editor,viewer/);
    expect(roles.stdout).toMatch(/takes effect: on the next request/);
    expect((await listUsers()).find((u) => u.email === 'bob@x.io')).toMatchObject({ roles: ['editor', 'viewer'], disabled: false });

    const url = await serve('session');
    const bobToken = await token(url, 'bob@x.io');
    expect(await me(url, bobToken)).toBe(200);
    await expectOk(cli(['users', 'disable', 'bob@x.io']));
    // Session posture: the disable revoked bob's session for the running server at once.
    expect(await me(url, bobToken)).toBe(401);
    expect((await bearerLogin(url, 'bob@x.io')).status).toBe(403);
    expect((await listUsers()).find((u) => u.email === 'bob@x.io')?.disabled).toBe(true);
    await expectOk(cli(['users', 'enable', 'bob@x.io']));
    expect((await bearerLogin(url, 'bob@x.io')).status).toBe(200);
    // Alice, created by the CLI, logs in with the password from the env var and holds her roles.
    const alice = await bearerLogin(url, 'alice@x.io');
    expect(alice.status).toBe(200);
    expect(((await alice.json()) as { user: { roles: string[] } }).user.roles).toEqual(['admin', 'audit', 'ops']);
  });

  it('users: never a password on the command line; clear errors and exit codes', async () => {
    const onLine = await cli(['users', 'add', 'carol@x.io', '--password', PASSWORD]);
    expect(onLine.code).toBe(2);
    expect(onLine.stderr).toMatch(/--password-env/);
    expect(onLine.stdout + onLine.stderr).not.toContain(PASSWORD);
    expect(await listUsers()).toEqual([]);

    const unset = await cli(['users', 'add', 'carol@x.io', '--password-env', 'TESSERA_UNSET_PW']);
    expect(unset.code).toBe(2);
    const empty = await cli(['users', 'add', 'carol@x.io'], { input: '' });
    expect(empty.code).toBe(2);
    const short = await cli(['users', 'add', 'carol@x.io'], { input: 'short' });
    expect(short.code).toBe(2);

    await expectOk(cli(['users', 'add', 'carol@x.io'], { input: PASSWORD }));
    const dup = await cli(['users', 'add', 'CAROL@x.io'], { input: PASSWORD });
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/conflict/);
    const missing = await cli(['users', 'disable', 'nobody@x.io']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no user with email nobody@x\.io/);
    const badRole = await cli(['users', 'roles', 'carol@x.io', 'Bad Role']);
    expect(badRole.code).toBe(2);
    const memory = await runCli(['users', 'list', '--store', 'memory:']);
    expect(memory.code).toBe(2);
    expect(memory.stderr).toMatch(/--store/);
  });

  it('sessions list / revoke in the session posture take effect on the next request', async () => {
    await expectOk(cli(['users', 'add', 'dana@x.io'], { input: PASSWORD }));
    const url = await serve('session');
    const phone = await token(url, 'dana@x.io');
    const laptop = await token(url, 'dana@x.io');

    const listed = JSON.parse((await expectOk(cli(['sessions', 'list', '--user', 'dana@x.io', '--json']))).stdout) as { sessions: Array<{ id: string }> };
    expect(listed.sessions).toHaveLength(2);
    const table = await expectOk(cli(['sessions', 'list', '--user', 'dana@x.io']));
    expect(table.stdout).toMatch(/^ID\s+CREATED\s+LAST SEEN\s+EXPIRES\s+IP\s+USER AGENT$/m);
    expect(table.stdout).not.toContain(phone);

    // Which listed id is the phone's? The server says so.
    const meRes = await fetch(`${url}/auth/me`, { headers: { authorization: `Bearer ${phone}` } });
    const phoneId = ((await meRes.json()) as { session: { id: string } }).session.id;
    const one = await expectOk(cli(['sessions', 'revoke', '--user', 'dana@x.io', '--id', phoneId]));
    expect(one.stdout).toMatch(/takes effect: on the next request/);
    expect(await me(url, phone)).toBe(401);
    expect(await me(url, laptop)).toBe(200);
    const again = await cli(['sessions', 'revoke', '--user', 'dana@x.io', '--id', phoneId]);
    expect(again.code).toBe(1);

    await expectOk(cli(['sessions', 'revoke', '--user', 'dana@x.io', '--all']));
    expect(await me(url, laptop)).toBe(401);
    expect(JSON.parse((await expectOk(cli(['sessions', 'list', '--user', 'dana@x.io', '--json']))).stdout).sessions).toEqual([]);

    const both = await cli(['sessions', 'revoke', '--user', 'dana@x.io', '--id', 'x', '--all']);
    expect(both.code).toBe(2);
    const noUser = await cli(['sessions', 'list']);
    expect(noUser.code).toBe(2);
  });

  it('sessions in the jwt postures are refresh families; revocation follows --mode', async () => {
    await expectOk(cli(['users', 'add', 'erin@x.io'], { input: PASSWORD }));
    const url = await serve('jwt-denylist');
    const res = await bearerLogin(url, 'erin@x.io');
    const { access_token: access, refresh_token: refresh } = (await res.json()) as { access_token: string; refresh_token: string };
    const listed = JSON.parse((await expectOk(cli(['sessions', 'list', '--user', 'erin@x.io', '--json'], { mode: 'jwt-denylist' }))).stdout) as { mode: string; sessions: unknown[] };
    expect(listed).toMatchObject({ mode: 'jwt-denylist' });
    expect(listed.sessions).toHaveLength(1);
    expect(await me(url, access)).toBe(200);
    const revoked = await expectOk(cli(['sessions', 'revoke', '--user', 'erin@x.io', '--all'], { mode: 'jwt-denylist' }));
    expect(revoked.stdout).toMatch(/revoked all 1 session of erin@x\.io/);
    // Denylist posture: the running server refuses the access token on the next request.
    expect(await me(url, access)).toBe(401);
    const refreshed = await fetch(`${url}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: refresh }) });
    expect(refreshed.status).toBe(401);

    // The plain jwt posture says honestly that issued access tokens live on.
    const jwt = await expectOk(cli(['users', 'disable', 'erin@x.io'], { mode: 'jwt' }));
    expect(jwt.stdout).toMatch(/takes effect: access tokens already issued keep working up to 10 min/);
  });

  it('keys list / rotate in the jwt posture: public metadata only, the old key retires', async () => {
    const url = await serve('jwt');
    const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys).toHaveLength(1);

    const listed = await expectOk(cli(['keys', 'list', '--json'], { mode: 'jwt' }));
    const keys = (JSON.parse(listed.stdout) as { keys: Array<Record<string, unknown>> }).keys;
    expect(keys).toEqual([{ kid: jwks.keys[0]!.kid, alg: 'EdDSA', state: 'active', created_at: expect.stringMatching(/^\d{4}-/), retire_at: null }]);
    expect(listed.stdout).not.toMatch(/"d"|privateJwk|publicJwk/);

    const rotated = await expectOk(cli(['keys', 'rotate', '--access-ttl', '600'], { mode: 'jwt' }));
    const newKid = /^new active EdDSA key: (\S+)$/m.exec(rotated.stdout)?.[1];
    expect(newKid).toBeDefined();
    expect(rotated.stdout).toMatch(new RegExp(`^retiring: ${jwks.keys[0]!.kid} \\(verifies until \\d{4}-`, 'm'));
    expect(rotated.stderr).toBe('');

    const after = (JSON.parse((await expectOk(cli(['keys', 'list', '--json']))).stdout) as { keys: Array<{ kid: string; state: string; retire_at: string | null }> }).keys;
    expect(after).toHaveLength(2);
    const old = after.find((k) => k.kid === jwks.keys[0]!.kid)!;
    expect(old.state).toBe('retiring');
    // Retired after the access TTL (600 s) plus the 30 s key-ring reload interval.
    const retireInS = (Date.parse(old.retire_at!) - Date.now()) / 1000;
    expect(retireInS).toBeGreaterThan(600);
    expect(retireInS).toBeLessThanOrEqual(631);
    expect(after.find((k) => k.kid === newKid)?.state).toBe('active');

    const table = await expectOk(cli(['keys', 'list']));
    expect(table.stdout).toMatch(/^KID\s+ALG\s+STATE\s+CREATED\s+RETIRE AT$/m);
    expect(table.stdout).toMatch(new RegExp(`^${newKid}\\s+EdDSA\\s+active`, 'm'));

    const hs = await cli(['keys', 'rotate', '--alg', 'HS256'], { env: { TESSERA_JWT_SECRET: 'x'.repeat(40) } });
    expect(hs.code).toBe(2);
    expect(hs.stderr).toMatch(/TESSERA_JWT_SECRET/);
    expect(hs.stderr).not.toContain('x'.repeat(40));
  });
});
