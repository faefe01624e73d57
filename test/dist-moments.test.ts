/**
 * Sampling: for random parameters (fast-check, fixed seed) and a fixed key, the sample mean and
 * sample variance of every batch element and event coordinate are within K_SE = 5 standard errors
 * of the closed-form `mean` and `variance`, and the Monte Carlo entropy -mean(logProb(x)) is within
 * 5 standard errors of `entropy()`. Standard errors are estimated from the sample (the variance's
 * from the fourth central moment); see dist-helpers.ts for the false-alarm budget. Parameter
 * ranges keep the kurtosis moderate so that these estimated errors are themselves reliable.
 *
 * A second block checks that the test has power: a sampler with a 3% error in its scale is
 * rejected.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tensor } from '../src/tensor/creation.js';
import { Tensor } from '../src/tensor/tensor.js';
import { foldIn, key } from '../src/random/index.js';
import {
  Bernoulli,
  Beta,
  Categorical,
  Dirichlet,
  Exponential,
  Gamma,
  LogNormal,
  MixtureSameFamily,
  MultivariateNormal,
  Normal,
  OneHotCategorical,
  Poisson,
  Uniform,
  type Distribution,
} from '../src/dist/index.js';
import { column, expectWithinSE, stats } from './dist-helpers.js';

const N = 20000;
const K0 = key(20240611);

const real = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
const logU = (min: number, max: number) => real(Math.log(min), Math.log(max)).map(Math.exp);
const vec = (arb: fc.Arbitrary<number>, n: number) => fc.array(arb, { minLength: n, maxLength: n });

/** Sample N draws; check mean, variance (and entropy if available) per batch/event coordinate. */
function checkSampleMoments(label: string, d: Distribution, k: ReturnType<typeof key>, entropy = true): void {
  const x = d.sample(k, [N]);
  expect(x.shape).toEqual([N, ...d.batchShape, ...d.eventShape]);
  const m = x.size / N;
  const xs = x.dataSync();
  const mean = d.mean.dataSync();
  const variance = d.variance.dataSync();
  for (let j = 0; j < m; j++) {
    const s = stats(column(xs, m, j));
    expectWithinSE(`${label} mean[${j}]`, s.mean, s.seMean, mean[j], 1e-5 * Math.abs(mean[j]) + 1e-7);
    expectWithinSE(`${label} variance[${j}]`, s.variance, s.seVariance, variance[j], 1e-5 * variance[j] + 1e-9);
  }
  if (entropy) {
    const lp = d.logProb(x).dataSync(); // [N, ...batch]
    const b = lp.length / N;
    const h = d.entropy().dataSync();
    for (let j = 0; j < b; j++) {
      const s = stats(column(lp, b, j).map((v) => -v));
      expectWithinSE(`${label} entropy[${j}]`, s.mean, s.seMean, h[j], 1e-4 * Math.abs(h[j]) + 1e-4);
    }
  }
}

let run = 0;
const nextKey = () => foldIn(K0, run++);

