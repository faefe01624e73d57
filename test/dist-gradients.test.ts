/**
 * Gradient identities.
 *
 * Score identity: E_p[∇θ log p(x)] = 0. Exactly, by enumerating the support, for Bernoulli,
 * Categorical, OneHotCategorical and Poisson (truncated where the tail mass is below 1e-30); by
 * Monte Carlo (within 5 standard errors) for the continuous families and mixtures.
 *
 * Pathwise identity: for z = rsample(), the mean of ∇θ f(z) equals the closed-form ∇θ E[f(z)]
 * (within 5 standard errors): E[x²] for Normal, Uniform and MultivariateNormal, E[x] for LogNormal,
 * Exponential, Gamma, Beta and Dirichlet, and E[log x] for Gamma (down to α = 0.05), Beta and
 * Dirichlet, whose gradients come from implicit reparameterization.
 *
 * Per-sample gradients come from one backward pass: the parameters are tiled to a batch of n
 * identical distributions, one draw each, so the gradient with respect to the tiled parameter
 * holds one gradient per draw, and its sample mean and standard error follow.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { grad, stopGradient, treeFlatten } from '../src/autodiff/index.js';
import { tensor } from '../src/tensor/creation.js';
import { exp, log, square, sum, tril } from '../src/tensor/ops/index.js';
import type { Tensor } from '../src/tensor/tensor.js';
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
import { column, digamma, expectClose, expectWithinSE, polygamma, stats } from './dist-helpers.js';

const N = 20000;
const real = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
const logU = (min: number, max: number) => real(Math.log(min), Math.log(max)).map(Math.exp);
let run = 0;
const nextKey = () => foldIn(key(4242), run++);
const trigamma = (x: number) => polygamma(1, x);

type Params = Record<string, Tensor>;

/** Tile each parameter (shape S) to [n, ...S]. */
function tile(params: Record<string, number | number[] | number[][]>, n: number): Params {
  const out: Params = {};
  for (const [k, v] of Object.entries(params)) {
    const t = tensor(v as number[]);
    out[k] = t.expandDims(0).broadcastTo([n, ...t.shape]);
  }
  return out;
}

/**
 * Per-draw gradients of `value(dist, params)` (shape [n]) with respect to tiled parameters; check
 * that their mean is within 5 standard errors of `expected` (same structure as the parameters,
 * untiled).
 */
function checkMeanGradient(
  label: string,
  params: Params,
  value: (p: Params) => Tensor,
  expected: Record<string, number[]>,
): void {
  const g = grad((p: Params) => value(p).sum())(params) as Params;
  for (const [k, want] of Object.entries(expected)) {
    const gk = g[k];
    const m = gk.size / N;
    const data = gk.dataSync();
    for (let j = 0; j < m; j++) {
      const s = stats(column(data, m, j));
      expectWithinSE(`${label} ∂/∂${k}[${j}]`, s.mean, s.seMean, want[j], 1e-4 * Math.abs(want[j]) + 1e-6);
    }
  }
}

const zerosLike = (p: Record<string, number | number[] | number[][]>): Record<string, number[]> =>
  Object.fromEntries(
    Object.entries(p).map(([k, v]) => [
      k,
      new Array((Array.isArray(v) ? (v as unknown[]).flat() : [v]).length).fill(0),
    ]),
  );

