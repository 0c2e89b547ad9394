import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fails the run when a test leaves a temporary directory behind.
    globalSetup: ['test/support/tmp-guard.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Contract tests spawn the bundle; keep the 2-core machine from thrashing.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
