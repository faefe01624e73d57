import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Statistical tests use fixed keys and seeds, so they are deterministic; some are heavy.
    testTimeout: 60_000,
    pool: 'threads',
  },
});