describe('score identity E[∇ log p(x)] = 0', () => {
  /** Exact: Σ_x sg(p(x)) ∇ log p(x) over an enumerated support. */
  function exactScore(
    label: string,
    make: (p: Params) => Distribution,
    params: Params,
    support: Tensor,
    tol = 1e-5,
  ): void {
    const g = grad((p: Params) => {
      const lp = make(p).logProb(support);
      return stopGradient(exp(lp)).mul(lp).sum();
    })(params) as Params;
    for (const [k, t] of Object.entries(g))
      t.dataSync().forEach((v, i) => expectClose(`${label} ${k}[${i}]`, v, 0, 0, tol));
    // and the gradient is not trivially zero: one outcome alone has a nonzero score
    const one = grad((p: Params) => make(p).logProb(support).slice([0], [1]).sum())(params) as Params;
    expect(treeFlatten(one)[0].some((t) => t.dataSync().some((v) => Math.abs(v) > 1e-3))).toBe(true);
  }

  it('Bernoulli, exactly (logits and probs)', () => {
    fc.assert(
      fc.property(fc.array(real(-6, 6), { minLength: 3, maxLength: 3 }), (l) => {
        exactScore('Bernoulli(logits)', (p) => new Bernoulli({ logits: p.l }), { l: tensor(l) }, tensor([[0], [1]]));
        const probs = l.map((v) => 1 / (1 + Math.exp(-v)));
        exactScore(
          'Bernoulli(probs)',
          (p) => new Bernoulli({ probs: p.p }),
          { p: tensor(probs) },
          tensor([[0], [1]]),
          1e-4,
        );
      }),
      { numRuns: 10 },
    );
  });

  it('Categorical and OneHotCategorical, exactly (logits and probs)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), fc.array(real(-4, 4), { minLength: 12, maxLength: 12 }), (k, raw) => {
        const logits = tensor(raw.slice(0, 2 * k), [2, k]);
        const support = tensor(
          Array.from({ length: k }, (_, i) => i),
          [k, 1],
        );
        exactScore('Categorical(logits)', (p) => new Categorical({ logits: p.l }), { l: logits }, support);
        exactScore(
          'Categorical(probs)',
          (p) => new Categorical({ probs: p.p }),
          { p: logits.softmax(-1) },
          support,
          1e-4,
        );
        const oh = new OneHotCategorical({ logits });
        exactScore(
          'OneHotCategorical',
          (p) => new OneHotCategorical({ logits: p.l }),
          { l: logits },
          oh.enumerateSupport(),
        );
      }),
      { numRuns: 10 },
    );
  });

  it('Poisson, exactly over a support whose tail mass is below 1e-30', () => {
    fc.assert(
      fc.property(logU(0.1, 100), (rate) => {
        const kmax = Math.ceil(rate + 20 * Math.sqrt(rate) + 80);
        const support = tensor(Array.from({ length: kmax + 1 }, (_, i) => i));
        exactScore('Poisson', (p) => new Poisson(p.r), { r: tensor(rate) }, support, 1e-4);
      }),
      { numRuns: 10 },
    );
  });

  /** Monte Carlo: per-draw score vectors of tiled distributions. */
  function mcScore(
    label: string,
    make: (p: Params) => Distribution,
    raw: Record<string, number | number[] | number[][]>,
  ): void {
    const params = tile(raw, N);
    const x = make(params).sample(nextKey());
    checkMeanGradient(label, params, (p) => make(p).logProb(x), zerosLike(raw));
  }

  it('continuous families, by Monte Carlo', () => {
    fc.assert(
      fc.property(real(-3, 3), logU(0.3, 3), logU(0.5, 10), logU(0.5, 10), (m, s, a, b) => {
        mcScore('Normal', (p) => new Normal(p.m, p.s), { m, s });
        mcScore('LogNormal', (p) => new LogNormal(p.m, p.s), { m: m / 3, s: s / 3 });
        mcScore('Exponential', (p) => new Exponential(p.r), { r: s });
        mcScore('Gamma', (p) => new Gamma(p.a, p.b), { a, b });
        mcScore('Beta', (p) => new Beta(p.a, p.b), { a, b });
        mcScore('Dirichlet', (p) => new Dirichlet(p.c), { c: [a, b, s] });
        mcScore('MultivariateNormal', (p) => new MultivariateNormal(p.m, tril(p.L)), {
          m: [m, -m],
          L: [
            [s, 0],
            [m / 3, 1],
          ],
        });
        mcScore('Mixture', (p) => new MixtureSameFamily(new Categorical({ logits: p.w }), new Normal(p.m, p.s)), {
          w: [m / 3, 0],
          m: [m, 0],
          s: [s, 1],
        });
      }),
      { numRuns: 3 },
    );
  });
});

