/**
 * The package as users get it: `npm pack` (which builds), installed into an empty project, and the
 * Express example started from it, with one signup + login + protected request made through it.
 * Nothing outside `dist/` may be needed. Bounded: every step has a timeout; the temp dir is removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../helpers/client.js';
import { freePort } from '../helpers/ports.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PASSWORD = 'correct horse battery';

/** Runs a command to completion; rejects on a non-zero exit or after `timeoutMs`. */
function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, npm_config_update_notifier: 'false' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} timed out after ${timeoutMs} ms\n${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}\n${stdout.slice(-2000)}\n${stderr.slice(-4000)}`));
    });
  });
}

/** Starts `node server.mjs` and resolves once it prints its listening line. */
function startExample(cwd: string, env: Record<string, string>, timeoutMs: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['server.mjs'], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the example did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('listening on')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the example exited with ${code}:\n${output}`));
    });
  });
}

describe('npm pack', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('installs into an empty project, and the Express example runs from it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-pack-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));

    // `npm pack` runs `prepare`, i.e. the build.
    const packed = JSON.parse(await run('npm', ['pack', '--json', '--pack-destination', dir], ROOT, 120_000)) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    const files = packed[0]!.files.map((f) => f.path);
    expect(files.filter((f) => !f.startsWith('dist/') && !f.startsWith('docs/'))).toEqual(expect.arrayContaining(['package.json', 'README.md']));
    expect(files.filter((f) => /^(src|test|examples)\//.test(f))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>> };
    for (const [entry, target] of Object.entries(manifest.exports)) {
      for (const path of typeof target === 'string' ? [target] : Object.values(target)) {
        expect(files, `${entry} → ${path}`).toContain(path.replace(/^\.\//, ''));
      }
    }

    const project = join(dir, 'project');
    await run('mkdir', ['-p', project], dir, 5_000);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'tessera-pack-check', private: true, type: 'module' }));
    // Express is an optional peer dependency: the app brings its own.
    await run('npm', ['install', join(dir, packed[0]!.filename), 'express@^5', '--no-audit', '--no-fund', '--prefer-offline'], project, 200_000);

    // The browser client in the package imports nothing but its siblings (no Node modules).
    const clientDir = join(project, 'node_modules/tessera/dist/client');
    for (const file of readdirSync(clientDir).filter((f) => f.endsWith('.js'))) {
      const code = readFileSync(join(clientDir, file), 'utf8');
      for (const [, specifier] of code.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        expect(specifier, `dist/client/${file}`).toMatch(/^\.\/[a-z-]+\.js$/);
      }
    }

    copyFileSync(join(ROOT, 'examples/express/server.mjs'), join(project, 'server.mjs'));
    const port = await freePort();
    const server = await startExample(project, { PORT: String(port), TESSERA_DB: join(project, 'example.db') }, 30_000);
    cleanups.push(() => server.kill('SIGKILL'));

    const browser = createClient(`http://127.0.0.1:${port}`, { origin: `http://localhost:${port}` });
    expect((await browser.get('/me')).status).toBe(401);
    expect((await browser.post('/auth/signup', { json: { email: 'pack@example.com', password: PASSWORD } })).status).toBe(201);
    expect((await browser.post('/auth/login', { json: { email: 'pack@example.com', password: PASSWORD } })).status).toBe(200);
    expect((await browser.get('/me')).body).toEqual({ email: 'pack@example.com', roles: [] });
    const note = await browser.post('/notes', { json: { text: 'from the tarball' } });
    expect([note.status, note.body.text]).toEqual([201, 'from the tarball']);
    expect(existsSync(join(project, 'example.db'))).toBe(true);
  }, 360_000);
});
