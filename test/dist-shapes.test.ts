/**
 * Shapes and the common interface: for random batch shapes (parameters that broadcast to them)
 * and random sample shapes, every family's sample, rsample, noise, logProb, entropy, mean and
 * variance have the documented shapes; logProb broadcasts; the same key gives the same sample;
 * rsampleWithNoise / fromNoise recompute the same value with the same gradient; detach, expand,
 * toEvent and withParams behave; the unnormalized target wrapper works.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { grad, treeFlatten } from '../src/autodiff/index.js';
import { tensor } from '../src/tensor/creation.js';
import { ge, square, where } from '../src/tensor/ops/index.js';
import { shapeSize } from '../src/tensor/shape.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { key } from '../src/random/index.js';
import {
  Bernoulli,
  Beta,
  Categorical,
  Dirichlet,
  Exponential,
  Gamma,
  Independent,
  LogNormal,
  MixtureSameFamily,
  MultivariateNormal,
  Normal,
  OneHotCategorical,
  Poisson,
  Uniform,
  UnnormalizedDensity,
  constraints,
  type Distribution,
} from '../src/dist/index.js';
import { expectClose } from './dist-helpers.js';

/** A tensor of the given shape with valid positive values in [lo, lo + 1). */
function filled(shape: number[], lo = 0.5): Tensor {
  const n = shapeSize(shape);
  return tensor(
    Array.from({ length: n }, (_, i) => lo + ((i * 0.37) % 1)),
    shape,
  );
}

/** `shape` with some leading axes dropped and some others set to 1 (still broadcasts to `shape`). */
function subShape(shape: number[], mask: number): number[] {
  const drop = mask % (shape.length + 1);
  return shape.slice(drop).map((d, i) => ((mask >> (i + 2)) & 1 ? 1 : d));
}

interface Family {
  name: string;
  make: (b: number[], mask: number) => Distribution;
  event: number[];
}

const L2 = tensor([
  [1, 0],
  [0.5, 2],
]);

const families: Family[] = [
  { name: 'Normal', event: [], make: (b, m) => new Normal(filled(b, -1), filled(subShape(b, m))) },
  { name: 'LogNormal', event: [], make: (b, m) => new LogNormal(filled(subShape(b, m), -1), filled(b)) },
  { name: 'Uniform', event: [], make: (b, m) => new Uniform(filled(b, -1), filled(subShape(b, m), 1)) },
  { name: 'Exponential', event: [], make: (b) => new Exponential(filled(b)) },
  { name: 'Gamma', event: [], make: (b, m) => new Gamma(filled(b), filled(subShape(b, m))) },
  { name: 'Beta', event: [], make: (b, m) => new Beta(filled(subShape(b, m)), filled(b)) },
  { name: 'Poisson', event: [], make: (b) => new Poisson(filled(b, 1)) },
  { name: 'Bernoulli', event: [], make: (b) => new Bernoulli({ logits: filled(b, -0.5) }) },
  { name: 'Bernoulli(probs)', event: [], make: (b) => new Bernoulli({ probs: filled(b, 0) }) },
  { name: 'Categorical', event: [], make: (b) => new Categorical({ logits: filled([...b, 3], -1) }) },
  { name: 'OneHotCategorical', event: [3], make: (b) => new OneHotCategorical({ logits: filled([...b, 3], -1) }) },
  { name: 'Dirichlet', event: [3], make: (b) => new Dirichlet(filled([...b, 3])) },
  {
    name: 'MultivariateNormal',
    event: [2],
    make: (b, m) => new MultivariateNormal(filled([...b, 2]), L2.broadcastTo([...subShape(b, m), 2, 2])),
  },
  {
    name: 'MixtureSameFamily',
    event: [],
    make: (b, m) =>
      new MixtureSameFamily(
        new Categorical({ logits: filled([...subShape(b, m), 2]) }),
        new Normal(filled([...b, 2]), 1),
      ),
  },
  {
    name: 'Mixture of MVNs',
    event: [2],
    make: (b) =>
      new MixtureSameFamily(new Categorical({ logits: filled([2]) }), new MultivariateNormal(filled([...b, 2, 2]), L2)),
  },
  { name: 'Independent(Normal)', event: [2], make: (b) => new Normal(filled([...b, 2]), 1).toEvent(1) },
  {
    name: 'Independent(Dirichlet)',
    event: [2, 3],
    make: (b) => new Independent(new Dirichlet(filled([...b, 2, 3])), 1),
  },
];

