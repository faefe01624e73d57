/**
 * Tests for src/random: Threefry known answers, keys, and the samplers' determinism, independence,
 * distributions, shapes and argument checks.
 *
 * Statistical tests use fixed keys, so each one is deterministic: it passes or fails on every run.
 * Thresholds are not magic numbers: chi-square tests reject at a false-alarm rate of 1e-4 (quantile
 * from the Wilson–Hilferty approximation), and moment tests allow 5 standard errors, the standard
 * error being derived from the distribution's known moments and the sample size. Each kind of test
 * is also shown to reject a slightly wrong sample ("power" tests), so it can fail.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { SieveError } from '../src/errors.js';
import { grad } from '../src/autodiff/index.js';
import { tensor } from '../src/tensor/creation.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { digamma, lgamma, polygamma } from '../src/tensor/special.js';
import {
  PRNGKey,
  bernoulli,
  categorical,
  exponential,
  foldIn,
  gamma,
  key,
  normal,
  poisson,
  randomBits,
  split,
  threefry2x32,
  uniform,
} from '../src/random/index.js';
import { uniformFromBits } from '../src/random/continuous.js';
import { bernoulliFromBits, categoricalFromBits } from '../src/random/discrete.js';
import { openUnit53, unit24, unit53 } from '../src/random/unit.js';
import { BitStream, elementStream } from '../src/random/stream.js';
import { PTRS_MIN_RATE, samplePoisson } from '../src/random/poisson.js';
import { expandParam } from '../src/random/params.js';
import { sampleGamma } from '../src/random/gamma.js';

// ---------------------------------------------------------------------------------------------
// Statistics helpers
// ---------------------------------------------------------------------------------------------

/** Complementary error function (Numerical Recipes' erfcc: relative error < 1.2e-7 everywhere). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal CDF. */
const normalCdf = (z: number): number => 0.5 * erfc(-z / Math.SQRT2);

/** z with P(Z > z) = tail, by bisection on the normal CDF. */
function normalUpperQuantile(tail: number): number {
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (1 - normalCdf(mid) > tail) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** False-alarm rate of every chi-square test in this file. */
const FALSE_ALARM = 1e-4;

/**
 * Upper quantile of the chi-square distribution with `df` degrees of freedom at tail probability
 * `tail`, by Wilson–Hilferty: (X/df)^(1/3) is close to normal with mean 1 - 2/(9 df) and
 * variance 2/(9 df).
 */
function chiSquareCritical(df: number, tail = FALSE_ALARM): number {
  const z = normalUpperQuantile(tail);
  const v = 2 / (9 * df);
  return df * (1 - v + z * Math.sqrt(v)) ** 3;
}

/** Pearson's statistic sum (O - E)^2 / E. */
function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < observed.length; i++) s += (observed[i] - expected[i]) ** 2 / expected[i];
  return s;
}

/** Chi-square goodness of fit: statistic and critical value (df = bins - 1). */
function goodnessOfFit(counts: ArrayLike<number>, probs: ArrayLike<number>): { stat: number; critical: number } {
  let n = 0;
  for (let i = 0; i < counts.length; i++) n += counts[i];
  const expected = Array.from(probs, (p) => p * n);
  return { stat: chiSquare(counts, expected), critical: chiSquareCritical(counts.length - 1) };
}

/** Counts of values in [0, 1) over `bins` equal bins. */
function histogram(values: ArrayLike<number>, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) counts[Math.min(bins - 1, Math.floor(values[i] * bins))]++;
  return counts;
}

/** Chi-square statistic and critical value for "values are uniform on [0, 1)" with 10 bins. */
function uniformityTest(values: ArrayLike<number>): { stat: number; critical: number } {
  return goodnessOfFit(histogram(values, 10), new Array(10).fill(0.1));
}

/** Joint 5x5 histogram of pairs (a[i], b[i]) against the product of uniform marginals (df = 24). */
function jointUniformityTest(a: ArrayLike<number>, b: ArrayLike<number>): { stat: number; critical: number } {
  const counts = new Array<number>(25).fill(0);
  const bin = (x: number): number => Math.min(4, Math.floor(x * 5)); // x = 1 can occur for CDF values
  for (let i = 0; i < a.length; i++) counts[bin(a[i]) * 5 + bin(b[i])]++;
  return goodnessOfFit(counts, new Array(25).fill(1 / 25));
}

/**
 * Check the sample mean and the sample variance against the true mean, variance and fourth
 * central moment mu4, each within 5 standard errors: sqrt(var / n) for the mean and
 * sqrt((mu4 - var^2) / n) for the variance.
 */
function expectMoments(values: ArrayLike<number>, mean: number, variance: number, mu4: number): void {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const m = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - m) ** 2;
  const v = ss / (n - 1);
  expect(Math.abs(m - mean)).toBeLessThan(5 * Math.sqrt(variance / n));
  expect(Math.abs(v - variance)).toBeLessThan(5 * Math.sqrt((mu4 - variance * variance) / n));
}

/** Sample mean within 5 standard errors sqrt(variance / n) of `mean`. */
function expectMean(values: ArrayLike<number>, mean: number, variance: number): void {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  expect(Math.abs(sum / values.length - mean)).toBeLessThan(5 * Math.sqrt(variance / values.length));
}

