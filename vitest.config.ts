import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fixed fast-check seed for every property (FC_SEED overrides it): see docs/testing.md.
    setupFiles: ['test/setup/fast-check-seed.ts'],
    // The plain WebAssembly build everywhere, so that results do not depend on whether this Node has
    // relaxed SIMD (Node ≥ 22 does, Node 20 does not); test/wasm-fma.test.ts and the browser test run the
    // relaxed build in child processes and in Chromium.
    env: { SIEVE_FMA: '0' },
    // Statistical tests use fixed keys and seeds, so they are deterministic; some are heavy (the slow
    // SNR tests take 40-110 s of one core). The time-outs only guard against a hang, they say nothing
    // about speed: generous, because the browser and packed-install tests start Chromium and npm on
    // the same two cores and can double a heavy test's wall time.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'threads',
    // vitest's default leaves one core idle (cores − 1 workers); on the 2-core CI machine that halves
    // the speed of a CPU-bound suite, so use every core.
    poolOptions: { threads: { maxThreads: availableParallelism(), minThreads: 1 } },
  },
});
