import { defineConfig } from 'vitest/config';

/**
 * Three projects: pure unit tests once, and every integration test twice — on SQLite and on
 * PostgreSQL (TEST_DIALECT, read by test/helpers/db.ts; each test app gets a fresh database on
 * the local server). End-to-end and fault tests drive real processes on the embedded defaults.
 */
const DATABASE_FREE = [
  'test/integration/artifact-stream-memory.test.ts',
  'test/integration/artifact-store.contract.test.ts',
  'test/integration/cli-drift.test.ts',
  'test/integration/cli-drift-input.test.ts',
  'test/integration/queue.contract.test.ts',
  'test/integration/queue-faults.test.ts',
  'test/integration/sample-body-parsers.test.ts',
];

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
    // In CI also write a JSON summary; .ci/run prints the plain "N passed, N failed" line from it.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.tmp/vitest-results.json' },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/faults/**/*.test.ts'],
          env: { TEST_DIALECT: 'sqlite' },
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ['test/integration/**/*.test.ts', 'test/postgres/**/*.test.ts'],
          // These never open a database: once (in the sqlite project) is enough.
          exclude: DATABASE_FREE,
          env: { TEST_DIALECT: 'postgres' },
        },
      },
    ],
  },
});