const data = (t: Tensor): Float32Array => t.dataSync();

/** Run `f` and return the SieveError it throws (failing the test if it throws nothing or something else). */
function sieveError(f: () => unknown): SieveError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SieveError);
    return e as SieveError;
  }
  throw new Error('expected a SieveError, but nothing was thrown');
}

const N = 100_000;
const K = key(20240607); // the fixed key of the statistical tests

// ---------------------------------------------------------------------------------------------

describe('helpers', () => {
  it('chi-square critical values are close to the exact quantiles', () => {
    // Exact upper 1e-4 quantiles (df = 9: 33.7199, df = 24: 58.6130); Wilson–Hilferty is within 2%.
    expect(Math.abs(chiSquareCritical(9) / 33.7199 - 1)).toBeLessThan(0.02);
    expect(Math.abs(chiSquareCritical(24) / 58.613 - 1)).toBeLessThan(0.02);
    expect(Math.abs(normalUpperQuantile(0.025) - 1.959964)).toBeLessThan(1e-5);
  });

  it('the uniformity tests reject slightly non-uniform samples (power)', () => {
    const u = data(uniform(K, [N]));
    const bent = u.map((x) => x ** 1.05);
    expect(uniformityTest(bent).stat).toBeGreaterThan(uniformityTest(bent).critical);
    // A second stream that copies the first 1 time in 20 is detectably dependent.
    const v = data(uniform(foldIn(K, 1), [N])).map((x, i) => (i % 20 === 0 ? u[i] : x));
    const t = jointUniformityTest(u, v);
    expect(t.stat).toBeGreaterThan(t.critical);
  });

  it('the moment checks reject a slightly wrong scale (power)', () => {
    const z = data(normal(K, [N]));
    expect(() =>
      expectMoments(
        z.map((x) => 1.02 * x),
        0,
        1,
        3,
      ),
    ).toThrow();
    expect(() =>
      expectMoments(
        z.map((x) => x + 0.03),
        0,
        1,
        3,
      ),
    ).toThrow();
  });
});

describe('threefry2x32', () => {
  it('matches the Random123 known-answer vectors (also in the JAX test suite)', () => {
    expect(threefry2x32(0, 0, 0, 0)).toEqual([0x6b200159, 0x99ba4efe]);
    expect(threefry2x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff)).toEqual([0x1cb996fc, 0xbb002be7]);
    expect(threefry2x32(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3)).toEqual([0xc4923a9c, 0x483df7a0]);
  });

  it('randomBits is counter mode: words 2c, 2c+1 are block (0, c), and shorter requests are prefixes', () => {
    const k = key(7);
    const bits = randomBits(k, 9);
    for (let c = 0; c < 4; c++) expect([bits[2 * c], bits[2 * c + 1]]).toEqual(threefry2x32(k.k0, k.k1, 0, c));
    expect(bits[8]).toBe(threefry2x32(k.k0, k.k1, 0, 4)[0]);
    expect(Array.from(randomBits(k, 4))).toEqual(Array.from(bits.subarray(0, 4)));
    expect(randomBits(k, 0).length).toBe(0);
    expect(sieveError(() => randomBits(k, -1)).message).toBe(
      'randomBits: count must be an integer in [0, 2^33], got -1',
    );
    expect(sieveError(() => randomBits(k, 2.5)).message).toBe(
      'randomBits: count must be an integer in [0, 2^33], got 2.5',
    );
  });

  it('a BitStream reads exactly the words of randomBits', () => {
    const k = key(3);
    const s = new BitStream(k);
    const words = Array.from({ length: 11 }, () => s.nextWord());
    expect(words).toEqual(Array.from(randomBits(k, 11)));
  });

  it('random bits are uniform: each of the 32 bit positions is set half of the time', () => {
    const bits = randomBits(K, N);
    for (let b = 0; b < 32; b++) {
      let ones = 0;
      for (let i = 0; i < N; i++) ones += (bits[i] >>> b) & 1;
      expectMean([ones / N], 0.5, 0.25 / N);
    }
  });
});

describe('bits to unit-interval numbers', () => {
  it('the conversions reach their end points exactly, and never the excluded one', () => {
    const MAX = 0xffffffff;
    expect(unit24(0)).toBe(0);
    expect(unit24(MAX)).toBe(1 - 2 ** -24);
    expect(Math.fround(unit24(MAX))).toBe(unit24(MAX)); // exact in float32, so it cannot round to 1
    expect(unit53(0, 0)).toBe(0);
    expect(unit53(MAX, MAX)).toBe(1 - 2 ** -53);
    expect(openUnit53(0, 0)).toBe(2 ** -53); // > 0: log is finite
    expect(openUnit53(MAX, MAX)).toBe(1);
  });

  it('bernoulli compares the word with p * 2^32: p = 0 never, p = 1 always, p = 1/2 splits at 2^31', () => {
    expect(Array.from(bernoulliFromBits(Uint32Array.of(0, 0xffffffff, 0, 0xffffffff), [0, 0, 1, 1]))).toEqual([
      0, 0, 1, 1,
    ]);
    expect(Array.from(bernoulliFromBits(Uint32Array.of(2 ** 31 - 1, 2 ** 31), [0.5, 0.5]))).toEqual([1, 0]);
  });

  it('categorical inverse CDF skips zero-weight categories even at the ends of [0, 1)', () => {
    // Weights 0, 1, 0, 2 (cumulative 0, 1, 1, 3); u = 0 must give category 1, u -> 1 category 3.
    const cdf = Float64Array.of(0, 1, 1, 3);
    const words = Uint32Array.of(0, 0, 0xffffffff, 0xffffffff, 0x80000000, 0);
    expect(Array.from(categoricalFromBits(words, cdf, 4, Uint32Array.of(0, 0, 0)))).toEqual([1, 3, 3]);
  });
});

