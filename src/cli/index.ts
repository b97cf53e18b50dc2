#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError } from '../core/errors.js';
import { describeStoreUrl } from '../stores/open-store.js';
import { startServer } from '../server/start.js';
import { resolveServeOptions, UsageError, type RawServeFlags } from './serve-options.js';
import { createTessera } from '../core/tessera.js';
import { createMemoryStore } from '../stores/memory/index.js';
import { formatPosture } from './format-posture.js';

const HELP = `tessera — authentication that tells the truth about its trade-offs

Usage:
  tessera serve   [flags]   start the reference server
  tessera posture [flags]   print what a configuration can and cannot revoke

Flags (env var in brackets; flags win):
  --mode MODE            session | jwt | jwt-denylist | jwt-push        [TESSERA_MODE]     (session)
  --store URL            memory: | sqlite:PATH | redis://… | postgres://… [TESSERA_STORE] (sqlite:./tessera.db)
  --port N, --host H                                                    [TESSERA_PORT, TESSERA_HOST] (3000, 127.0.0.1)
  --origin LIST          allowed browser origins, comma-separated       [TESSERA_ORIGIN]
  --access-ttl SECONDS   jwt modes: access-token lifetime               [TESSERA_ACCESS_TTL] (600)
  --alg ALG              jwt modes: EdDSA | ES256 | RS256 | HS256        [TESSERA_ALG] (EdDSA)
  --signup open|closed                                                  [TESSERA_SIGNUP] (open)
  --admin-email E --admin-password P   create or update an admin at start [TESSERA_ADMIN_EMAIL, TESSERA_ADMIN_PASSWORD]
  --demo                 enable the demo page's demo-only endpoints     [TESSERA_DEMO]
  --log-level LEVEL      pino level                                     [TESSERA_LOG_LEVEL] (info)
  HS256 secret: TESSERA_JWT_SECRET (env only, ≥ 32 bytes).

Exit codes: 0 ok, 1 runtime failure, 2 invalid usage.
`;

const FLAG_SPEC = {
  mode: { type: 'string' },
  store: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  origin: { type: 'string' },
  'access-ttl': { type: 'string' },
  'admin-email': { type: 'string' },
  'admin-password': { type: 'string' },
  signup: { type: 'string' },
  alg: { type: 'string' },
  demo: { type: 'boolean' },
  'log-level': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function fail(message: string, code: number): never {
  process.stderr.write(`tessera: ${message}\n`);
  process.exit(code);
}

async function serve(flags: RawServeFlags): Promise<void> {
  const options = resolveServeOptions(flags, process.env);
  const server = await startServer(options);
  const storeLabel = typeof options.store === 'string' ? describeStoreUrl(options.store) : options.store.kind;
  process.stdout.write(`tessera listening on ${server.url} (mode=${options.mode}, store=${storeLabel})\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'draining in-flight requests');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        server.app.log.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function posture(flags: RawServeFlags, asJson: boolean): Promise<void> {
  const options = resolveServeOptions(flags, process.env);
  const store = createMemoryStore();
  const tessera = createTessera({
    mode: options.mode,
    store,
    jwt: {
      ...(options.accessTtlSeconds !== undefined ? { accessTtlSeconds: options.accessTtlSeconds } : {}),
      ...(options.algorithm !== undefined ? { algorithm: options.algorithm } : {}),
      ...(options.jwtSecret !== undefined ? { secrets: [options.jwtSecret] } : {}),
    },
    demo: options.demo ?? false,
  });
  const report = { ...tessera.posture(), store: typeof options.store === 'string' ? describeStoreUrl(options.store).split(':', 1)[0]! : options.store.kind };
  process.stdout.write(asJson ? `${JSON.stringify(report, null, 2)}\n` : formatPosture(report));
  await store.close();
}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: FLAG_SPEC, allowPositionals: true, strict: true });
  } catch (err) {
    fail(`${err instanceof Error ? err.message : String(err)} (see tessera --help)`, 2);
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const { json, help: _help, ...flags } = values;
  try {
    if (command === 'serve') await serve(flags);
    else if (command === 'posture') await posture(flags, json ?? false);
    else fail(`unknown command "${command}" (see tessera --help)`, 2);
  } catch (err) {
    if (err instanceof UsageError) fail(err.message, 2);
    if (err instanceof ConfigError) fail(err.message, 2);
    fail(err instanceof Error ? err.message : String(err), 1);
  }
}

await main(process.argv.slice(2));
