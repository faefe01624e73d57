/**
 * KL registry: the closed forms against Monte Carlo estimates (mean of log p(x) - log q(x) over
 * x ~ p, within 5 standard errors) and, for discrete families, exact enumeration; KL(p, p) = 0;
 * gradients with respect to the parameters of both arguments against central finite differences;
 * broadcasting of batch shapes; registry lookup through subclasses; errors for unknown pairs.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { grad, stopGradient, treeFlatten, treeUnflatten } from '../src/autodiff/index.js';
import { tensor } from '../src/tensor/creation.js';
import { tril } from '../src/tensor/ops/index.js';
import { Tensor } from '../src/tensor/tensor.js';
import { foldIn, key } from '../src/random/index.js';
import {
  Bernoulli,
  Beta,
  Categorical,
  Dirichlet,
  Exponential,
  Gamma,
  Independent,
  LogNormal,
  MultivariateNormal,
  Normal,
  OneHotCategorical,
  Poisson,
  Uniform,
  kl,
  registerKL,
  type Distribution,
} from '../src/dist/index.js';
import { column, expectClose, expectWithinSE, stats } from './dist-helpers.js';

const N = 20000;
const real = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
const logU = (min: number, max: number) => real(Math.log(min), Math.log(max)).map(Math.exp);
const vec = (arb: fc.Arbitrary<number>, n: number) => fc.array(arb, { minLength: n, maxLength: n });
let run = 0;
const nextKey = () => foldIn(key(777), run++);

/** Closed-form KL vs the Monte Carlo mean of log p(x) - log q(x), x ~ p, per batch element. */
function checkKLMonteCarlo(label: string, p: Distribution, q: Distribution): void {
  const x = p.sample(nextKey(), [N]);
  const diff = p.logProb(x).sub(q.logProb(x)).dataSync();
  const exact = kl(p, q).dataSync();
  const b = exact.length;
  for (let j = 0; j < b; j++) {
    const s = stats(column(diff, b, j));
    expectWithinSE(`${label} KL[${j}]`, s.mean, s.seMean, exact[j], 1e-4 * Math.abs(exact[j]) + 1e-5);
    expect(exact[j]).toBeGreaterThanOrEqual(-1e-6);
  }
  // KL(p, p) = 0
  kl(p, p)
    .dataSync()
    .forEach((v, j) => expectClose(`${label} KL(p, p)[${j}]`, v, 0, 0, 1e-5));
  kl(q, q)
    .dataSync()
    .forEach((v, j) => expectClose(`${label} KL(q, q)[${j}]`, v, 0, 0, 1e-5));
}

/** Exact KL by enumerating the support: Σ_x p(x) (log p(x) - log q(x)). */
function checkKLEnumeration(label: string, p: Distribution, q: Distribution, support: Tensor): void {
  const lp = p.logProb(support).dataSync();
  const lq = q.logProb(support).dataSync();
  const exact = kl(p, q).dataSync();
  const b = exact.length;
  const n = lp.length / b;
  for (let j = 0; j < b; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const w = Math.exp(lp[i * b + j]);
      if (w > 0) s += w * (lp[i * b + j] - lq[i * b + j]);
    }
    expectClose(`${label} KL[${j}] (enumeration)`, exact[j], s, 1e-4, 1e-6);
  }
}