describe('keys', () => {
  it('key(seed) holds the high and low 32 bits of the seed', () => {
    expect([key(0).k0, key(0).k1]).toEqual([0, 0]);
    expect([key(42).k0, key(42).k1]).toEqual([0, 42]);
    expect([key(2 ** 32 + 7).k0, key(2 ** 32 + 7).k1]).toEqual([1, 7]);
    const max = key(Number.MAX_SAFE_INTEGER);
    expect([max.k0, max.k1]).toEqual([0x1fffff, 0xffffffff]);
  });

  it('key rejects seeds that are not non-negative safe integers', () => {
    for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53]) {
      expect(sieveError(() => key(bad)).message).toBe(
        `key: seed must be a non-negative safe integer (0 .. 2^53-1), got ${bad}`,
      );
    }
    expect(sieveError(() => key('3' as unknown as number)).message).toBe(
      'key: seed must be a non-negative safe integer (0 .. 2^53-1), got 3',
    );
  });

  it('PRNGKey is immutable, validated, comparable and printable', () => {
    const k = new PRNGKey(0xdeadbeef, 5);
    expect(Object.isFrozen(k)).toBe(true);
    expect(() => {
      (k as unknown as { k0: number }).k0 = 1;
    }).toThrow(TypeError);
    expect(k.k0).toBe(0xdeadbeef);
    expect(k.toString()).toBe('PRNGKey(0xdeadbeef, 0x00000005)');
    expect(k.equals(new PRNGKey(0xdeadbeef, 5))).toBe(true);
    expect(k.equals(new PRNGKey(0xdeadbeef, 6))).toBe(false);
    expect(sieveError(() => new PRNGKey(-1, 0)).message).toBe(
      'PRNGKey: key words must be integers in [0, 4294967295], got -1, 0',
    );
    expect(sieveError(() => new PRNGKey(0, 2 ** 32)).message).toBe(
      'PRNGKey: key words must be integers in [0, 4294967295], got 0, 4294967296',
    );
  });

  it('same seed gives the same key and the same numbers (property)', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.nat({ max: 0xffffffff }), (seed, d) => {
        expect(key(seed).equals(key(seed))).toBe(true);
        expect(foldIn(key(seed), d).equals(foldIn(key(seed), d))).toBe(true);
        expect(Array.from(data(uniform(foldIn(key(seed), d), [4])))).toEqual(
          Array.from(data(uniform(foldIn(key(seed), d), [4]))),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('different seeds, fold-ins and split indices give different keys (property)', () => {
    // Threefry is a bijection of the counter for a fixed key, so these can never collide.
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), (seed, a, b) => {
        fc.pre(a !== b);
        const k = key(seed);
        expect(foldIn(k, a).equals(foldIn(k, b))).toBe(false);
        expect(data(uniform(foldIn(k, a), [2]))).not.toEqual(data(uniform(foldIn(k, b), [2])));
      }),
      { numRuns: 200 },
    );
    const children = split(key(1), 64);
    const distinct = new Set(children.map((c) => c.toString()));
    expect(distinct.size).toBe(64);
  });

  it('split: default n = 2, prefixes agree, n = 0 allowed, bad n rejected', () => {
    const k = key(5);
    expect(split(k)).toHaveLength(2);
    expect(split(k, 3).map(String)).toEqual(split(k, 5).slice(0, 3).map(String));
    expect(split(k, 0)).toEqual([]);
    expect(sieveError(() => split(k, -1)).message).toBe(
      'split: n must be a non-negative integer (at most 2^32), got -1',
    );
    expect(sieveError(() => split(k, 1.5)).message).toBe(
      'split: n must be a non-negative integer (at most 2^32), got 1.5',
    );
    expect(sieveError(() => split({ k0: 0, k1: 0 } as PRNGKey)).message).toBe(
      'split: expected a PRNGKey as the first argument, got object',
    );
  });

  it('foldIn rejects data outside the uint32 range', () => {
    const k = key(5);
    for (const bad of [-1, 2 ** 32, 0.5, NaN]) {
      expect(sieveError(() => foldIn(k, bad)).message).toBe(
        `foldIn: data must be an integer in [0, 4294967295], got ${bad}`,
      );
    }
    expect(foldIn(k, 0xffffffff)).toBeInstanceOf(PRNGKey);
  });

  it("split children, fold-ins and the parent's own bits never coincide (domain separation)", () => {
    const k = key(9);
    const children = split(k, 4);
    const bits = randomBits(k, 8);
    for (let i = 0; i < 4; i++) {
      expect(children[i].equals(foldIn(k, i))).toBe(false);
      expect([children[i].k0, children[i].k1]).not.toEqual([bits[2 * i], bits[2 * i + 1]]);
      expect(children[i].equals(k)).toBe(false);
    }
  });

  it('streams are pinned: the same key gives these numbers on every run and platform (regression)', () => {
    // Computed by this implementation (Threefry itself is pinned by the known-answer test above);
    // a change here means every user's random numbers changed.
    expect(split(key(42)).map(String)).toEqual(['PRNGKey(0x19a3f86f, 0xcfbc07f9)', 'PRNGKey(0x44ca21e3, 0x1c35f481)']);
    expect(foldIn(key(42), 3).toString()).toBe('PRNGKey(0x15fe044a, 0x92db7371)');
    // key(0)'s first block is the all-zero known-answer vector, so its first uniforms are fixed too.
    expect(Array.from(randomBits(key(0), 2))).toEqual([0x6b200159, 0x99ba4efe]);
    expect(Array.from(data(uniform(key(0), [2])))).toEqual([0x6b2001 / 2 ** 24, 0x99ba4e / 2 ** 24]);
  });
});

