import { resolveConfig } from '../../core/config.js';
import { describePosture, type PostureReport } from '../../core/posture.js';
import { createMemoryStore } from '../../stores/memory/index.js';
import { parseCommand } from '../args.js';
import { SERVE_FLAGS, type Command } from '../command.js';
import { formatPosture } from '../format-posture.js';
import { styleFor } from '../output.js';
import { resolveServeOptions } from '../serve-options.js';

const HELP = `Usage: tessera posture [serve flags] [--json]

Prints what a configuration can and cannot revoke, without starting anything: per-request state
lookup, how fast logout / logout-all / disable / role changes take effect, where the credential
lives, the CSRF defences, and the warnings. The same facts a running server serves at
GET /auth/posture (run it with the flags you give tessera serve).

Flags:
  --mode MODE            session | jwt | jwt-denylist | jwt-push        [TESSERA_MODE] (session)
  --access-ttl SECONDS   jwt modes: access-token lifetime               [TESSERA_ACCESS_TTL] (600)
  --alg ALG              jwt modes: EdDSA | ES256 | RS256 | HS256        [TESSERA_ALG] (EdDSA)
  --store URL            only named in the report, never opened         [TESSERA_STORE]
  --demo                 include the demo-endpoints warning             [TESSERA_DEMO]
  --json                 the JSON of GET /auth/posture
  Every other serve flag is accepted and ignored.

jwt-push: the window is the feed's propagation delay, which only a running instance can measure;
this command reports a freshly started instance whose feed is up.

Exit codes: 0 ok, 2 invalid flag or env value.
`;

const STORE_KIND: Record<string, string> = { rediss: 'redis', postgresql: 'postgres' };

/** The posture report of a configuration given as serve flags. */
export function postureFor(values: Parameters<typeof resolveServeOptions>[0]): PostureReport {
  const options = resolveServeOptions(values, process.env);
  const store = createMemoryStore();
  try {
    const config = resolveConfig({
      mode: options.mode,
      store,
      demo: options.demo ?? false,
      jwt: {
        ...(options.accessTtlSeconds !== undefined ? { accessTtlSeconds: options.accessTtlSeconds } : {}),
        ...(options.algorithm !== undefined ? { algorithm: options.algorithm } : {}),
        ...(options.jwtSecret !== undefined ? { secrets: [options.jwtSecret] } : {}),
      },
    });
    // jwt-push: describe a fresh instance whose feed is up (what a server reports right after start).
    const fresh = { p50Ms: null, p99Ms: null, stale: false, samples: 0, entries: 0, status: 'up' as const };
    const { feed: _feed, ...report } = describePosture(config, config.mode === 'jwt-push' ? fresh : undefined);
    const scheme = typeof options.store === 'string' ? (options.store.split(':', 1)[0] ?? '') : options.store.kind;
    return { ...report, store: STORE_KIND[scheme] ?? scheme };
  } finally {
    void store.close();
  }
}

/** `tessera posture`. */
export const postureCommand: Command = {
  name: 'posture',
  summary: 'print what a configuration can and cannot revoke',
  help: HELP,
  async run(argv) {
    const { values } = parseCommand('posture', argv, { ...SERVE_FLAGS, json: { type: 'boolean' } });
    const { json, ...flags } = values;
    const report = postureFor(flags);
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatPosture(report, styleFor(process.stdout)));
    return 0;
  },
};
