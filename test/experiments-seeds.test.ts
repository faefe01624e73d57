import { describe, expect, it } from 'vitest';
import { acrossSeeds, formatAcrossSeeds, pairedAcrossSeeds, seedsFor, tQuantile975 } from '../experiments/seeds.js';

describe('experiments/seeds', () => {
  it('gives full mode at least 3 seeds, starting from the run seed', () => {
    expect(seedsFor(7, 'full')).toEqual([7, 8, 9]);
    expect(seedsFor(7, 'quick')).toEqual([7]);
    expect(() => seedsFor(7, 'full', 0)).toThrow(/positive integer count/);
  });

  it('t quantiles: the table, and the expansion continuing it (values from standard tables)', () => {
    expect(tQuantile975(2)).toBeCloseTo(4.3027, 4);
    // Standard table values for df = 12, 20, 30, 120; the expansion's error is below 1e-4 there.
    for (const [df, t] of [
      [12, 2.1788],
      [20, 2.086],
      [30, 2.0423],
      [120, 1.9799],
    ])
      expect(Math.abs(tQuantile975(df) - t)).toBeLessThan(1.5e-4);
  });

  it('the 95% interval of the mean of 1, 2, 3 is 2 ± 4.3027/√3', () => {
    const s = acrossSeeds([1, 2, 3]);
    expect(s.mean).toBe(2);
    expect(s.sd).toBeCloseTo(1, 12);
    expect(s.halfWidth).toBeCloseTo(4.3027 / Math.sqrt(3), 4);
    expect(formatAcrossSeeds(s)).toBe('2.00 ± 2.48');
    expect(formatAcrossSeeds(acrossSeeds([-1.5]))).toBe('−1.50');
  });

  it('refuses non-finite values and empty input', () => {
    expect(() => acrossSeeds([])).toThrow(/at least one value/);
    expect(() => acrossSeeds([1, Number.NaN])).toThrow(/finite values, got NaN/);
  });

  it('pairing removes a shared seed effect: separated when the paired interval excludes 0', () => {
    // Seed effects of ±10 dwarf a constant gap of 1, which pairing recovers exactly.
    const a = [10, -10, 0.5];
    const b = a.map((v, i) => v - 1 - 0.01 * i);
    expect(pairedAcrossSeeds(a, b).separated).toBe(true);
    expect(pairedAcrossSeeds(a, [0, 0, 0]).separated).toBe(false);
    expect(() => pairedAcrossSeeds([1], [1, 2])).toThrow(/as many values/);
  });
});