describe('closed-form KL agrees with Monte Carlo; KL(p, p) = 0', () => {
  it('Normal–Normal', () => {
    fc.assert(
      fc.property(vec(real(-3, 3), 6), vec(logU(0.3, 3), 6), (m, s) => {
        checkKLMonteCarlo(
          'Normal',
          new Normal(tensor(m.slice(0, 3)), tensor(s.slice(0, 3))),
          new Normal(tensor(m.slice(3)), tensor(s.slice(3))),
        );
      }),
      { seed: 201, numRuns: 4 },
    );
  });

  it('LogNormal–LogNormal', () => {
    fc.assert(
      fc.property(vec(real(-1, 1), 4), vec(logU(0.3, 1), 4), (m, s) => {
        checkKLMonteCarlo(
          'LogNormal',
          new LogNormal(tensor(m.slice(0, 2)), tensor(s.slice(0, 2))),
          new LogNormal(tensor(m.slice(2)), tensor(s.slice(2))),
        );
      }),
      { seed: 202, numRuns: 3 },
    );
  });

  it('MultivariateNormal–MultivariateNormal (batched, broadcast against one q)', () => {
    fc.assert(
      fc.property(vec(real(-2, 2), 9), vec(logU(0.5, 2), 9), vec(real(-0.8, 0.8), 9), (m, dg, off) => {
        const tril = (i: number) => [
          [dg[i], 0, 0],
          [off[i], dg[i + 1], 0],
          [off[i + 1], off[i + 2], dg[i + 2]],
        ];
        const p = new MultivariateNormal(tensor([m.slice(0, 3), m.slice(3, 6)]), tensor([tril(0), tril(3)]));
        const q = new MultivariateNormal(tensor(m.slice(6)), tensor(tril(6)));
        expect(kl(p, q).shape).toEqual([2]);
        checkKLMonteCarlo('MVN', p, q);
      }),
      { seed: 203, numRuns: 3 },
    );
  });

  it('Exponential–Exponential and Uniform–Uniform', () => {
    fc.assert(
      fc.property(vec(logU(0.2, 5), 4), (r) => {
        checkKLMonteCarlo('Exponential', new Exponential(tensor(r.slice(0, 2))), new Exponential(tensor(r.slice(2))));
        const p = new Uniform(tensor([0, 1]), tensor([1, 1 + r[0]]));
        const q = new Uniform(tensor([-r[1], 0.5]), tensor([2, 2 + r[0]]));
        checkKLMonteCarlo('Uniform', p, q);
        expect(
          kl(q, p)
            .dataSync()
            .every((v) => v === Infinity),
        ).toBe(true); // q's support is not inside p's
      }),
      { seed: 204, numRuns: 3 },
    );
  });

  it('Gamma–Gamma', () => {
    fc.assert(
      fc.property(vec(logU(0.5, 20), 6), vec(logU(0.2, 5), 6), (a, b) => {
        checkKLMonteCarlo(
          'Gamma',
          new Gamma(tensor(a.slice(0, 3)), tensor(b.slice(0, 3))),
          new Gamma(tensor(a.slice(3)), tensor(b.slice(3))),
        );
      }),
      { seed: 205, numRuns: 4 },
    );
  });

  it('Beta–Beta', () => {
    fc.assert(
      fc.property(vec(logU(0.5, 20), 6), vec(logU(0.5, 20), 6), (a, b) => {
        checkKLMonteCarlo(
          'Beta',
          new Beta(tensor(a.slice(0, 3)), tensor(b.slice(0, 3))),
          new Beta(tensor(a.slice(3)), tensor(b.slice(3))),
        );
      }),
      { seed: 206, numRuns: 4 },
    );
  });

  it('Dirichlet–Dirichlet', () => {
    fc.assert(
      fc.property(vec(logU(0.5, 10), 8), (a) => {
        checkKLMonteCarlo('Dirichlet', new Dirichlet(tensor(a.slice(0, 4))), new Dirichlet(tensor(a.slice(4))));
      }),
      { seed: 207, numRuns: 4 },
    );
  });

  it('Poisson–Poisson (Monte Carlo and enumeration)', () => {
    fc.assert(
      fc.property(vec(logU(0.2, 50), 4), (r) => {
        const p = new Poisson(tensor(r.slice(0, 2)));
        const q = new Poisson(tensor(r.slice(2)));
        checkKLMonteCarlo('Poisson', p, q);
        checkKLEnumeration(
          'Poisson',
          p,
          q,
          tensor(
            Array.from({ length: 200 }, (_, i) => i),
            [200, 1],
          ),
        );
      }),
      { seed: 208, numRuns: 4 },
    );
  });

  it('Bernoulli–Bernoulli (logits and probs, including p = 0 and 1)', () => {
    fc.assert(
      fc.property(vec(real(-5, 5), 6), (l) => {
        const p = new Bernoulli({ logits: tensor(l.slice(0, 3)) });
        const q = new Bernoulli({ probs: new Bernoulli({ logits: tensor(l.slice(3)) }).probs });
        checkKLMonteCarlo('Bernoulli', p, q);
        checkKLEnumeration('Bernoulli', p, q, p.enumerateSupport());
      }),
      { seed: 209, numRuns: 4 },
    );
    const p = new Bernoulli({ probs: tensor([0, 1, 0.5, 0]) });
    const q = new Bernoulli({ probs: tensor([0.3, 0.3, 1, 0]) });
    const v = kl(p, q).dataSync();
    expectClose('KL(0 || 0.3)', v[0], -Math.log(0.7), 1e-6);
    expectClose('KL(1 || 0.3)', v[1], -Math.log(0.3), 1e-6);
    expect(v[2]).toBe(Infinity);
    expect(v[3]).toBe(0);
  });

  it('Categorical–Categorical and OneHotCategorical (including zero-probability categories)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), vec(real(-3, 3), 24), (k, raw) => {
        const p = new Categorical({ logits: tensor(raw.slice(0, 2 * k), [2, k]) });
        const q = new Categorical({
          probs: new Categorical({ logits: tensor(raw.slice(12, 12 + 2 * k), [2, k]) }).probs,
        });
        checkKLMonteCarlo('Categorical', p, q);
        checkKLEnumeration('Categorical', p, q, p.enumerateSupport());
        const op = new OneHotCategorical({ logits: tensor(raw.slice(0, 2 * k), [2, k]) });
        const oq = new OneHotCategorical({ logits: tensor(raw.slice(12, 12 + 2 * k), [2, k]) });
        expectClose('one-hot KL = categorical KL', kl(op, oq).dataSync()[1], kl(p, q).dataSync()[1], 1e-5, 1e-6);
      }),
      { seed: 210, numRuns: 4 },
    );
    const p = new Categorical({ probs: tensor([0.5, 0.5, 0]) });
    expectClose(
      'KL with a zero in p',
      kl(p, new Categorical({ probs: tensor([0.25, 0.25, 0.5]) })).item(),
      Math.log(2),
      1e-6,
    );
    expect(kl(p, new Categorical({ probs: tensor([1, 0, 0]) })).item()).toBe(Infinity);
  });

  it('Independent–Independent sums the base KL over the event axes', () => {
    const p = new Normal(
      tensor([
        [0, 1, 2],
        [1, 1, 1],
      ]),
      tensor([1, 2, 0.5]),
    ).toEvent(1);
    const q = new Normal(tensor([0.5, 0, -1]), tensor([1.5, 1, 1])).toEvent(1);
    expect(kl(p, q).shape).toEqual([2]);
    const base = kl(
      new Normal(
        tensor([
          [0, 1, 2],
          [1, 1, 1],
        ]),
        tensor([1, 2, 0.5]),
      ),
      new Normal(tensor([0.5, 0, -1]), tensor([1.5, 1, 1])),
    );
    expectClose('sum', kl(p, q).dataSync()[1], base.sum(-1).dataSync()[1], 1e-6);
    checkKLMonteCarlo('Independent(Normal)', p, q);
  });
});

