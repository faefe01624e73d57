/**
 * The fast-check seed policy, used by the vitest setup file test/setup/fast-check-seed.ts: a fixed
 * default seed, FC_SEED to override it, and a failure message that says how to replay the run.
 */
import fc from 'fast-check';

/** The seed used when FC_SEED is not set. */
export const DEFAULT_FC_SEED = 20_240_611;

/** The seed to use, from the value of FC_SEED (undefined or empty: the default). */
export function fastCheckSeed(env: string | undefined): number {
  if (env === undefined || env.trim() === '') return DEFAULT_FC_SEED;
  const seed = Number(env);
  if (!Number.isSafeInteger(seed) || seed < -(2 ** 31) || seed >= 2 ** 31) {
    throw new Error(`FC_SEED must be an integer in [-2^31, 2^31), got ${JSON.stringify(env)}`);
  }
  return seed;
}

/** How to replay a failed run: the command line, or why FC_SEED will not do it. */
export function reproduceHint(failedSeed: number, globalSeed: number, file?: string, test?: string): string {
  if (failedSeed !== globalSeed) {
    return `This property passes its own seed (${failedSeed}) to fc.assert; FC_SEED does not change it.`;
  }
  const where = file === undefined ? '' : ` ${file}`;
  // -t takes a regular expression; quote it for the shell too.
  const pattern = test?.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/'/g, "'\\''");
  const name = pattern === undefined ? '' : ` -t '${pattern}'`;
  return `Reproduce with: FC_SEED=${failedSeed} npx vitest run${where}${name}`;
}

/**
 * A fast-check reporter: on failure, throw the default report (seed, path, counterexample, cause)
 * followed by the replay hint. `where` names the running test file and test.
 */
export function replayingReporter(globalSeed: number, where: () => { file?: string; test?: string }) {
  return (out: fc.RunDetails<unknown>): void => {
    if (!out.failed) return;
    const { file, test } = where();
    const hint = reproduceHint(out.seed, globalSeed, file, test);
    throw new Error(`${fc.defaultReportMessage(out)}\n\n${hint}`, { cause: out.errorInstance });
  };
}
