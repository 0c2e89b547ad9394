import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fails the run when a test leaves a temporary directory behind.
    globalSetup: ['test/support/tmp-guard.ts'],
    // Safety bounds only: no outcome waits on them. Contract tests run the bundles with the shipped
    // suite's real timing (~10 s) plus dozens of fake-tool processes, which a loaded machine stretches.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Contract tests spawn the bundle; keep the 2-core machine from thrashing.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