describe('independence of streams', () => {
  const [a, b] = split(K);
  const ua = data(uniform(a, [N]));
  const ub = data(uniform(b, [N]));

  it('each split stream is uniform (10-bin chi-square)', () => {
    for (const u of [ua, ub]) {
      const t = uniformityTest(u);
      expect(t.stat).toBeLessThan(t.critical);
    }
  });

  it('a pair of split streams is jointly uniform (5x5 chi-square)', () => {
    const t = jointUniformityTest(ua, ub);
    expect(t.stat).toBeLessThan(t.critical);
  });

  it('adjacent seeds, adjacent fold-ins and parent vs child streams are jointly uniform', () => {
    const pairs: [PRNGKey, PRNGKey][] = [
      [key(0), key(1)],
      [foldIn(K, 0), foldIn(K, 1)],
      [K, a],
      [a, foldIn(K, 0)],
    ];
    for (const [k1, k2] of pairs) {
      const t = jointUniformityTest(data(uniform(k1, [N / 2])), data(uniform(k2, [N / 2])));
      expect(t.stat).toBeLessThan(t.critical);
    }
  });

  it('consecutive values of one stream are jointly uniform (lag-1 pairs)', () => {
    const t = jointUniformityTest(ua.subarray(0, N - 1), ua.subarray(1));
    expect(t.stat).toBeLessThan(t.critical);
  });

  it('different keys give different streams for every sampler', () => {
    const [k1, k2] = split(key(11));
    const draws = (k: PRNGKey): Float32Array[] => [
      data(uniform(k, [8])),
      data(normal(k, [8])),
      data(exponential(k, [8])),
      data(gamma(k, 2, [8])),
      data(poisson(k, 50, [8])),
    ];
    const d1 = draws(k1);
    const d2 = draws(k2);
    for (let i = 0; i < d1.length; i++) expect(Array.from(d1[i])).not.toEqual(Array.from(d2[i]));
  });

  it('the same key gives the same values for every sampler', () => {
    const logits = tensor([0.1, 2, -1]);
    const run = (seed: number): number[][] => {
      const k = key(seed);
      return [
        uniform(k, [5], -1, 3),
        normal(k, [5], 1, 2),
        exponential(k, [5], 3),
        bernoulli(k, 0.4, [5]),
        categorical(k, logits, { shape: [5] }),
        poisson(k, tensor([0.5, 3, 12, 300, 0])),
        gamma(k, tensor([0.2, 1, 4, 30, 1e-3])),
      ].map((t) => Array.from(data(t)));
    };
    expect(run(123)).toEqual(run(123));
  });
});

