/** One `tessera <name>` command. */
export interface Command {
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** The full text of `tessera <name> --help`. */
  help: string;
  /** Runs the command; resolves with the exit code. Throws `UsageError` for exit code 2. */
  run(argv: string[]): Promise<number>;
}

/** The serve flags, shared by `serve` and `posture` (node:util parseArgs options). */
export const SERVE_FLAGS = {
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
  metrics: { type: 'string' },
} as const;

/** The flags that select a configured store and posture (operator commands). */
export const STORE_FLAGS = {
  mode: { type: 'string' },
  store: { type: 'string' },
  'access-ttl': { type: 'string' },
  alg: { type: 'string' },
} as const;

/** Help text of the store flags, for the operator commands. */
export const STORE_FLAGS_HELP = `Store flags (same as tessera serve; env var in brackets, flags win):
  --store URL           memory: | sqlite:PATH | redis://… | postgres://…  [TESSERA_STORE] (sqlite:./tessera.db)
  --mode MODE           the posture the servers run: session | jwt | jwt-denylist | jwt-push
                        [TESSERA_MODE] (session); revocations follow it
  --access-ttl SECONDS  jwt modes: access-token lifetime of the servers   [TESSERA_ACCESS_TTL] (600)
  --alg ALG             jwt modes: EdDSA | ES256 | RS256 | HS256          [TESSERA_ALG] (EdDSA)
  HS256 secret: TESSERA_JWT_SECRET (env only).`;
