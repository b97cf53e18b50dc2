// The better-auth instance of the benchmark: its recommended Node set-up with the built-in SQLite
// support (a better-sqlite3 Database handed to `database`, Kysely underneath), email and password
// sign-in, every session option at its default (no cookie cache). Shared by the seeding code and the
// server under test so both agree on the secret and the schema.

/** @returns the `betterAuth(...)` instance. */
export function createBetterAuth(betterAuth, db, secret) {
  return betterAuth({
    database: db,
    secret,
    baseURL: 'http://127.0.0.1',
    emailAndPassword: { enabled: true },
    telemetry: { enabled: false },
    logger: { level: 'error' },
  });
}