const shapeArb = (maxDims: number) => fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: maxDims });

describe('shapes: sample shape ++ batch shape ++ event shape (random combinations)', () => {
  for (const fam of families) {
    it(fam.name, () => {
      fc.assert(
        fc.property(shapeArb(3), shapeArb(2), fc.nat(255), (b, s, mask) => {
          const d = fam.make(b, mask);
          expect(d.batchShape).toEqual(b);
          expect(d.eventShape).toEqual(fam.event);
          const full = [...s, ...b, ...fam.event];
          const x = d.sample(key(1), s);
          expect(x.shape).toEqual(full);
          expect(Array.from(d.support.check(x).dataSync()).every((v) => v === 1)).toBe(true);
          // logProb: sample shape ++ batch shape
          const lp = d.logProb(x);
          expect(lp.shape).toEqual([...s, ...b]);
          expect(Array.from(lp.dataSync()).every((v) => Number.isFinite(v))).toBe(true);
          // logProb broadcasts: the batch axes of the value may be 1, or missing
          const ones = x.slice(
            full.map(() => 0),
            full.map((dim, i) => (i >= s.length && i < s.length + b.length ? 1 : dim)),
          );
          expect(d.logProb(ones).shape).toEqual([...s, ...b]);
          const event = x
            .reshape([-1, ...fam.event])
            .slice([0], [1])
            .reshape(fam.event);
          expect(d.logProb(event).shape).toEqual(b);
          // moments
          expect(d.mean.shape).toEqual([...b, ...fam.event]);
          expect(d.variance.shape).toEqual([...b, ...fam.event]);
          if (!(d instanceof MixtureSameFamily)) expect(d.entropy().shape).toEqual(b);
          // reparameterized families: rsample, noise, fromNoise
          if (d.hasRsample) {
            const { value, noise } = d.rsampleWithNoise(key(1), s);
            expect(value.shape).toEqual(full);
            expect(noise.shape.slice(0, full.length)).toEqual(full);
            expect(d.fromNoise(noise).toArray()).toEqual(value.toArray());
            expect(value.toArray()).toEqual(x.toArray()); // sample = rsample without the gradient
          } else {
            expect(() => d.rsample(key(1), s)).toThrow(/score-function estimator/);
          }
          // expand
          const e = d.expand([2, ...b]);
          expect(e.batchShape).toEqual([2, ...b]);
          expect(e.sample(key(2), s).shape).toEqual([...s, 2, ...b, ...fam.event]);
          // same key, same sample; detach keeps the values
          expect(d.sample(key(1), s).toArray()).toEqual(x.toArray());
          expect(d.detach().sample(key(1), s).toArray()).toEqual(x.toArray());
          expect(d.detach().logProb(x).toArray()).toEqual(lp.toArray());
        }),
        { seed: 501, numRuns: 12 },
      );
    });
  }
});

