import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where Debian's chromium package puts the browser. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

function findChromium(): string | null {
  return CANDIDATES.find((path) => existsSync(path)) ?? null;
}

/**
 * The path of a system Chromium, installed with apt-get when missing (CI runs as root on a fresh
 * Debian machine). Never downloads a browser build: only the distribution's package.
 * @throws Error with a clear message when it is missing and cannot be installed.
 */
export function ensureChromium(): string {
  const found = findChromium();
  if (found) return found;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env, timeout: 300_000 });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env, timeout: 900_000 });
  } catch (err) {
    throw new Error(
      'the browser tests need chromium and could not install it with apt-get (run as root, or `apt-get install chromium`): ' +
        (err instanceof Error ? err.message : String(err)),
    );
  }
  const installed = findChromium();
  if (!installed) throw new Error('apt-get finished but chromium is still missing');
  return installed;
}
