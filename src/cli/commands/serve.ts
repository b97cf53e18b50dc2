import { describeStoreUrl } from '../../stores/open-store.js';
import { startServer } from '../../server/start.js';
import { parseCommand } from '../args.js';
import { SERVE_FLAGS, type Command } from '../command.js';
import { resolveServeOptions } from '../serve-options.js';

const HELP = `Usage: tessera serve [flags]

Starts the reference server and prints one line when it is ready:
  tessera listening on http://HOST:PORT (mode=…, store=…)
SIGTERM (or Ctrl-C) drains in-flight requests and exits 0.

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
  --metrics WHO          GET /metrics for: loopback | open | off        [TESSERA_METRICS] (loopback)
  HS256 secret: TESSERA_JWT_SECRET (env only, ≥ 32 bytes).

A flag that does not apply to the mode is accepted and ignored.
Exit codes: 0 stopped cleanly, 1 runtime failure, 2 invalid flag or env value.
`;

/** `tessera serve`: the reference server. Resolves only when the server has stopped. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'start the reference server',
  help: HELP,
  async run(argv) {
    const { values } = parseCommand('serve', argv, SERVE_FLAGS);
    const options = resolveServeOptions(values, process.env);
    const server = await startServer(options);
    const storeLabel = typeof options.store === 'string' ? describeStoreUrl(options.store) : options.store.kind;
    process.stdout.write(`tessera listening on ${server.url} (mode=${options.mode}, store=${storeLabel})\n`);
    return new Promise<number>((resolveExit) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        server.app.log.info({ signal }, 'draining in-flight requests');
        server.close().then(
          () => resolveExit(0),
          (err: unknown) => {
            server.app.log.error({ err }, 'error while shutting down');
            resolveExit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
  },
};
