/**
 * Densities and masses: normalization (pmfs sum to 1 over the support, with a bounded tail for
 * Poisson; 1-D densities integrate to 1 by Simpson quadrature after a substitution that makes the
 * integrand smooth), and the closed-form entropy, mean and variance against the same quadrature or
 * enumeration. Also exact values at a few points, and -Infinity (never NaN) outside the support.
 *
 * These checks are deterministic (no sampling). Tolerances: float32 log-densities carry an
 * absolute error of about 1e-7 · |terms| (lgamma of large arguments dominates), so integrals are
 * allowed 2e-4; any error in a normalizing constant or a formula shows up at 1e-2 or more.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { grad, treeFlatten } from '../src/autodiff/index.js';
import { tensor } from '../src/tensor/creation.js';
import type { Tensor } from '../src/tensor/tensor.js';
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
import { ge, where } from '../src/tensor/ops/index.js';
import { expectClose, grid, lgamma, simpsonWeights } from './dist-helpers.js';

const pos = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
const logUniform = (min: number, max: number) => pos(Math.log(min), Math.log(max)).map(Math.exp);

interface Quad {
  total: number;
  mean: number;
  variance: number;
  entropy: number;
}

/**
 * ∫ p, ∫ x p, ∫ (x - m)² p and -∫ p log p for a scalar distribution (batch shape []), over
 * x = map(t), t on [a, b] with n Simpson points; dxdt gives the Jacobian.
 */
function quad(
  d: Distribution,
  a: number,
  b: number,
  n: number,
  map: (t: number) => number = (t) => t,
  dxdt: (t: number, x: number) => number = () => 1,
): Quad {
  const ts = grid(a, b, n);
  const xs = Float32Array.from(ts, map);
  const lp = d.logProb(tensor(xs)).dataSync();
  const w = simpsonWeights(n, (b - a) / (n - 1));
  let total = 0;
  let m1 = 0;
  let ent = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.exp(lp[i]) * dxdt(ts[i], xs[i]);
    if (p === 0) continue;
    total += w[i] * p;
    m1 += w[i] * p * xs[i];
    ent -= w[i] * p * lp[i];
  }
  const mean = m1 / total;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.exp(lp[i]) * dxdt(ts[i], xs[i]);
    v += w[i] * p * (xs[i] - mean) ** 2;
  }
  return { total, mean, variance: v / total, entropy: ent };
}

const expQuad = (d: Distribution, a: number, b: number, n: number) => quad(d, a, b, n, Math.exp, (_t, x) => x);

function checkQuad(label: string, d: Distribution, q: Quad, opts: { entropy?: boolean; moments?: boolean } = {}): void {
  expectClose(`${label}: ∫p`, q.total, 1, 0, 2e-4);
  if (opts.entropy !== false) expectClose(`${label}: entropy`, d.entropy().item(), q.entropy, 2e-4, 1e-3);
  if (opts.moments !== false) {
    expectClose(`${label}: mean`, d.mean.item(), q.mean, 2e-4, 1e-4);
    expectClose(`${label}: variance`, d.variance.item(), q.variance, 5e-4, 1e-5);
  }
}