describe('sample mean, variance and entropy within 5 standard errors (random parameters)', () => {
  it('Normal', () => {
    fc.assert(
      fc.property(vec(real(-5, 5), 3), vec(logU(0.1, 10), 3), (mu, sigma) => {
        checkSampleMoments('Normal', new Normal(tensor(mu), tensor(sigma)), nextKey());
      }),
      { seed: 101, numRuns: 4 },
    );
  });

  it('LogNormal', () => {
    fc.assert(
      fc.property(vec(real(-1, 1), 2), vec(logU(0.1, 0.5), 2), (mu, sigma) => {
        checkSampleMoments('LogNormal', new LogNormal(tensor(mu), tensor(sigma)), nextKey());
      }),
      { seed: 102, numRuns: 4 },
    );
  });

  it('Uniform', () => {
    fc.assert(
      fc.property(vec(real(-5, 5), 3), vec(logU(0.1, 10), 3), (lo, w) => {
        checkSampleMoments('Uniform', new Uniform(tensor(lo), tensor(lo.map((l, i) => l + w[i]))), nextKey());
      }),
      { seed: 103, numRuns: 4 },
    );
  });

  it('Exponential', () => {
    fc.assert(
      fc.property(vec(logU(0.1, 10), 3), (rate) => {
        checkSampleMoments('Exponential', new Exponential(tensor(rate)), nextKey());
      }),
      { seed: 104, numRuns: 4 },
    );
  });

  it('Gamma', () => {
    fc.assert(
      fc.property(vec(logU(0.5, 30), 3), vec(logU(0.1, 10), 3), (alpha, rate) => {
        checkSampleMoments('Gamma', new Gamma(tensor(alpha), tensor(rate)), nextKey());
      }),
      { seed: 105, numRuns: 4 },
    );
  });

  it('Gamma with small concentration: mean and entropy (the variance estimate is too heavy-tailed)', () => {
    fc.assert(
      fc.property(logU(0.05, 0.5), (alpha) => {
        const d = new Gamma(alpha, 1);
        const x = d.sample(nextKey(), [N]).dataSync();
        const s = stats(x);
        expectWithinSE('Gamma small mean', s.mean, s.seMean, alpha);
        // every draw is > 0 (underflow is clamped to the smallest normal float32)
        expect(Array.from(x).every((v) => v > 0)).toBe(true);
        const h = stats(Array.from(d.logProb(tensor(x)).dataSync(), (v) => -v));
        expectWithinSE('Gamma small entropy', h.mean, h.seMean, d.entropy().item(), 1e-4);
      }),
      { seed: 106, numRuns: 4 },
    );
  });

  it('Beta', () => {
    fc.assert(
      fc.property(vec(logU(0.3, 20), 3), vec(logU(0.3, 20), 3), (a, b) => {
        checkSampleMoments('Beta', new Beta(tensor(a), tensor(b)), nextKey());
      }),
      { seed: 107, numRuns: 4 },
    );
  });

  it('Dirichlet', () => {
    fc.assert(
      fc.property(vec(logU(0.2, 10), 4), (alpha) => {
        const d = new Dirichlet(tensor(alpha));
        checkSampleMoments('Dirichlet', d, nextKey());
        // every sample lies on the simplex
        const x = d.sample(nextKey(), [100]);
        expect(Array.from(d.support.check(x).dataSync()).every((v) => v === 1)).toBe(true);
      }),
      { seed: 108, numRuns: 4 },
    );
  });

  it('Poisson', () => {
    fc.assert(
      fc.property(vec(logU(0.1, 200), 3), (rate) => {
        checkSampleMoments('Poisson', new Poisson(tensor(rate)), nextKey());
      }),
      { seed: 109, numRuns: 4 },
    );
  });

  it('Bernoulli (logits and probs)', () => {
    fc.assert(
      fc.property(vec(real(-4, 4), 3), (logits) => {
        const d = new Bernoulli({ logits: tensor(logits) });
        checkSampleMoments('Bernoulli', d, nextKey());
        checkSampleMoments('Bernoulli(probs)', new Bernoulli({ probs: d.probs }), nextKey());
      }),
      { seed: 110, numRuns: 4 },
    );
  });

  it('Categorical and OneHotCategorical', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }), vec(real(-3, 3), 10), (k, raw) => {
        const logits = tensor(raw.slice(0, 2 * k), [2, k]);
        checkSampleMoments('Categorical', new Categorical({ logits }), nextKey());
        checkSampleMoments('OneHotCategorical', new OneHotCategorical({ logits }), nextKey());
      }),
      { seed: 111, numRuns: 4 },
    );
  });

  it('MultivariateNormal: mean, variance, covariance and entropy', () => {
    fc.assert(
      fc.property(vec(real(-3, 3), 3), vec(logU(0.3, 3), 3), vec(real(-1, 1), 3), (mu, diag, off) => {
        const L = tensor([
          [diag[0], 0, 0],
          [off[0], diag[1], 0],
          [off[1], off[2], diag[2]],
        ]);
        const d = new MultivariateNormal(tensor(mu), L);
        const k = nextKey();
        checkSampleMoments('MultivariateNormal', d, k);
        // off-diagonal covariance: mean of (x_i - μ_i)(x_j - μ_j)
        const x = d.sample(k, [N]).dataSync();
        const cov = d.covariance.dataSync();
        for (const [i, j] of [
          [0, 1],
          [0, 2],
          [1, 2],
        ]) {
          const prod = new Float64Array(N);
          for (let t = 0; t < N; t++)
            prod[t] = (x[t * 3 + i] - Math.fround(mu[i])) * (x[t * 3 + j] - Math.fround(mu[j]));
          const s = stats(prod);
          expectWithinSE(`cov[${i},${j}]`, s.mean, s.seMean, cov[i * 3 + j], 1e-5);
        }
      }),
      { seed: 112, numRuns: 4 },
    );
  });

  it('MixtureSameFamily (Normal and Gamma components)', () => {
    fc.assert(
      fc.property(vec(real(-2, 2), 3), vec(real(-4, 4), 3), vec(logU(0.2, 2), 3), (logits, mus, sigmas) => {
        const mix = new Categorical({ logits: tensor(logits) });
        checkSampleMoments(
          'Mixture(Normal)',
          new MixtureSameFamily(mix, new Normal(tensor(mus), tensor(sigmas))),
          nextKey(),
          false,
        );
        checkSampleMoments(
          'Mixture(Gamma)',
          new MixtureSameFamily(mix, new Gamma(tensor(sigmas.map((s) => 1 + 5 * s)), 1)),
          nextKey(),
          false,
        );
      }),
      { seed: 113, numRuns: 4 },
    );
  });

  it('batched mixture: a batch of two mixtures of Dirichlets (event shape [3])', () => {
    const mix = new Categorical({
      logits: tensor([
        [0, 1],
        [2, -1],
      ]),
    });
    const comps = new Dirichlet(
      tensor([
        [
          [1, 2, 3],
          [5, 1, 1],
        ],
        [
          [0.5, 0.5, 0.5],
          [2, 2, 8],
        ],
      ]),
    );
    const d = new MixtureSameFamily(mix, comps);
    expect(d.batchShape).toEqual([2]);
    expect(d.eventShape).toEqual([3]);
    checkSampleMoments('Mixture(Dirichlet)', d, nextKey(), false);
  });
});

describe('the moment test has power', () => {
  it('rejects a Normal sampler whose scale is 5% too large', () => {
    const d = new Normal(0, 1);
    const wrong = new Normal(0, 1.05);
    const x = wrong.sample(key(1), [N]).dataSync();
    const s = stats(x);
    expect(() => expectWithinSE('variance', s.variance, s.seVariance, d.variance.item())).toThrow(
      /exceeds 5 standard errors/,
    );
  });

  it('rejects a Gamma sampler whose rate is 3% off', () => {
    const x = new Gamma(3, 1.03).sample(key(2), [N]).dataSync();
    const s = stats(x);
    expect(() => expectWithinSE('mean', s.mean, s.seMean, 3)).toThrow(/exceeds 5 standard errors/);
  });

  it('is not fooled by a fixed key: different keys give different samples', () => {
    const d = new Normal(0, 1);
    expect(d.sample(key(1), [10]).toArray()).not.toEqual(d.sample(key(2), [10]).toArray());
    expect(d.sample(key(1), [10]) instanceof Tensor).toBe(true);
  });
});
