import { defineConfig } from 'vitest/config';

const shared = {
  testTimeout: 30_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
};

/** The HTTP suites of the session and JWT postures, run again unchanged on each real shared store. */
const HTTP_SUITES = ['test/http/session-*.test.ts', 'test/http/jwt-*.test.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'main',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
        },
      },
      {
        test: {
          ...shared,
          name: 'http-redis',
          include: HTTP_SUITES,
          env: { TESSERA_TEST_STORE: 'redis' },
          globalSetup: ['test/services/redis-setup.ts'],
        },
      },
      {
        test: {
          ...shared,
          name: 'http-postgres',
          include: HTTP_SUITES,
          env: { TESSERA_TEST_STORE: 'postgres' },
          globalSetup: ['test/services/postgres-setup.ts'],
        },
      },
    ],
  },
});