describe('continuous 1-D densities integrate to 1; entropy, mean and variance match quadrature', () => {
  it('Normal', () => {
    fc.assert(
      fc.property(pos(-5, 5), logUniform(0.05, 20), (mu, sigma) => {
        const d = new Normal(mu, sigma);
        checkQuad(`Normal(${mu}, ${sigma})`, d, quad(d, mu - 12 * sigma, mu + 12 * sigma, 4001));
      }),
      { seed: 1, numRuns: 15 },
    );
  });

  it('LogNormal', () => {
    fc.assert(
      fc.property(pos(-2, 2), logUniform(0.1, 1), (mu, sigma) => {
        const d = new LogNormal(mu, sigma);
        checkQuad(`LogNormal(${mu}, ${sigma})`, d, expQuad(d, mu - 14 * sigma, mu + 14 * sigma, 8001));
      }),
      { seed: 2, numRuns: 15 },
    );
  });

  it('Uniform', () => {
    fc.assert(
      fc.property(pos(-10, 10), logUniform(0.01, 100), (lo, width) => {
        const hi = Math.fround(lo + width);
        const d = new Uniform(lo, hi);
        const l = Math.fround(lo);
        checkQuad(`Uniform(${lo}, ${hi})`, d, quad(d, l, hi, 2001), { moments: true });
      }),
      { seed: 3, numRuns: 15 },
    );
  });

  it('Exponential', () => {
    fc.assert(
      fc.property(logUniform(0.01, 100), (rate) => {
        const d = new Exponential(rate);
        checkQuad(`Exponential(${rate})`, d, expQuad(d, Math.log(1e-12 / rate), Math.log(60 / rate), 8001));
      }),
      { seed: 4, numRuns: 15 },
    );
  });

  it('Gamma', () => {
    fc.assert(
      fc.property(logUniform(0.5, 50), logUniform(0.1, 10), (alpha, rate) => {
        const d = new Gamma(alpha, rate);
        const hi = Math.log((alpha + 20 * Math.sqrt(alpha) + 40) / rate);
        checkQuad(`Gamma(${alpha}, ${rate})`, d, expQuad(d, -80, hi, 16001));
      }),
      { seed: 5, numRuns: 15 },
    );
  });

  it('Beta (each half of [0, 1] through a logit substitution, so no float32 rounding near 1)', () => {
    fc.assert(
      fc.property(logUniform(0.5, 30), logUniform(0.5, 30), (a, b) => {
        const sig = (t: number) => 1 / (1 + Math.exp(-t));
        const half = (x: Beta) => quad(x, -80, 0, 8001, sig, (_t, x) => x * (1 - x));
        const q1 = half(new Beta(a, b));
        const q2 = half(new Beta(b, a)); // mass of Beta(a, b) on [1/2, 1], mirrored
        const d = new Beta(a, b);
        expectClose(`Beta(${a}, ${b}): ∫p`, q1.total + q2.total, 1, 0, 2e-4);
        // entropy: -∫ p log p is the sum of the two halves (the mirror has the same values)
        expectClose(`Beta(${a}, ${b}): entropy`, d.entropy().item(), q1.entropy + q2.entropy, 2e-4, 1e-3);
        const mean = q1.total * q1.mean + q2.total * (1 - q2.mean);
        expectClose(`Beta(${a}, ${b}): mean`, d.mean.item(), mean, 2e-4, 1e-4);
        const second = q1.total * (q1.variance + q1.mean ** 2) + q2.total * (q2.variance + (1 - q2.mean) ** 2);
        expectClose(`Beta(${a}, ${b}): variance`, d.variance.item(), second - mean ** 2, 2e-3, 2e-5);
      }),
      { seed: 6, numRuns: 15 },
    );
  });

  it('MixtureSameFamily of Normals (mean and variance by the law of total variance)', () => {
    fc.assert(
      fc.property(
        fc.array(pos(-3, 3), { minLength: 3, maxLength: 3 }),
        fc.array(pos(-5, 5), { minLength: 3, maxLength: 3 }),
        fc.array(logUniform(0.3, 3), { minLength: 3, maxLength: 3 }),
        (logits, mus, sigmas) => {
          const d = new MixtureSameFamily(
            new Categorical({ logits: tensor(logits) }),
            new Normal(tensor(mus), tensor(sigmas)),
          );
          checkQuad('mixture', d, quad(d, -5 - 12 * 3, 5 + 12 * 3, 20001), { entropy: false });
        },
      ),
      { seed: 7, numRuns: 10 },
    );
  });

  it('Dirichlet with K = 2 is the Beta density on the first coordinate', () => {
    fc.assert(
      fc.property(logUniform(0.3, 20), logUniform(0.3, 20), pos(0.001, 0.999), (a, b, x) => {
        const xf = Math.fround(x);
        const dir = new Dirichlet(tensor([a, b])).logProb(tensor([xf, 1 - xf])).item();
        expectClose('Dirichlet(a, b) vs Beta(a, b)', dir, new Beta(a, b).logProb(xf).item(), 1e-4, 1e-4);
        expectClose(
          'entropy',
          new Dirichlet(tensor([a, b])).entropy().item(),
          new Beta(a, b).entropy().item(),
          1e-4,
          1e-4,
        );
        // the first coordinate of Dirichlet(a, b) is Beta(a, b): same mean and variance
        expectClose('mean', new Dirichlet(tensor([a, b])).mean.dataSync()[0], new Beta(a, b).mean.item(), 1e-5, 1e-7);
        expectClose(
          'variance',
          new Dirichlet(tensor([a, b])).variance.dataSync()[0],
          new Beta(a, b).variance.item(),
          1e-5,
          1e-8,
        );
      }),
      { seed: 8, numRuns: 30 },
    );
  });

  it('Dirichlet with K = 3 integrates to 1 over the simplex (Gauss–Legendre after a Duffy transform)', () => {
    const [nodes, weights] = gaussLegendre(64);
    fc.assert(
      fc.property(pos(1, 5), pos(1, 5), pos(1, 5), (a1, a2, a3) => {
        const d = new Dirichlet(tensor([a1, a2, a3]));
        const pts: number[] = [];
        const ws: number[] = [];
        nodes.forEach((u, i) =>
          nodes.forEach((v, j) => {
            // x1 = u, x2 = (1 - u) v, x3 = (1 - u)(1 - v); dx1 dx2 = (1 - u) du dv
            const x1 = Math.fround(u);
            const x2 = Math.fround((1 - u) * v);
            pts.push(x1, x2, 1 - x1 - x2);
            ws.push(weights[i] * weights[j] * (1 - u));
          }),
        );
        const lp = d.logProb(tensor(pts, [ws.length, 3])).dataSync();
        const total = ws.reduce((s, w, i) => s + w * Math.exp(lp[i]), 0);
        expectClose(`Dirichlet(${a1}, ${a2}, ${a3})`, total, 1, 0, 2e-3);
        // mean, variance (coordinates 0 and 1) and entropy against the same quadrature
        const moment = (f: (i: number) => number) => ws.reduce((s, w, i) => s + w * Math.exp(lp[i]) * f(i), 0) / total;
        const mean = d.mean.dataSync();
        const variance = d.variance.dataSync();
        for (const c of [0, 1]) {
          const m = moment((i) => pts[3 * i + c]);
          expectClose(`mean[${c}]`, mean[c], m, 2e-3, 1e-4);
          expectClose(
            `variance[${c}]`,
            variance[c],
            moment((i) => (pts[3 * i + c] - m) ** 2),
            5e-3,
            1e-5,
          );
        }
        expectClose('entropy', d.entropy().item(), -moment((i) => lp[i]), 2e-3, 2e-3);
      }),
      { seed: 9, numRuns: 8 },
    );
  });

  it('MultivariateNormal integrates to 1 in 2-D and matches a float64 reference density', () => {
    fc.assert(
      fc.property(
        pos(-2, 2),
        pos(-2, 2),
        logUniform(0.3, 3),
        logUniform(0.3, 3),
        pos(-1, 1),
        (m1, m2, l11, l22, l21) => {
          const loc = tensor([m1, m2]);
          const L = tensor([
            [l11, 0],
            [l21, l22],
          ]);
          const d = new MultivariateNormal(loc, L);
          // Reference: Σ = L Lᵀ, explicit 2×2 inverse in float64
          const [a, c, e] = [l11 * l11, l11 * l21, l21 * l21 + l22 * l22];
          const det = a * e - c * c;
          const ref = (x: number, y: number) => {
            const dx = x - Math.fround(m1);
            const dy = y - Math.fround(m2);
            return (
              (-0.5 * (e * dx * dx - 2 * c * dx * dy + a * dy * dy)) / det - 0.5 * Math.log(det) - Math.log(2 * Math.PI)
            );
          };
          // grid over loc ± 9 std in each axis
          const s1 = Math.sqrt(a);
          const s2 = Math.sqrt(e);
          const n = 161;
          const xs = grid(m1 - 9 * s1, m1 + 9 * s1, n);
          const ys = grid(m2 - 9 * s2, m2 + 9 * s2, n);
          const wx = simpsonWeights(n, (18 * s1) / (n - 1));
          const wy = simpsonWeights(n, (18 * s2) / (n - 1));
          const pts: number[] = [];
          xs.forEach((x) => ys.forEach((y) => pts.push(x, y)));
          const lp = d.logProb(tensor(pts, [n * n, 2])).dataSync();
          let total = 0;
          for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) total += wx[i] * wy[j] * Math.exp(lp[i * n + j]);
          expectClose('∫p', total, 1, 0, 2e-4);
          for (const k of [0, 1000, 13000, 20000])
            expectClose(`logProb[${k}]`, lp[k], ref(Math.fround(pts[2 * k]), Math.fround(pts[2 * k + 1])), 1e-5, 1e-4);
        },
      ),
      { seed: 10, numRuns: 8 },
    );
  });
});