describe('KL is differentiable in both arguments (gradients vs central finite differences)', () => {
  /** Compare grad of kl(make(pp), make(qp)) w.r.t. both parameter pytrees with finite differences. */
  function checkGrad(
    label: string,
    makeP: (t: any) => Distribution,
    makeQ: (t: any) => Distribution,
    pp: any,
    qp: any,
    h = 1e-2,
  ): void {
    const f = (a: any, b: any) => kl(makeP(a), makeQ(b)).sum();
    const [ga, gb] = grad(f, [0, 1])(pp, qp) as [any, any];
    for (const [which, params, g] of [
      ['p', pp, ga],
      ['q', qp, gb],
    ] as const) {
      const [leaves, def] = treeFlatten(params);
      const [gl] = treeFlatten(g);
      leaves.forEach((leaf, li) => {
        const data = leaf.dataSync();
        for (let i = 0; i < data.length; i++) {
          const bump = (delta: number) => {
            const copy = Float32Array.from(data);
            copy[i] += delta;
            const next = leaves.map((l, k) => (k === li ? Tensor.fromData(copy, l.shape) : l));
            const tree = treeUnflatten(def, next);
            return (which === 'p' ? f(tree, qp) : f(pp, tree)).item();
          };
          const step = h * Math.max(1, Math.abs(data[i]));
          const fd = (bump(step) - bump(-step)) / (2 * step);
          expectClose(`${label}: d/d${which}[${li}][${i}]`, gl[li].dataSync()[i], fd, 2e-2, 2e-3);
        }
      });
    }
  }

  const mvnP = {
    loc: tensor([0.5, -1]),
    scaleTril: tensor([
      [1.2, 0],
      [0.3, 0.8],
    ]),
  };
  const mvnQ = {
    loc: tensor([0, 0.2]),
    scaleTril: tensor([
      [0.9, 0],
      [-0.4, 1.5],
    ]),
  };
  const cases: [string, (t: any) => Distribution, (t: any) => Distribution, any, any][] = [
    [
      'Normal',
      (t) => new Normal(t.loc, t.scale),
      (t) => new Normal(t.loc, t.scale),
      { loc: tensor([0.3, -1]), scale: tensor([0.7, 2]) },
      { loc: tensor([1, 0]), scale: tensor([1.3, 0.9]) },
    ],
    // tril: the finite difference also bumps entries above the diagonal, whose gradient must be 0
    [
      'MultivariateNormal',
      (t) => new MultivariateNormal(t.loc, tril(t.scaleTril)),
      (t) => new MultivariateNormal(t.loc, tril(t.scaleTril)),
      mvnP,
      mvnQ,
    ],
    [
      'Bernoulli',
      (t) => new Bernoulli({ logits: t }),
      (t) => new Bernoulli({ probs: t }),
      tensor([0.3, -2]),
      tensor([0.6, 0.2]),
    ],
    [
      'Categorical',
      (t) => new Categorical({ logits: t }),
      (t) => new Categorical({ logits: t }),
      tensor([0.3, -1, 2]),
      tensor([1, 0, -0.5]),
    ],
    ['Poisson', (t) => new Poisson(t), (t) => new Poisson(t), tensor([2.5, 0.7]), tensor([4, 1.1])],
    [
      'Gamma',
      (t) => new Gamma(t.a, t.b),
      (t) => new Gamma(t.a, t.b),
      { a: tensor([2.5, 0.7]), b: tensor([1.5, 3]) },
      { a: tensor([1.2, 1.1]), b: tensor([0.8, 2]) },
    ],
    [
      'Beta',
      (t) => new Beta(t.a, t.b),
      (t) => new Beta(t.a, t.b),
      { a: tensor([2.5, 0.7]), b: tensor([1.5, 3]) },
      { a: tensor([1.2, 1.1]), b: tensor([0.8, 2]) },
    ],
    ['Dirichlet', (t) => new Dirichlet(t), (t) => new Dirichlet(t), tensor([2.5, 0.7, 1.5]), tensor([1.2, 1.1, 3])],
    ['Exponential', (t) => new Exponential(t), (t) => new Exponential(t), tensor([2.5, 0.7]), tensor([1.2, 1.1])],
  ];
  for (const [label, makeP, makeQ, pp, qp] of cases) it(label, () => checkGrad(label, makeP, makeQ, pp, qp));

  it('the gradient check has power: a KL that drops a gradient path is caught', () => {
    class StoppedNormal extends Normal {}
    registerKL(StoppedNormal, Normal, (p, q) => kl(new Normal(p.loc, stopGradient(p.scale)), q));
    const make = (t: any) => new StoppedNormal(t.loc, t.scale);
    const mk = (t: any) => new Normal(t.loc, t.scale);
    expect(() =>
      checkGrad(
        'stopped',
        make,
        mk,
        { loc: tensor([0.3]), scale: tensor([0.7]) },
        { loc: tensor([1]), scale: tensor([2]) },
      ),
    ).toThrow(/d\/dp/);
  });
});

