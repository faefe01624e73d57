import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Statistical tests use fixed keys and seeds, so they are deterministic; some are heavy.
    testTimeout: 60_000,
    pool: 'threads',
    // vitest's default leaves one core idle (cores − 1 workers); on the 2-core CI machine that halves
    // the speed of a CPU-bound suite, so use every core.
    poolOptions: { threads: { maxThreads: availableParallelism(), minThreads: 1 } },
  },
});