describe('the common interface', () => {
  it('different keys give different samples; a key gives the same sample on every call', () => {
    for (const fam of families) {
      const d = fam.make([4], 0);
      const a = d.sample(key(10), [8]).toArray();
      expect(d.sample(key(10), [8]).toArray(), fam.name).toEqual(a);
      expect(d.sample(key(11), [8]).toArray(), fam.name).not.toEqual(a);
    }
  });

  it('fromNoise recomputes the rsample value and its gradient (stored noise, RVRS style)', () => {
    const cases: [string, (p: Tensor[]) => Distribution, Tensor[]][] = [
      ['Normal', ([m, s]) => new Normal(m, s), [tensor([0.5, -1]), tensor([1.5, 0.3])]],
      ['Gamma', ([a, b]) => new Gamma(a, b), [tensor([0.5, 3]), tensor([1.5, 0.3])]],
      ['Beta', ([a, b]) => new Beta(a, b), [tensor([0.5, 3]), tensor([1.5, 0.3])]],
      ['Dirichlet', ([a]) => new Dirichlet(a), [tensor([0.5, 3, 1])]],
      ['MultivariateNormal', ([m, l]) => new MultivariateNormal(m, l), [tensor([0.5, 1]), L2]],
      ['LogNormal', ([m, s]) => new LogNormal(m, s), [tensor([0.5, -1]), tensor([1.5, 0.3])]],
      ['Uniform', ([l, h]) => new Uniform(l, h), [tensor([0.5, -1]), tensor([1.5, 0.3])]],
      ['Exponential', ([r]) => new Exponential(r), [tensor([0.5, 3])]],
    ];
    for (const [name, make, params] of cases) {
      const { value, noise } = make(params).rsampleWithNoise(key(3), [5]);
      // select 3 "accepted" draws by their noise (leading axis = sample axis), recompute later
      const kept = noise.slice([1], [4]);
      expect(make(params).fromNoise(kept).toArray(), name).toEqual(value.slice([1], [4]).toArray());
      const f = (...p: Tensor[]) => square(make(p).fromNoise(kept)).sum();
      const g = (...p: Tensor[]) => square(make(p).rsample(key(3), [5]).slice([1], [4])).sum();
      const gf = grad(
        f,
        params.map((_, i) => i),
      )(...params) as Tensor[];
      const gr = grad(
        g,
        params.map((_, i) => i),
      )(...params) as Tensor[];
      gf.forEach((t, i) => expect(t.toArray(), `${name} param ${i}`).toEqual(gr[i].toArray()));
      expect(
        gf.some((t) => t.abs().sum().item() > 0),
        name,
      ).toBe(true);
    }
  });

  it('detach(): stop-gradient on every parameter, gradient still flows to the value', () => {
    const loc = tensor([0.5, -1]);
    const scale = tensor([1.5, 0.3]);
    const x = tensor([0.2, 0.4]);
    const [gl, gs, gx] = grad(
      (l: Tensor, s: Tensor, v: Tensor) => new Normal(l, s).detach().logProb(v).sum(),
      [0, 1, 2],
    )(loc, scale, x) as Tensor[];
    expect(gl.toArray()).toEqual([0, 0]);
    expect(gs.toArray()).toEqual([0, 0]);
    const gx2 = grad((v: Tensor) => new Normal(loc, scale).logProb(v).sum())(x) as Tensor;
    expect(gx.toArray()).toEqual(gx2.toArray());
    // sticking the landing: the rsample path still carries the gradient, the density's parameters do not
    const stl = grad((l: Tensor) => {
      const q = new Normal(l, scale);
      const z = q.rsample(key(4), [3]);
      return q.detach().logProb(z).sum();
    })(loc) as Tensor;
    expect(stl.abs().sum().item()).toBeGreaterThan(0);
    // nested parameters (mixture) are all detached
    const mix = (w: Tensor) => new MixtureSameFamily(new Categorical({ logits: w }), new Normal(tensor([0, 1]), 1));
    expect((grad((w: Tensor) => mix(w).detach().logProb(0.3))(tensor([0.1, 0.2])) as Tensor).toArray()).toEqual([0, 0]);
    expect((grad((w: Tensor) => mix(w).logProb(0.3))(tensor([0.1, 0.2])) as Tensor).abs().sum().item()).toBeGreaterThan(
      0,
    );
  });

  it('expand(): broadcasts the parameters; gradients reach the originals', () => {
    const loc = tensor(0.5);
    const d = new Normal(loc, 2);
    const e = d.expand([3, 2]);
    expect(e.batchShape).toEqual([3, 2]);
    const x = filled([3, 2], -1);
    const ge1 = grad((l: Tensor) => new Normal(l, 2).expand([3, 2]).logProb(x).sum())(loc) as Tensor;
    const ge2 = grad((l: Tensor) => new Normal(l, 2).logProb(x).sum())(loc) as Tensor;
    expectClose('expanded gradient', ge1.item(), ge2.item(), 1e-6);
    expect(() => d.expand([3, 2]).expand([4, 2])).toThrow('Normal.expand: cannot expand batch shape [3,2] to [4,2]');
    expect(new Dirichlet(tensor([1, 2, 3])).expand([4]).sample(key(1)).shape).toEqual([4, 3]);
    expect(d.expand([]) === d).toBe(true);
  });

  it('toEvent(n) / Independent: logProb sums over the reinterpreted axes', () => {
    const base = new Normal(filled([2, 3], -1), filled([3]));
    const ind = base.toEvent(1);
    expect(ind.batchShape).toEqual([2]);
    expect(ind.eventShape).toEqual([3]);
    const x = base.sample(key(5), [4]);
    const want = base.logProb(x).sum(-1).dataSync();
    ind
      .logProb(x)
      .dataSync()
      .forEach((v, i) => expectClose(`sum ${i}`, v, want[i], 1e-6));
    expectClose('entropy', ind.entropy().dataSync()[0], base.entropy().sum(-1).dataSync()[0], 1e-6);
    const both = base.toEvent(2);
    expect(both.batchShape).toEqual([]);
    expect(both.eventShape).toEqual([2, 3]);
    expectClose('toEvent(2)', both.logProb(x).dataSync()[0], base.logProb(x).sum([-2, -1]).dataSync()[0], 1e-6);
    expect(base.toEvent(0).logProb(x).shape).toEqual([4, 2, 3]);
    expect(ind.hasRsample).toBe(true);
    expect(new Poisson(tensor([1, 2])).toEvent(1).hasRsample).toBe(false);
    expect(String(ind)).toBe('Independent(Normal(batchShape=[2,3], eventShape=[]), 1)');
  });

  it('params and withParams: a distribution as a differentiable function of a pytree', () => {
    const q = new Normal(tensor([0, 1]), tensor([1, 2]));
    expect(Object.keys(q.params).sort()).toEqual(['loc', 'scale']);
    const g = grad((p: { loc: Tensor; scale: Tensor }) =>
      q
        .withParams(p)
        .logProb(tensor([0.5, 0.5]))
        .sum(),
    )(q.params) as { loc: Tensor; scale: Tensor };
    expectClose('d/dloc', g.loc.dataSync()[0], 0.5, 1e-6);
    const m = new MixtureSameFamily(new Categorical({ logits: tensor([0, 1]) }), new Gamma(tensor([1, 2]), 1));
    const leaves = treeFlatten(m.params)[0];
    expect(leaves.length).toBe(3);
    expect(() => q.withParams({ loc: tensor([0, 1]), scale: tensor([1, -2]) })).toThrow(
      'Normal: scale must be > 0, got -2 at index 1',
    );
  });

  it('enumerateSupport shapes', () => {
    expect(new Bernoulli({ logits: filled([2, 3]) }).enumerateSupport().shape).toEqual([2, 1, 1]);
    expect(new Categorical({ logits: filled([2, 4]) }).enumerateSupport().shape).toEqual([4, 1]);
    expect(new OneHotCategorical({ logits: filled([2, 4]) }).enumerateSupport().shape).toEqual([4, 1, 4]);
  });

  it('supports are described by constraints', () => {
    expect(new Normal(0, 1).support.name).toBe('real');
    expect(new Gamma(1, 1).support.name).toBe('positive');
    expect(new Beta(1, 1).support.name).toBe('unit interval [0, 1]');
    expect(new Poisson(1).support.name).toBe('non-negative integer');
    expect(new Categorical({ logits: filled([3]) }).support.name).toBe('integer interval [0, 2]');
    expect(new Dirichlet(filled([3])).support.name).toBe('simplex');
    expect(new Uniform(0, 2).support.name).toBe('interval [0, 2]');
    expect(
      new Normal(filled([2]), 1)
        .toEvent(1)
        .support.check(
          tensor([
            [1, 2],
            [NaN, 1],
          ]),
        )
        .toArray(),
    ).toEqual([1, 0]);
    expect(
      constraints.simplex
        .check(
          tensor([
            [0.5, 0.5],
            [0.5, 0.6],
          ]),
        )
        .toArray(),
    ).toEqual([1, 0]);
    expect(constraints.positive.discrete).toBe(false);
    expect(constraints.nonNegativeInteger.discrete).toBe(true);
  });
});