/** Nodes and weights of Gauss–Legendre quadrature on [0, 1] (Newton on the Legendre polynomial). */
function gaussLegendre(n: number): [number[], number[]] {
  const nodes: number[] = [];
  const weights: number[] = [];
  for (let i = 1; i <= n; i++) {
    let x = Math.cos((Math.PI * (i - 0.25)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k];
      dp = (n * (x * p1 - p0)) / (x * x - 1);
      const dx = p1 / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-15) break;
    }
    nodes.push((1 - x) / 2);
    weights.push(1 / ((1 - x * x) * dp * dp));
  }
  return [nodes, weights];
}

describe('discrete pmfs sum to 1; entropy, mean and variance match enumeration', () => {
  function checkEnumeration(label: string, d: Distribution, support: Tensor, xs: number[][], tail = 0): void {
    // support: [n, 1...] values; logProb gives [n, ...batch]
    const lp = d.logProb(support);
    const n = support.shape[0];
    const b = lp.size / n;
    const lpd = lp.dataSync();
    const ent = d.entropy().dataSync();
    const mean = d.mean.dataSync();
    const variance = d.variance.dataSync();
    for (let j = 0; j < b; j++) {
      let total = 0;
      let h = 0;
      let m = 0;
      let m2 = 0;
      for (let i = 0; i < n; i++) {
        const p = Math.exp(lpd[i * b + j]);
        total += p;
        if (p > 0) h -= p * lpd[i * b + j];
        m += p * xs[i][0];
        m2 += p * xs[i][0] ** 2;
      }
      expect(total, `${label}[${j}]: Σp = ${total}`).toBeLessThanOrEqual(1 + 1e-5);
      expect(total, `${label}[${j}]: Σp = ${total}, tail bound ${tail}`).toBeGreaterThanOrEqual(1 - tail - 1e-5);
      expectClose(`${label}[${j}] entropy`, ent[j], h, 1e-4, 1e-5);
      if (xs[0].length === 1) {
        expectClose(`${label}[${j}] mean`, mean[j], m, 1e-4, 1e-5);
        expectClose(`${label}[${j}] variance`, variance[j], m2 - m * m, 1e-3, 1e-5);
      }
    }
  }

  it('Bernoulli (logits and probs, including probabilities 0 and 1)', () => {
    fc.assert(
      fc.property(fc.array(pos(-20, 20), { minLength: 1, maxLength: 4 }), (logits) => {
        const d = new Bernoulli({ logits: tensor(logits) });
        checkEnumeration('Bernoulli(logits)', d, d.enumerateSupport(), [[0], [1]]);
        const p = new Bernoulli({ probs: d.probs });
        checkEnumeration('Bernoulli(probs)', p, p.enumerateSupport(), [[0], [1]]);
      }),
      { seed: 11, numRuns: 20 },
    );
    const edge = new Bernoulli({ probs: tensor([0, 1, 0.5]) });
    checkEnumeration('Bernoulli(0, 1, 0.5)', edge, edge.enumerateSupport(), [[0], [1]]);
    const h = edge.entropy().dataSync();
    expect(Math.abs(h[0]) + Math.abs(h[1])).toBe(0);
    expectClose('entropy at p = 1/2', h[2], Math.log(2), 1e-7);
  });

  it('Categorical and OneHotCategorical (logits and probs, including zero-probability categories)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(pos(-8, 8), { minLength: 12, maxLength: 12 }), (k, raw) => {
        const logits = tensor(raw.slice(0, 2 * k), [2, k]);
        const xs = Array.from({ length: k }, (_, i) => [i]);
        const c = new Categorical({ logits });
        checkEnumeration('Categorical(logits)', c, c.enumerateSupport(), xs);
        const cp = new Categorical({ probs: c.probs });
        checkEnumeration('Categorical(probs)', cp, cp.enumerateSupport(), xs);
        const oh = new OneHotCategorical({ logits });
        checkEnumeration(
          'OneHotCategorical',
          oh,
          oh.enumerateSupport(),
          xs.map(() => [0, 0]),
        );
      }),
      { seed: 12, numRuns: 20 },
    );
    const z = new Categorical({ probs: tensor([0, 0.25, 0, 0.75]) });
    checkEnumeration('Categorical with zeros', z, z.enumerateSupport(), [[0], [1], [2], [3]]);
    const zl = new Categorical({ logits: tensor([-Infinity, 0, -Infinity, Math.log(3)]) });
    checkEnumeration('Categorical with -Infinity logits', zl, zl.enumerateSupport(), [[0], [1], [2], [3]]);
    expectClose('entropy', zl.entropy().item(), -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)), 1e-6);
  });

  it('Poisson over 0..kmax, with the tail above kmax bounded by the Chernoff bound', () => {
    fc.assert(
      fc.property(logUniform(0.01, 300), (rate) => {
        const r = Math.fround(rate);
        const kmax = Math.ceil(r + 8 * Math.sqrt(r) + 15);
        // P(X > kmax) <= e^-λ (eλ / k)^k for k = kmax + 1 > λ
        const k1 = kmax + 1;
        const tail = Math.exp(-r + k1 * (1 + Math.log(r / k1)));
        const d = new Poisson(r);
        const support = tensor(Array.from({ length: kmax + 1 }, (_, i) => i));
        // entropy compared only when the tail is negligible for it too
        checkEnumeration(
          `Poisson(${r})`,
          d,
          support,
          Array.from({ length: kmax + 1 }, (_, i) => [i]),
          tail,
        );
      }),
      { seed: 13, numRuns: 25 },
    );
    // the entropy's asymptotic branch (rate > 100) against a long enumeration
    // (float64 reference: in float32, log p_k at rate 2000 loses ~1e-3 to cancellation)
    const rates = [100.5, 150, 2000];
    const big = new Poisson(tensor(rates));
    rates.forEach((r, j) => {
      let h = 0;
      for (let k = 0; k < 3000; k++) {
        const l = k * Math.log(r) - r - lgamma(k + 1);
        h -= Math.exp(l) * l;
      }
      expectClose(`Poisson entropy (asymptotic) [${j}]`, big.entropy().dataSync()[j], h, 2e-7, 5e-7);
    });
  });

  it('mixture of Poissons sums to 1 and has the right mean and variance', () => {
    const d = new MixtureSameFamily(
      new Categorical({ probs: tensor([0.2, 0.5, 0.3]) }),
      new Poisson(tensor([1, 5, 20])),
    );
    const kmax = 80;
    const xs = Array.from({ length: kmax + 1 }, (_, i) => [i]);
    const lp = d.logProb(tensor(xs.map((x) => x[0]))).dataSync();
    let total = 0;
    let m = 0;
    let m2 = 0;
    lp.forEach((l, i) => {
      total += Math.exp(l);
      m += i * Math.exp(l);
      m2 += i * i * Math.exp(l);
    });
    expectClose('Σp', total, 1, 0, 1e-5);
    expectClose('mean', d.mean.item(), m, 1e-5);
    expectClose('variance', d.variance.item(), m2 - m * m, 1e-4);
    expect(() => d.entropy()).toThrow('MixtureSameFamily.entropy: not available in closed form');
  });
});

