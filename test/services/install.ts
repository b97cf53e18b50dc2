import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

/** Where Debian's postgresql package puts the server binaries (the newest major version). */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(`${root}/${v}/bin/initdb`)).sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? `${root}/${versions[0]}/bin` : null;
}

function has(binary: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Installs the real services the suite needs with apt-get when they are missing (CI runs as root
 * on a fresh machine). A failure here fails the run with a clear message: never a silent skip.
 */
export function ensureServicesInstalled(): void {
  const missing: string[] = [];
  if (!has('redis-server')) missing.push('redis-server');
  if (!postgresBinDir()) missing.push('postgresql');
  if (missing.length === 0) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env, timeout: 300_000 });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env, timeout: 600_000 });
  } catch (err) {
    throw new Error(
      `the test suite needs ${missing.join(' and ')} and could not install ${missing.length > 1 ? 'them' : 'it'} with apt-get ` +
        `(run as root, or install them by hand): ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (!has('redis-server') || !postgresBinDir()) {
    throw new Error(`apt-get finished but ${missing.join(' / ')} is still missing`);
  }
}
