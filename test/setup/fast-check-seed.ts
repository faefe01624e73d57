/**
 * Vitest setup file (runs before every test file): every fast-check property starts from a fixed
 * seed, so a test run is reproducible. FC_SEED=<integer> picks another seed (e.g. to explore new
 * cases); a failing property names the seed and the command that replays it.
 *
 * Each fc.assert starts from the same seed, so a property's cases do not depend on which other
 * properties ran before it: `FC_SEED=<seed> npx vitest run <file> -t '<test name>'` replays it alone.
 * A property that passes its own `seed` option keeps it (FC_SEED does not change it).
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { fastCheckSeed, replayingReporter } from '../helpers/fast-check-seed.js';

const seed = fastCheckSeed(process.env.FC_SEED);

fc.configureGlobal({
  seed,
  reporter: replayingReporter(seed, () => {
    const state = expect.getState();
    return {
      file: state.testPath?.replace(`${process.cwd()}/`, ''),
      // The test's own name (vitest's -t also matches it without the describe blocks).
      test: state.currentTestName?.split(' > ').pop(),
    };
  }),
});