describe('UnnormalizedDensity', () => {
  // The VRS diagnostic target: Poisson(10) with the mass on z < 5 replaced by ε (log ε = -100).
  const truncated = (rate: Tensor) =>
    new UnnormalizedDensity(
      (z: Tensor, p: { rate: Tensor }) => where(ge(z, 5), new Poisson(p.rate).logProb(z), -100),
      { rate },
      { support: constraints.nonNegativeInteger, name: 'TruncatedPoisson' },
    );

  it('logProb is the given unnormalized log density, -Infinity outside the support', () => {
    const t = truncated(tensor(10));
    const z = tensor([0, 3, 5, 10, -1, 2.5]);
    const lp = t.logProb(z).dataSync();
    expect(lp[0]).toBe(-100);
    expect(lp[1]).toBe(-100);
    expectClose('P(10)', lp[3], new Poisson(10).logProb(10).item(), 1e-6);
    expect(lp[4]).toBe(-Infinity);
    expect(lp[5]).toBe(-Infinity);
    // log Σ_z P(z) = -0.029689 (docs/estimator-math.md §5.6, z < 400)
    const zs = tensor(Array.from({ length: 400 }, (_, i) => i));
    expectClose('log normalizer', t.logProb(zs).logsumexp().item(), -0.029689, 0, 2e-5);
    expect(t.normalized).toBe(false);
  });

  it('gradients flow to its params; detach stops them; it cannot be sampled', () => {
    const g = grad((r: Tensor) => truncated(r).logProb(tensor(12)))(tensor(10)) as Tensor;
    expectClose('d/drate', g.item(), 12 / 10 - 1, 1e-5);
    const gd = grad((r: Tensor) => truncated(r).detach().logProb(tensor(12)))(tensor(10)) as Tensor;
    expect(gd.item()).toBe(0);
    const t = truncated(tensor(10));
    expect(() => t.sample(key(1))).toThrow(
      'TruncatedPoisson.sample: TruncatedPoisson is an unnormalized density: it ' +
        'cannot be sampled; use it as the target p of an estimator (or sample it by MCMC or rejection)',
    );
    expect(() => t.rsample(key(1))).toThrow('TruncatedPoisson.rsample: TruncatedPoisson is an unnormalized density');
    expect(() => t.entropy()).toThrow('TruncatedPoisson.entropy: not available in closed form');
    expect(() => t.mean).toThrow('TruncatedPoisson.mean: not available in closed form');
  });

  it('batch and event shapes, and a vector target', () => {
    const banana = new UnnormalizedDensity(
      (x: Tensor, p: { b: Tensor }) => {
        const [x1, x2] = [x.slice([null, 0], [null, 1]), x.slice([null, 1], [null, 2])].map((t) =>
          t.reshape(t.shape.slice(0, -1)),
        );
        return square(x1)
          .mul(-0.5)
          .sub(square(x2.sub(square(x1).mul(p.b))).mul(0.5));
      },
      { b: tensor(0.5) },
      { eventShape: [2] },
    );
    expect(
      Array.from(
        banana
          .logProb(
            tensor([
              [0, 0],
              [1, 0.5],
            ]),
          )
          .dataSync(),
        (v) => v + 0,
      ),
    ).toEqual([0, -0.5]);
    expect(() => banana.logProb(tensor([1, 2, 3]))).toThrow(
      'UnnormalizedDensity.logProb: value of shape [3] must end with the event shape [2]',
    );
  });
});