describe('uniform', () => {
  it('is in [low, high) and never returns 1', () => {
    const u = data(uniform(K, [N]));
    expect(Math.max(...u)).toBeLessThan(1);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    // The largest possible word maps to the largest 24-bit value below 1.
    expect(uniformFromBits(Uint32Array.of(0xffffffff), 0, 1)[0]).toBe(1 - 2 ** -24);
    // low + (high - low) * (1 - 2^-24) rounds to `high` in float32 here; it must be clamped below.
    expect(uniformFromBits(Uint32Array.of(0xffffffff), 1, 2)[0]).toBe(2 - 2 ** -23);
    const w = data(uniform(K, [N], -3, 5));
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-3);
    expect(Math.max(...w)).toBeLessThan(5);
  });

  it('maps any word into [low, high) for any finite low < high (property)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffffffff }),
        fc.double({ min: -1e3, max: 1e3, noNaN: true }),
        fc.double({ min: 1e-3, max: 1e6, noNaN: true }), // wider than the float32 spacing near low
        (word, low, width) => {
          const high = low + width;
          fc.pre(low < high);
          for (const w of [word, 0, 0xffffffff]) {
            const v = uniformFromBits(Uint32Array.of(w), low, high)[0];
            expect(v).toBeGreaterThanOrEqual(low);
            expect(v).toBeLessThan(high);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('has the moments of Uniform(low, high)', () => {
    const w = 8;
    expectMoments(data(uniform(K, [N], -3, 5)), 1, (w * w) / 12, w ** 4 / 80);
  });

  it('checks its arguments', () => {
    expect(sieveError(() => uniform(K, [2], 1, 1)).message).toBe('uniform: low must be < high, got low=1, high=1');
    expect(sieveError(() => uniform(K, [2], NaN, 1)).message).toBe('uniform: low must be finite, got NaN');
    expect(sieveError(() => uniform(K, [2], 0, Infinity)).message).toBe('uniform: high must be finite, got Infinity');
    expect(sieveError(() => uniform(K, [2], 1 + 1e-12, 1 + 2e-12)).message).toBe(
      'uniform: no float32 value lies in [1.000000000001, 1.000000000002)',
    );
    // An interval holding a single float32 always gives it.
    expect(Array.from(data(uniform(K, [3], 1, 1 + 2 ** -23)))).toEqual([1, 1, 1]);
  });
});

describe('normal', () => {
  it('has the moments of Normal(loc, scale)', () => {
    expectMoments(data(normal(K, [N], 2, 3)), 2, 9, 3 * 81);
  });

  it('has the normal distribution (10-bin chi-square of its CDF values)', () => {
    const z = data(normal(foldIn(K, 2), [N]));
    const t = uniformityTest(z.map((x) => normalCdf(x)));
    expect(t.stat).toBeLessThan(t.critical);
  });

  it('consecutive values (the two halves of each Box–Muller pair) are independent', () => {
    const u = data(normal(foldIn(K, 4), [N])).map((x) => normalCdf(x));
    const t = jointUniformityTest(u.subarray(0, N - 1), u.subarray(1));
    expect(t.stat).toBeLessThan(t.critical);
  });

  it('is always finite (Box–Muller never takes log(0)), with an odd count too', () => {
    const z = data(normal(K, [N + 1]));
    expect(z.every(Number.isFinite)).toBe(true);
  });

  it('checks its arguments', () => {
    expect(sieveError(() => normal(K, [2], 0, 0)).message).toBe('normal: scale must be > 0, got 0');
    expect(sieveError(() => normal(K, [2], 0, -1)).message).toBe('normal: scale must be > 0, got -1');
    expect(sieveError(() => normal(K, [2], 0, NaN)).message).toBe('normal: scale must be > 0, got NaN');
    expect(sieveError(() => normal(K, [2], 0, Infinity)).message).toBe('normal: scale must be finite, got Infinity');
    expect(sieveError(() => normal(K, [2], NaN)).message).toBe('normal: loc must be finite, got NaN');
  });
});

describe('exponential', () => {
  it('has the moments of Exponential(rate)', () => {
    const rate = 2;
    expectMoments(data(exponential(K, [N], rate)), 1 / rate, 1 / rate ** 2, 9 / rate ** 4);
  });

  it('has the exponential distribution (10-bin chi-square of its CDF values)', () => {
    const x = data(exponential(foldIn(K, 3), [N], 0.5));
    const t = uniformityTest(x.map((v) => 1 - Math.exp(-0.5 * v)));
    expect(t.stat).toBeLessThan(t.critical);
    expect(x.every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
  });

  it('checks its arguments', () => {
    expect(sieveError(() => exponential(K, [2], 0)).message).toBe('exponential: rate must be > 0, got 0');
    expect(sieveError(() => exponential(K, [2], -3)).message).toBe('exponential: rate must be > 0, got -3');
  });
});

describe('bernoulli', () => {
  it('has the moments of Bernoulli(p) and only values 0 and 1', () => {
    const p = 0.3;
    const q = p * (1 - p);
    const x = data(bernoulli(K, p, [N]));
    expect(x.every((v) => v === 0 || v === 1)).toBe(true);
    expectMoments(x, p, q, q * (1 - 3 * q));
  });

  it('p = 0 never and p = 1 always gives 1', () => {
    expect(data(bernoulli(K, 0, [1000])).every((v) => v === 0)).toBe(true);
    expect(data(bernoulli(K, 1, [1000])).every((v) => v === 1)).toBe(true);
  });

  it('checks p, reporting the value and its index', () => {
    expect(sieveError(() => bernoulli(K, 1.5)).message).toBe('bernoulli: p must be in [0, 1], got 1.5');
    expect(sieveError(() => bernoulli(K, -0.1)).message).toBe('bernoulli: p must be in [0, 1], got -0.1');
    expect(sieveError(() => bernoulli(K, tensor([0.5, 1.5]))).message).toBe(
      'bernoulli: p must be in [0, 1], got 1.5 at index 1',
    );
    expect(
      sieveError(() =>
        bernoulli(
          K,
          tensor([
            [0.5, 0.5],
            [NaN, 0],
          ]),
        ),
      ).message,
    ).toBe('bernoulli: p must be in [0, 1], got NaN at index [1,0]');
    expect(sieveError(() => bernoulli(K, [0.5] as unknown as number)).message).toBe(
      'bernoulli: p must be a number or a Tensor, got an array',
    );
  });
});

describe('categorical', () => {
  const logits = [1, 2, 0.5, -Infinity, 3];
  const softmax = (ls: number[]): number[] => {
    const m = Math.max(...ls);
    const w = ls.map((l) => Math.exp(l - m));
    const s = w.reduce((x, y) => x + y, 0);
    return w.map((x) => x / s);
  };

  it('frequencies match softmax(logits) (chi-square), and -Infinity logits are never drawn', () => {
    const x = data(categorical(K, tensor(logits), { shape: [N] }));
    const counts = [0, 0, 0, 0, 0];
    for (const v of x) counts[v]++;
    expect(counts[3]).toBe(0);
    const probs = softmax(logits);
    const kept = [0, 1, 2, 4];
    const t = goodnessOfFit(
      kept.map((i) => counts[i]),
      kept.map((i) => probs[i]),
    );
    expect(t.stat).toBeLessThan(t.critical);
  });

  it('samples each batch row from its own distribution', () => {
    // Categories along axis 0, batch of 2 columns with different distributions.
    const cols = [
      [0, 1, 2],
      [3, 0, -1],
    ];
    const L = tensor([
      [0, 3],
      [1, 0],
      [2, -1],
    ]);
    const x = data(categorical(K, L, { axis: 0, shape: [N / 2, 2] }));
    for (let c = 0; c < 2; c++) {
      const counts = [0, 0, 0];
      for (let i = c; i < x.length; i += 2) counts[x[i]]++;
      const t = goodnessOfFit(counts, softmax(cols[c]));
      expect(t.stat).toBeLessThan(t.critical);
    }
  });

  it('axis = 0 on logits equals axis = -1 on their transpose, element for element', () => {
    const L = tensor([
      [0, 3, 1],
      [1, 0, 1],
      [2, -1, 1],
      [0.5, 0.5, 1],
    ]); // 4 categories x 3 batch
    const LT = tensor([
      [0, 1, 2, 0.5],
      [3, 0, -1, 0.5],
      [1, 1, 1, 1],
    ]);
    const a = categorical(K, L, { axis: 0, shape: [10, 3] });
    const b = categorical(K, LT, { shape: [10, 3] });
    expect(a.shape).toEqual([10, 3]);
    expect(Array.from(data(a))).toEqual(Array.from(data(b)));
    expect(categorical(K, LT).shape).toEqual([3]);
    expect(data(categorical(K, LT)).every((v) => Number.isInteger(v) && v >= 0 && v < 4)).toBe(true);
  });

  it('checks logits, axis and shape', () => {
    expect(sieveError(() => categorical(K, tensor([0, NaN]))).message).toBe(
      'categorical: logits must not be NaN or +Infinity, got NaN at index 1',
    );
    expect(
      sieveError(() =>
        categorical(
          K,
          tensor([
            [0, 1],
            [Infinity, 0],
          ]),
        ),
      ).message,
    ).toBe('categorical: logits must not be NaN or +Infinity, got Infinity at index [1,0]');
    expect(
      sieveError(() =>
        categorical(
          K,
          tensor([
            [0, 1],
            [-Infinity, -Infinity],
          ]),
        ),
      ).message,
    ).toBe('categorical: logits are all -Infinity for batch index [1]: no category has positive probability');
    expect(sieveError(() => categorical(K, tensor(3))).message).toBe(
      'categorical: logits must have at least one dimension (the categories)',
    );
    expect(sieveError(() => categorical(K, tensor([[], []]))).message).toBe(
      'categorical: logits have no categories: axis 1 of shape [2,0] has size 0',
    );
    expect(sieveError(() => categorical(K, tensor([1, 2]), { axis: 1 })).message).toMatch(
      /^categorical: axis 1 is out of range/,
    );
    expect(
      sieveError(() =>
        categorical(
          K,
          tensor([
            [1, 2],
            [3, 4],
            [5, 6],
          ]),
          { shape: [2] },
        ),
      ).message,
    ).toBe('categorical: batch shape of logits of shape [3] cannot be broadcast to shape [2]');
  });
});

describe('poisson', () => {
  [0.5, 4, 30, 200].forEach((rate, i) => {
    it(`has the moments of Poisson(${rate})`, () => {
      const x = data(poisson(foldIn(K, 100 + i), rate, [N]));
      expect(x.every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
      expectMoments(x, rate, rate, rate + 3 * rate * rate);
    });
  });

  /**
   * Chi-square of counts against the Poisson pmf. Bins are runs of consecutive values, each
   * closed as soon as it expects >= 20 draws; whatever is left above goes into the last bin.
   */
  function poissonFit(x: ArrayLike<number>, rate: number): { stat: number; critical: number } {
    const pmf = (k: number): number => Math.exp(-rate + k * Math.log(rate) - lgamma(k + 1));
    const n = x.length;
    const probs: number[] = [];
    const binOfValue: number[] = []; // bin of each value below the last bin
    let acc = 0;
    let remaining = 1;
    for (let k = 0; remaining * n >= 40; k++) {
      acc += pmf(k);
      remaining -= pmf(k);
      binOfValue.push(probs.length);
      if (acc * n >= 20) {
        probs.push(acc);
        acc = 0;
      }
    }
    probs.push(acc + remaining);
    const counts = new Array<number>(probs.length).fill(0);
    for (let i = 0; i < n; i++) counts[x[i] < binOfValue.length ? binOfValue[x[i]] : probs.length - 1]++;
    expect(probs.length).toBeGreaterThan(Math.min(10, 2 * Math.sqrt(rate))); // enough bins to see the shape
    return goodnessOfFit(counts, probs);
  }

  [3, 9.9, PTRS_MIN_RATE, 30, 500].forEach((rate, i) => {
    it(`matches the Poisson(${rate}) probabilities (chi-square)`, () => {
      const t = poissonFit(data(poisson(foldIn(K, 200 + i), rate, [2 * N])), rate);
      expect(t.stat).toBeLessThan(t.critical);
    });
  });

  it('matches the Poisson(500) probabilities in a large sample (chi-square, 10^6 draws of PTRS)', () => {
    // Large enough to see a 5% error in PTRS's final acceptance test.
    const t = poissonFit(data(poisson(foldIn(K, 299), 500, [10 * N])), 500);
    expect(t.stat).toBeLessThan(t.critical);
  });

  it('the Poisson fit rejects a neighbouring rate (power)', () => {
    const t = poissonFit(data(poisson(K, 30.6, [N / 2])), 30);
    expect(t.stat).toBeGreaterThan(t.critical);
  });

  it('rate 0 gives 0, and very large rates stay near their mean', () => {
    expect(data(poisson(K, 0, [100])).every((v) => v === 0)).toBe(true);
    const x = data(poisson(K, 1e6, [2000]));
    expectMean(x, 1e6, 1e6);
  });

  it("each element draws from its own sub-stream: other elements' rates do not matter", () => {
    const a = data(poisson(K, tensor([3, 0.1, 1000, 20])));
    const b = data(poisson(K, tensor([3, 900, 1000, 0])));
    expect([a[0], a[2]]).toEqual([b[0], b[2]]);
    // ... and it is the value drawn from the stream foldIn(key, index).
    expect(a[2]).toBe(samplePoisson(elementStream(K, 2), 1000));
  });

  it('checks rate, reporting the value and its index', () => {
    expect(sieveError(() => poisson(K, -1)).message).toBe('poisson: rate must be >= 0, got -1');
    expect(sieveError(() => poisson(K, Infinity)).message).toBe('poisson: rate must be finite, got Infinity');
    expect(sieveError(() => poisson(K, tensor([1, 2, NaN]))).message).toBe(
      'poisson: rate must be >= 0, got NaN at index 2',
    );
  });
});

describe('gamma', () => {
  [0.3, 1, 5].forEach((alpha, i) => {
    it(`has the moments of Gamma(${alpha}) and of its logarithm`, () => {
      const x = data(gamma(foldIn(K, 300 + i), alpha, [N]));
      expect(x.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
      expectMoments(x, alpha, alpha, 3 * alpha * alpha + 6 * alpha);
      // E[log X] = digamma(alpha), Var[log X] = trigamma(alpha): sensitive to the small values.
      expectMean(x.map(Math.log), digamma(alpha), polygamma(1, alpha));
    });
  });

  it('matches the Gamma(0.5) and Gamma(3) distributions (10-bin chi-square of CDF values)', () => {
    // Gamma(1/2) = Z^2 / 2 for standard normal Z, so P(X <= x) = erf(sqrt(x)) = 1 - erfc(sqrt(x)).
    const half = data(gamma(foldIn(K, 50), 0.5, [N]));
    const t1 = uniformityTest(half.map((x) => 1 - erfc(Math.sqrt(x))));
    expect(t1.stat).toBeLessThan(t1.critical);
    // Integer alpha: P(X <= x) = 1 - e^-x (1 + x + x^2 / 2).
    const three = data(gamma(foldIn(K, 51), 3, [N]));
    const t2 = uniformityTest(three.map((x) => 1 - Math.exp(-x) * (1 + x + (x * x) / 2)));
    expect(t2.stat).toBeLessThan(t2.critical);
  });

  it('tiny alpha gives tiny or zero values, never NaN; moments still hold at alpha = 0.01', () => {
    const tiny = data(gamma(K, 1e-30, [1000]));
    expect(tiny.every((v) => v >= 0 && v < 1e-6)).toBe(true);
    expect(sampleGamma(new BitStream(K), Number.MIN_VALUE)).toBe(0);
    const a = 0.01;
    const x = data(gamma(foldIn(K, 52), a, [N]));
    expect(x.every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
    expectMoments(x, a, a, 3 * a * a + 6 * a);
  });

  it('broadcasts alpha against shape, each column with its own alpha', () => {
    const x = data(gamma(K, tensor([0.5, 50]), [N / 10, 2]));
    const col = (c: number): number[] => Array.from(x).filter((_, i) => i % 2 === c);
    expectMean(col(0), 0.5, 0.5);
    expectMean(col(1), 50, 50);
  });

  it("each element draws from its own sub-stream: other elements' alphas do not matter", () => {
    const a = data(gamma(K, tensor([0.7, 2, 1e-3])));
    const b = data(gamma(K, tensor([0.7, 200, 1e-3])));
    expect([a[0], a[2]]).toEqual([b[0], b[2]]);
    expect(a[1]).not.toBe(b[1]);
  });

  it('checks alpha, reporting the value and its index', () => {
    expect(sieveError(() => gamma(K, tensor([1, 2, 0.5, -1]))).message).toBe(
      'gamma: alpha must be > 0, got -1 at index 3',
    );
    expect(sieveError(() => gamma(K, 0)).message).toBe('gamma: alpha must be > 0, got 0');
    expect(sieveError(() => gamma(K, NaN)).message).toBe('gamma: alpha must be > 0, got NaN');
    expect(sieveError(() => gamma(K, tensor(Infinity))).message).toBe('gamma: alpha must be finite, got Infinity');
  });
});

describe('shapes and broadcasting', () => {
  it('expandParam gives every output element the parameter element it broadcasts from (fast paths too)', () => {
    // to: any shape; from: a suffix of it with some axes set to 1, after some leading 1s.
    const pairArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }).chain((to) =>
      fc
        .tuple(
          fc.integer({ min: 0, max: to.length }),
          fc.array(fc.boolean(), { minLength: to.length, maxLength: to.length }),
          fc.integer({ min: 0, max: 2 }),
        )
        .map(([keep, ones, lead]) => {
          const tail = to.slice(to.length - keep).map((d, i) => (ones[i] ? 1 : d));
          return [[...Array<number>(lead).fill(1), ...tail], to] as const;
        })
        .filter(([from, to]) => from.length <= to.length),
    );
    fc.assert(
      fc.property(pairArb, ([from, to]) => {
        const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
        const values = Float64Array.from({ length: size(from) }, (_, i) => i + 0.5);
        const got = Array.from(expandParam({ name: 'p', shape: from, values }, to));
        const want: number[] = [];
        for (let i = 0; i < size(to); i++) {
          // i's multi-index in `to`, read back in `from` (size-1 axes of `from` at 0), aligned on the right.
          let rest = i,
            j = 0,
            stride = 1;
          for (let d = 1; d <= to.length; d++) {
            const coordinate = rest % to[to.length - d];
            rest = Math.floor(rest / to[to.length - d]);
            if (d <= from.length) {
              const extent = from[from.length - d];
              j += (extent === 1 ? 0 : coordinate) * stride;
              stride *= extent;
            }
          }
          want.push(values[j]);
        }
        expect(got).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it('the default shape is a scalar and explicit shapes are honoured', () => {
    for (const t of [uniform(K), normal(K), exponential(K), bernoulli(K, 0.5), poisson(K, 3), gamma(K, 2)]) {
      expect(t.shape).toEqual([]);
      expect(t.size).toBe(1);
    }
    expect(uniform(K, [2, 3]).shape).toEqual([2, 3]);
    expect(normal(K, [3, 1, 2]).shape).toEqual([3, 1, 2]);
    expect(exponential(K, [0]).size).toBe(0);
    expect(poisson(K, 4, [2, 0]).shape).toEqual([2, 0]);
  });

  it('a tensor parameter sets the shape, or broadcasts (NumPy rules) to the given shape', () => {
    expect(bernoulli(K, tensor([[0.1, 0.2, 0.3]])).shape).toEqual([1, 3]);
    // p = [0, 1, 0] repeated on every row.
    const rows = bernoulli(K, tensor([0, 1, 0]), [4, 3]);
    expect(rows.toArray()).toEqual(Array.from({ length: 4 }, () => [0, 1, 0]));
    // p of shape [2, 1] broadcast along the columns.
    expect(bernoulli(K, tensor([[0], [1]]), [2, 3]).toArray()).toEqual([
      [0, 0, 0],
      [1, 1, 1],
    ]);
    // A scalar rate 0 fills any shape with zeros.
    expect(poisson(K, tensor(0), [2, 2]).toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it('rejects a shape the parameter cannot broadcast to', () => {
    expect(sieveError(() => bernoulli(K, tensor([0.1, 0.2, 0.3]), [2])).message).toBe(
      'bernoulli: p of shape [3] cannot be broadcast to shape [2]',
    );
    expect(sieveError(() => gamma(K, tensor([[1, 2]]), [2])).message).toBe(
      'gamma: alpha of shape [1,2] cannot be broadcast to shape [2]',
    );
    expect(sieveError(() => poisson(K, tensor([1, 2]), [])).message).toBe(
      'poisson: rate of shape [2] cannot be broadcast to shape []',
    );
  });

  it('rejects bad shapes and missing keys', () => {
    expect(sieveError(() => uniform(K, [2, -1])).message).toBe(
      'uniform: invalid shape [2,-1]: dimensions must be non-negative integers',
    );
    expect(sieveError(() => normal(K, [1.5])).message).toBe(
      'normal: invalid shape [1.5]: dimensions must be non-negative integers',
    );
    expect(sieveError(() => exponential(K, 3 as unknown as number[])).message).toBe(
      'exponential: shape must be an array of non-negative integers, got 3',
    );
    expect(sieveError(() => gamma(K, 2, [NaN])).message).toBe(
      'gamma: invalid shape [NaN]: dimensions must be non-negative integers',
    );
    expect(sieveError(() => uniform([3] as unknown as PRNGKey)).message).toBe(
      'uniform: expected a PRNGKey as the first argument, got an array',
    );
    expect(sieveError(() => gamma(undefined as unknown as PRNGKey, 1)).message).toBe(
      'gamma: expected a PRNGKey as the first argument, got undefined',
    );
  });

  it('reads traced parameters by value and returns concrete tensors with no gradient path', () => {
    const k = key(1);
    let sample: Tensor | undefined;
    // d/da sum(gamma(k, a) * a) treats the sample as a constant, so the gradient is the sample.
    const g = grad((a: Tensor) => {
      sample = gamma(k, a);
      return sample.mul(a).sum();
    })(tensor([1, 2]));
    expect(sample!.isTraced).toBe(false);
    expect(Array.from(data(g))).toEqual(Array.from(data(gamma(k, tensor([1, 2])))));
  });
});