describe('pathwise identity: mean of ∇ f(rsample) = ∇ E[f] in closed form', () => {
  function path(
    label: string,
    make: (p: Params) => Distribution,
    raw: Record<string, number | number[] | number[][]>,
    f: (x: Tensor) => Tensor,
    expected: Record<string, number[]>,
  ): void {
    const params = tile(raw, N);
    const k = nextKey();
    checkMeanGradient(label, params, (p) => f(make(p).rsample(k)), expected);
  }

  it('Normal (E[x²] = μ² + σ²) and LogNormal (E[x] = exp(μ + σ²/2))', () => {
    fc.assert(
      fc.property(real(-3, 3), logU(0.2, 3), (m, s) => {
        const mf = Math.fround(m);
        const sf = Math.fround(s);
        path('Normal', (p) => new Normal(p.m, p.s), { m, s }, square, { m: [2 * mf], s: [2 * sf] });
        const m2 = Math.fround(m / 3);
        const s2 = Math.fround(s / 4);
        const e = Math.exp(m2 + (s2 * s2) / 2);
        path(
          'LogNormal',
          (p) => new LogNormal(p.m, p.s),
          { m: m2, s: s2 },
          (x) => x,
          { m: [e], s: [s2 * e] },
        );
      }),
      { numRuns: 4 },
    );
  });

  it('Uniform (E[x²] = (l² + lh + h²)/3) and Exponential (E[x] = 1/λ)', () => {
    fc.assert(
      fc.property(real(-3, 3), logU(0.2, 5), (lo, w) => {
        const l = Math.fround(lo);
        const h = Math.fround(lo + w);
        path('Uniform', (p) => new Uniform(p.l, p.h), { l, h }, square, { l: [(2 * l + h) / 3], h: [(l + 2 * h) / 3] });
        const r = Math.fround(w);
        path(
          'Exponential',
          (p) => new Exponential(p.r),
          { r },
          (x) => x,
          { r: [-1 / (r * r)] },
        );
      }),
      { numRuns: 4 },
    );
  });

  it('Gamma: E[x] = α/β and E[log x] = ψ(α) - log β (implicit reparameterization)', () => {
    fc.assert(
      fc.property(logU(0.3, 30), logU(0.2, 5), (a, b) => {
        const af = Math.fround(a);
        const bf = Math.fround(b);
        path(
          'Gamma E[x]',
          (p) => new Gamma(p.a, p.b),
          { a: af, b: bf },
          (x) => x,
          { a: [1 / bf], b: [-af / (bf * bf)] },
        );
        path('Gamma E[log x]', (p) => new Gamma(p.a, p.b), { a: af, b: bf }, log, { a: [trigamma(af)], b: [-1 / bf] });
      }),
      { numRuns: 5 },
    );
  });

  it('Gamma with small concentration: E[log x] = ψ(α) - log β, through log x in log space (α in [0.02, 0.3])', () => {
    fc.assert(
      fc.property(logU(0.02, 0.3), logU(0.5, 2), (a, b) => {
        const af = Math.fround(a);
        const bf = Math.fround(b);
        const params = tile({ a: af, b: bf }, N);
        const { noise } = new Gamma(params.a, params.b).rsampleWithNoise(nextKey());
        checkMeanGradient('Gamma small α (log space)', params, (p) => new Gamma(p.a, p.b).logFromNoise(noise), {
          a: [trigamma(af)],
          b: [-1 / bf],
        });
      }),
      { numRuns: 4 },
    );
    // through rsample (draws below 2^-126 are clamped): fine once α >= 0.15, where that has probability < 1e-5
    fc.assert(
      fc.property(logU(0.15, 0.3), (a) => {
        const af = Math.fround(a);
        path('Gamma small α (rsample)', (p) => new Gamma(p.a, 1), { a: af }, log, { a: [trigamma(af)] });
      }),
      { numRuns: 3 },
    );
  });

  it('Beta: E[x] = a/(a+b) and E[log x] = ψ(a) - ψ(a+b)', () => {
    fc.assert(
      fc.property(logU(0.3, 20), logU(0.3, 20), (a, b) => {
        const af = Math.fround(a);
        const bf = Math.fround(b);
        const s = af + bf;
        path(
          'Beta E[x]',
          (p) => new Beta(p.a, p.b),
          { a: af, b: bf },
          (x) => x,
          { a: [bf / (s * s)], b: [-af / (s * s)] },
        );
        path('Beta E[log x]', (p) => new Beta(p.a, p.b), { a: af, b: bf }, log, {
          a: [trigamma(af) - trigamma(s)],
          b: [-trigamma(s)],
        });
      }),
      { numRuns: 5 },
    );
  });

  it('Dirichlet: E[Σ w x] = Σ w α / α₀ and E[log x₀] = ψ(α₀) - ψ(Σα)', () => {
    fc.assert(
      fc.property(fc.array(logU(0.3, 10), { minLength: 3, maxLength: 3 }), (alpha) => {
        const a = alpha.map(Math.fround);
        const a0 = a[0] + a[1] + a[2];
        const w = [1, -2, 0.5];
        const wa = w.reduce((s, wi, i) => s + wi * a[i], 0);
        path(
          'Dirichlet E[w·x]',
          (p) => new Dirichlet(p.c),
          { c: a },
          (x) => sum(x.mul(tensor(w)), -1),
          { c: a.map((_, j) => w[j] / a0 - wa / (a0 * a0)) },
        );
        path(
          'Dirichlet E[log x0]',
          (p) => new Dirichlet(p.c),
          { c: a },
          (x) => log(x.slice([null, 0], [null, 1])).reshape([N]),
          {
            c: a.map((_, j) => (j === 0 ? trigamma(a[0]) : 0) - trigamma(a0)),
          },
        );
        void digamma;
      }),
      { numRuns: 4 },
    );
  });

  it('MultivariateNormal: E[|x|²] = |μ|² + |L|²_F', () => {
    fc.assert(
      fc.property(
        fc.array(real(-2, 2), { minLength: 2, maxLength: 2 }),
        logU(0.3, 2),
        logU(0.3, 2),
        real(-1, 1),
        (mu, d1, d2, off) => {
          const m = mu.map(Math.fround);
          const L = [
            [Math.fround(d1), 0],
            [Math.fround(off), Math.fround(d2)],
          ];
          path(
            'MVN',
            (p) => new MultivariateNormal(p.m, tril(p.L)),
            { m, L },
            (x) => sum(square(x), -1),
            {
              m: m.map((v) => 2 * v),
              L: [2 * L[0][0], 0, 2 * L[1][0], 2 * L[1][1]],
            },
          );
        },
      ),
      { numRuns: 4 },
    );
  });

  it('Independent(Normal) through toEvent', () => {
    path(
      'Independent',
      (p) => new Normal(p.m, p.s).toEvent(1),
      { m: [1, -2], s: [0.5, 2] },
      (x) => sum(square(x), -1),
      { m: [2, -4], s: [1, 4] },
    );
  });

  it('the pathwise check has power: a 5% error in the expected gradient is rejected', () => {
    const params = tile({ a: 2, b: 1 }, N);
    const k = nextKey();
    const value = (p: Params) => new Gamma(p.a, p.b).rsample(k);
    expect(() => checkMeanGradient('Gamma (wrong)', params, value, { a: [1.05] })).toThrow(/exceeds 5 standard errors/);
    expect(() => checkMeanGradient('Gamma (right)', params, value, { a: [1] })).not.toThrow();
  });
});