describe('the documentation example (docs/distributions.md) runs from the package root', () => {
  it('ELBO gradient and KL', async () => {
    const sieve = await import('../src/index.js');
    const { grad: g0, key: k0, tensor: t0, Normal: N0, kl: kl0 } = sieve;
    const x = t0([0.3, -1.2, 2.0]);
    const elbo = (p: { mu: Tensor; logSigma: Tensor }, k: ReturnType<typeof k0>) => {
      const q = new N0(p.mu, p.logSigma.exp());
      const z = q.rsample(k, [16]);
      const logJoint = new N0(0, 1).logProb(z).add(new N0(z.expandDims(-1), 1).logProb(x).sum(-1));
      return logJoint.sub(q.logProb(z)).mean();
    };
    const g = g0(elbo)({ mu: t0(0), logSigma: t0(0) }, k0(0)) as { mu: Tensor; logSigma: Tensor };
    // pathwise: d/dmu = mean over draws of d log p(x, z)/dz = Σ(x - z) - z = 1.1 - 4z
    // (q's density is constant along the path)
    const z = new N0(0, 1).rsample(k0(0), [16]);
    expectClose('d ELBO / d mu', g.mu.item(), 1.1 - 4 * z.mean().item(), 1e-5, 1e-5);
    expect(Number.isFinite(g.logSigma.item())).toBe(true);
    expect(kl0(new N0(0, 1), new N0(t0([1, 2]), 2)).shape).toEqual([2]);
  });
});
