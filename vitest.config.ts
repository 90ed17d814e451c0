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
    projects: [
      { test: { name: 'unit', include: ['**/*.unit.test.ts'], exclude: ['node_modules/**', '.data/**'] } },
      stackTier('int', 30_000),
      stackTier('e2e', 60_000),
    ],
  },
});
