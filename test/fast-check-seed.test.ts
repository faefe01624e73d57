/**
 * The fast-check seed setup (test/setup/fast-check-seed.ts): every property runs from a fixed seed
 * (FC_SEED overrides it), so two runs draw the same cases, and a failure says how to replay it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FC_SEED, fastCheckSeed, reproduceHint } from './helpers/fast-check-seed.js';

describe('fast-check seed', () => {
  it('is fixed for every fc.assert in this worker: the default, or FC_SEED when set', () => {
    expect(fc.readConfigureGlobal().seed).toBe(fastCheckSeed(process.env.FC_SEED));
  });

  it('makes a property without its own seed draw the same cases on every run', () => {
    const draw = (): number[] => {
      const seen: number[] = [];
      fc.assert(
        fc.property(fc.integer(), (v) => void seen.push(v)),
        { numRuns: 20 },
      );
      return seen;
    };
    const first = draw();
    expect(draw()).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(1);
  });

  it('parses FC_SEED: unset or empty is the default; anything but an int32 is refused', () => {
    expect(fastCheckSeed(undefined)).toBe(DEFAULT_FC_SEED);
    expect(fastCheckSeed('')).toBe(DEFAULT_FC_SEED);
    expect(fastCheckSeed('1596238279')).toBe(1596238279);
    expect(fastCheckSeed('-7')).toBe(-7);
    expect(() => fastCheckSeed('1.5')).toThrow('FC_SEED must be an integer in [-2^31, 2^31), got "1.5"');
    expect(() => fastCheckSeed('abc')).toThrow(/FC_SEED must be an integer/);
    expect(() => fastCheckSeed(String(2 ** 31))).toThrow(/FC_SEED must be an integer/);
  });

  it('a failure names the seed, the path and the command that replays it', () => {
    let message = '';
    try {
      fc.assert(fc.property(fc.nat(), (v) => v < 5));
    } catch (e) {
      message = (e as Error).message;
    }
    const seed = fastCheckSeed(process.env.FC_SEED);
    expect(message).toContain(`seed: ${seed}, path: "`);
    const name = 'a failure names the seed, the path and the command that replays it';
    expect(message).toContain(
      `Reproduce with: FC_SEED=${seed} npx vitest run test/fast-check-seed.test.ts -t '${name}'`,
    );
  });

  it('the replay hint escapes regular-expression characters and quotes, and explains pinned seeds', () => {
    expect(reproduceHint(3, 3, 'test/x.test.ts', "pow (a+b) isn't [1]")).toBe(
      "Reproduce with: FC_SEED=3 npx vitest run test/x.test.ts -t 'pow \\(a\\+b\\) isn'\\''t \\[1\\]'",
    );
    expect(reproduceHint(301, 3, 'test/x.test.ts', 'y')).toBe(
      'This property passes its own seed (301) to fc.assert; FC_SEED does not change it.',
    );
  });
});
