import { defineConfig } from 'vitest/config';

const stackTier = (name: 'int' | 'e2e', testTimeout: number) => ({
  test: {
    name,
    // End-to-end tests inject faults into the one shared stack (Pub/Sub refusing, SMTP hanging): one file at a time.
    fileParallelism: name === 'int',
    include: [`**/*.${name}.test.ts`],
    exclude: ['node_modules/**', '.data/**'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/stack-env.ts'],
    testTimeout,
    hookTimeout: 60_000,
  },
});

export default defineConfig({
  test: {
    // Unit and integration files side by side: the recorded deploy is CPU-bound gcloud runs while other files mostly
    // wait on I/O. (Vitest's default on a 2-core machine is one file at a time.)
    maxWorkers: 3,
    projects: [
      { test: { name: 'unit', include: ['**/*.unit.test.ts'], exclude: ['node_modules/**', '.data/**'] } },
      stackTier('int', 30_000),
      stackTier('e2e', 60_000),
    ],
  },
});
