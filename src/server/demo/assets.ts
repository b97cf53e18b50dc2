import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PAGE_CSP } from '../demo-page.js';
import { DEMO_CSS, DEMO_ICON } from './styles.js';

/** One static file of the demo page. */
export interface Asset {
  contentType: string;
  body: string;
}

/** The page's browser modules (`src/server/public/*.ts`, emitted by tsc next to this folder). */
const SCRIPT_NAMES = ['app.js', 'api.js', 'browser.js', 'dom.js', 'posture.js', 'devices.js', 'admin.js', 'stolen.js'] as const;
const PUBLIC_DIR = new URL('../public/', import.meta.url);

/**
 * Headers of the page and of every asset: the page CSP (no inline script or style, no framing),
 * no MIME sniffing, no referrer, and no caching (the page shows who is logged in).
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
});

async function loadScript(name: string): Promise<string> {
  const compiled = new URL(name, PUBLIC_DIR);
  if (existsSync(compiled)) {
    // The source map is not served; drop the comment so the browser does not ask for it.
    return (await readFile(compiled, 'utf8')).replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
  }
  // Running from the TypeScript sources (tests, `tsx`): transpile with the dev dependency instead.
  const source = await readFile(fileURLToPath(new URL(name.replace(/\.js$/, '.ts'), PUBLIC_DIR)), 'utf8');
  const ts = (await import('typescript')).default;
  return ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  }).outputText;
}

let loading: Promise<ReadonlyMap<string, Asset>> | undefined;

/**
 * The demo page's static files by name (`app.js`, `app.css`, …), read once per process.
 * @throws Error when a browser module is missing (run `npm run build`).
 */
export function loadAssets(): Promise<ReadonlyMap<string, Asset>> {
  loading ??= (async () => {
    const assets = new Map<string, Asset>();
    for (const name of SCRIPT_NAMES) {
      assets.set(name, { contentType: 'text/javascript; charset=utf-8', body: await loadScript(name) });
    }
    assets.set('app.css', { contentType: 'text/css; charset=utf-8', body: DEMO_CSS });
    assets.set('icon.svg', { contentType: 'image/svg+xml', body: DEMO_ICON });
    return assets;
  })();
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}