describe('exact values', () => {
  const L2PI = 0.5 * Math.log(2 * Math.PI);
  it('at hand-computed points (float64 formulas)', () => {
    const cases: [string, Distribution, number | number[], number][] = [
      ['Normal(1, 2) at 0', new Normal(1, 2), 0, -0.125 - Math.log(2) - L2PI],
      ['LogNormal(0, 1) at e', new LogNormal(0, 1), Math.E, -0.5 - L2PI - 1],
      ['Uniform(-1, 3) at 0.5', new Uniform(-1, 3), 0.5, -Math.log(4)],
      ['Exponential(2) at 1.5', new Exponential(2), 1.5, Math.log(2) - 3],
      ['Gamma(3, 2) at 1.5', new Gamma(3, 2), 1.5, 3 * Math.log(2) + 2 * Math.log(1.5) - 3 - Math.log(2)],
      ['Beta(2, 3) at 0.25', new Beta(2, 3), 0.25, Math.log(12 * 0.25 * 0.75 ** 2)],
      ['Poisson(4) at 3', new Poisson(4), 3, 3 * Math.log(4) - 4 - Math.log(6)],
      ['Bernoulli(0.3) at 1', new Bernoulli({ probs: 0.3 }), 1, Math.log(0.3)],
      ['Categorical at 2', new Categorical({ probs: tensor([0.1, 0.2, 0.7]) }), 2, Math.log(0.7)],
      ['Dirichlet(1,2,3)', new Dirichlet(tensor([1, 2, 3])), [0.2, 0.3, 0.5], Math.log(60 * 0.3 * 0.25)],
      ['Gamma(1, 1) at 0', new Gamma(1, 1), 0, 0],
      ['Poisson(2) at 0', new Poisson(2), 0, -2],
    ];
    for (const [label, d, x, want] of cases) {
      const xt = Array.isArray(x) ? tensor(x) : x;
      expectClose(label, d.logProb(xt).item(), want, 1e-6, 1e-6);
    }
    expectClose('lgamma ref', lgamma(5), Math.log(24), 1e-12);
  });
});

