import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['control-plane/src/**/*.test.ts', 'render-node/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores in CI: more workers only fight over them (each PGlite boot is CPU-bound).
    maxWorkers: 2,
    setupFiles: ['test/support/setup.ts'],
  },
});
