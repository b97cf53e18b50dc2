// Where the compiled library is loaded from: dist/ (built by `npm run build`), or BENCH_DIST for an
// A/B comparison of two builds (every process of the run, servers included, reads the same one).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const distUrl = process.env.BENCH_DIST ? pathToFileURL(`${resolve(process.env.BENCH_DIST)}/`) : new URL('../../dist/', import.meta.url);

/** Imports a module of the compiled library, e.g. `load('core/config.js')`. */
export const load = (path) => import(new URL(path, distUrl).href);
