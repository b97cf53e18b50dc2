import { defineConfig } from 'vitest/config';

const shared = {
  testTimeout: 30_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
};

/** The HTTP suites of the session and JWT postures, run again unchanged on each real shared store. */
const HTTP_SUITES = ['test/http/session-*.test.ts', 'test/http/jwt-*.test.ts'];

/**
 * The load suite (`npm run test:load`) is minutes of CPU: it is a project only when asked for by name
 * (`--project load`), so a plain `vitest run` (`npm test`) never starts it.
 */
const LOAD_REQUESTED = process.argv.some((arg, i, all) => arg === '--project=load' || (arg === '--project' && all[i + 1] === 'load'));

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'main',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/.git/**', 'test/load/**'],
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
      ...(LOAD_REQUESTED
        ? [
            {
              test: {
                ...shared,
                name: 'load',
                include: ['test/load/**/*.test.ts'],
                globalSetup: ['test/global-setup.ts'],
                testTimeout: 180_000,
                // One file at a time: each one measures throughput and must not share the two cores.
                fileParallelism: false,
              },
            },
          ]
        : []),
    ],
  },
});
