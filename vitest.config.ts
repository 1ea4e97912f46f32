import { defineConfig } from 'vitest/config';

/**
 * Three kinds of tests, picked by place:
 * - unit: `src/**\/*.test.ts` beside the code, the deployment file checks and the architecture
 *   checks (`test/architecture`) and the model-based properties of the domains (`test/properties`);
 *   no I/O beyond files.
 * - integration: `apps/*\/test`, `packages/*\/test`, `test/integration`: real NATS JetStream and
 *   PostgreSQL started once by `test/setup/infrastructure.ts` on free ports.
 * - e2e: `test/e2e`: the whole platform as processes (services, SMTP sink), one file at a time.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['apps/*/src/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'deploy/test/**/*.test.ts', 'test/architecture/**/*.test.ts', 'test/properties/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['apps/*/test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/infrastructure.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