describe('registry', () => {
  it('unknown pairs throw an error that names the pair', () => {
    expect(() => kl(new Normal(0, 1), new Gamma(1, 1))).toThrow(
      'kl: no closed form registered for KL(Normal || ' +
        'Gamma); register one with registerKL(Normal, Gamma, fn) or estimate it by Monte Carlo',
    );
    expect(() => kl(new Poisson(1), new Normal(0, 1))).toThrow(
      'kl: no closed form registered for KL(Poisson || Normal)',
    );
  });

  it('mismatched shapes are reported', () => {
    expect(() => kl(new Normal(tensor([0, 1]), 1), new Normal(tensor([0, 1, 2]), 1))).toThrow(
      'kl: batch shapes [2] and [3] of KL(Normal || Normal) cannot be broadcast',
    );
    expect(() => kl(new Dirichlet(tensor([1, 2])), new Dirichlet(tensor([1, 2, 3])))).toThrow(
      'kl: event shapes differ: KL(Dirichlet || Dirichlet) with [2] and [3]',
    );
    expect(() => kl(new Normal(0, 1) as Distribution, 3 as unknown as Distribution)).toThrow(
      'kl: both arguments must be distributions, got Normal and number',
    );
  });

  it('registerKL adds a pair; lookup walks up the class hierarchy (most specific wins)', () => {
    class MyNormal extends Normal {}
    const p = new MyNormal(0, 1);
    // inherits Normal–Normal
    expectClose('inherited', kl(p, new Normal(1, 1)).item(), 0.5, 1e-6);
    registerKL(MyNormal, Normal, () => tensor(42));
    expect(kl(p, new Normal(1, 1)).item()).toBe(42);
    expect(kl(new Normal(0, 1), new Normal(1, 1)).item()).toBeCloseTo(0.5, 6);
    // a new pair: Exponential vs Gamma (closed form: Exponential(λ) = Gamma(1, λ))
    registerKL(Exponential, Gamma, (e, g) => kl(new Gamma(1, e.rate), g));
    expectClose(
      'Exponential–Gamma',
      kl(new Exponential(2), new Gamma(1, 3)).item(),
      kl(new Exponential(2), new Exponential(3)).item(),
      1e-6,
    );
    expect(() => registerKL(Normal, Normal, 3 as never)).toThrow(
      'registerKL: fn must be a function (p, q) => Tensor, got number',
    );
  });

  it('Independent with a different number of reinterpreted axes is refused', () => {
    const base = new Normal(
      tensor([
        [0, 1],
        [1, 2],
      ]),
      1,
    );
    const p = new Independent(base.toEvent(1), 1);
    const q = base.toEvent(2);
    expect(() => kl(p, q)).toThrow(
      'kl: Independent distributions reinterpret 1 and 2 batch axes; KL needs the same number',
    );
  });
});
