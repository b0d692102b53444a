import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores in CI: more workers only fight over them (each PGlite boot is CPU-bound).
    maxWorkers: 2,
    setupFiles: ['test/support/setup.ts'],
    // The tiers are described in docs/testing.md.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['control-plane/src/**/*.test.ts', 'render-node/src/**/*.test.ts'],
          // Pure tests: one module graph per worker instead of one per file.
          isolate: false,
        },
      },
      {
        extends: true,
        test: { name: 'tests', include: ['test/**/*.test.ts'] },
      },
    ],
  },
});