describe('values outside the support get -Infinity, never NaN (and finite parameter gradients)', () => {
  const outside: [string, () => Distribution, number[] | number[][]][] = [
    ['LogNormal', () => new LogNormal(0.5, 2), [0, -1, -Infinity]],
    ['Uniform', () => new Uniform(0, 1), [-0.5, 1.5, Infinity, -Infinity]],
    ['Exponential', () => new Exponential(3), [-1e-3, -Infinity]],
    ['Gamma', () => new Gamma(2.5, 1.5), [-1, -Infinity]],
    ['Beta', () => new Beta(0.5, 2), [-0.1, 1.1, Infinity]],
    ['Poisson', () => new Poisson(3), [-1, 2.5, Infinity, 1e-3]],
    ['Bernoulli', () => new Bernoulli({ logits: 0.3 }), [-1, 0.5, 2]],
    ['Bernoulli(probs)', () => new Bernoulli({ probs: 0.3 }), [-1, 0.5, 2]],
    ['Categorical', () => new Categorical({ logits: tensor([0, 1, 2]) }), [-1, 3, 1.5, Infinity]],
    [
      'OneHotCategorical',
      () => new OneHotCategorical({ logits: tensor([0, 1]) }),
      [
        [1, 1],
        [0, 0],
        [0.5, 0.5],
        [2, -1],
      ],
    ],
    [
      'Dirichlet',
      () => new Dirichlet(tensor([2, 3])),
      [
        [0.5, 0.6],
        [-0.1, 1.1],
        [1.5, -0.5],
      ],
    ],
    [
      'MultivariateNormal',
      () =>
        new MultivariateNormal(
          tensor([0, 0]),
          tensor([
            [1, 0],
            [0.5, 1],
          ]),
        ),
      [
        [Infinity, 0],
        [0, -Infinity],
      ],
    ],
    [
      'Independent(Gamma)',
      () => new Gamma(tensor([2, 3]), 1).toEvent(1),
      [
        [1, -1],
        [-1, 2],
      ],
    ],
    [
      'Mixture(Gamma)',
      () => new MixtureSameFamily(new Categorical({ logits: tensor([0, 0]) }), new Gamma(tensor([1, 4]), 1)),
      [-1, -0.5],
    ],
    [
      'Unnormalized',
      () =>
        new UnnormalizedDensity(
          (z: Tensor, p: { rate: Tensor }) => new Poisson(p.rate).logProb(z),
          { rate: tensor(3) },
          { support: constraints.nonNegativeInteger },
        ),
      [-1, 0.5],
    ],
  ];
  for (const [name, make, xs] of outside) {
    it(name, () => {
      const d = make();
      const lp = d.logProb(tensor(xs as number[]));
      expect(Array.from(lp.dataSync())).toEqual(new Array(lp.size).fill(-Infinity));
      // no NaN leaks from the masked entries into the parameters' gradients
      const g = grad((params: Record<string, unknown>) => {
        const lpp = d.withParams(params).logProb(tensor(xs as number[]));
        return where(ge(lpp, -1e30), lpp, 0).sum();
      })(d.params);
      for (const t of treeFlatten(g)[0])
        expect(
          Array.from(t.dataSync()).every((x) => x === 0),
          `${name}: gradient ${t}`,
        ).toBe(true);
    });
  }

  it('values on the boundary of the support are finite or +Infinity, not NaN', () => {
    expect(new Gamma(1, 2).logProb(0).item()).toBeCloseTo(Math.log(2), 6);
    expect(new Gamma(0.5, 1).logProb(0).item()).toBe(Infinity);
    expect(new Gamma(2, 1).logProb(0).item()).toBe(-Infinity);
    new Beta(1, 1)
      .logProb(tensor([0, 1]))
      .dataSync()
      .forEach((v) => expect(v).toBeCloseTo(0, 6));
    expect(new Beta(2, 1).logProb(0).item()).toBe(-Infinity);
    expect(new Exponential(2).logProb(0).item()).toBeCloseTo(Math.log(2), 6);
    expect(new Uniform(0, 2).logProb(tensor([0, 2])).toArray()).toEqual([
      -Math.fround(Math.log(2)),
      -Math.fround(Math.log(2)),
    ]);
    expect(new Dirichlet(tensor([1, 2])).logProb(tensor([1, 0])).item()).toBe(-Infinity);
    expect(new Normal(0, 1).logProb(tensor([Infinity, -Infinity])).toArray()).toEqual([-Infinity, -Infinity]);
    const noise = new Independent(new Normal(tensor([0, 0]), 1), 1).logProb(tensor([Infinity, 0]));
    expect(noise.item()).toBe(-Infinity);
  });
});
