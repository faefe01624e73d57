/**
 * VRS and the R-ELBO (Grover et al. 2018 with the corrected Theorem 2;
 * docs/estimator-math.md §5, §9.4, §10).
 *
 * - The exact R-ELBO by enumeration reproduces the docs/estimator-math.md §9.4 table (1e-5 via the Problem path in
 *   float32 log-densities; 6e-7 = the printed precision via the float64 path).
 * - The VRS covariance estimator's EXACT expectation (all S-tuples of accepted samples weighted by
 *   Π r(z_s), passed as fixedDraws) equals the exact gradient to float32 precision (5e-6), for
 *   S = 2, 3 and several T (and ε = 0.1). Negative control: the published-sign Theorem 2 variants
 *   (each of the three errata alone, and all together) miss by more than 1e-2.
 * - T = +∞ gives exactly the score-function ELBO with leave-one-out baseline on the same draws.
 * - R-ELBO limits/identities (fast-check over random θ, φ, T): nonincreasing in T, between the ELBO
 *   and log p(x), Z_R increasing, dR/dT = −Cov_r(log σ(l), σ(l)) and the gradient formulas against
 *   float64 finite differences; A and log a finite for |lw| up to 1e4.
 * - Truncated Poisson (docs/estimator-math.md §5.6): the table to the printed precision; a short VRS run moves φ to log
 *   10.
 * Monte Carlo tolerances: see helpers/vi-rejection-stats.ts (5 SE).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { grad, valueAndGrad } from '../src/autodiff/transforms.js';
import { key, split } from '../src/random/key.js';
import { arange, scalar, tensor } from '../src/tensor/creation.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { sgd } from '../src/vi/optimizers.js';
import {
  acceptanceLogRatio64,
  covarianceCoefficients,
  logAcceptance,
  logAcceptance64,
  sampleR,
} from '../src/vi/rejection-sampler.js';
import { leaveOneOutMean } from '../src/vi/logweights.js';
import { exactRElboDiscrete, exactRElboFromLogDensities } from '../src/vi/r-elbo-exact.js';
import { vrs } from '../src/vi/vrs.js';
import {
  CAT,
  POISSON,
  catExact,
  catExactGrad,
  catProblem,
  catSupport,
  logSoftmax64,
  objectiveGrad,
  poissonExact,
  poissonProblem,
  publishedVrsLoss,
  sfLooLoss,
  tuples,
  type PublishedVariant,
} from './helpers/vi-rejection-models.js';
import { expectAllClose } from './helpers/vi-rejection-stats.js';

const theta0 = tensor(CAT.theta);
const phi0 = tensor(CAT.phi);

describe('exact R-ELBO by enumeration: the categorical reference table', () => {
  it('model constants: q, log p(x), posterior, ELBO', () => {
    const q = logSoftmax64(CAT.phi).map(Math.exp);
    expectAllClose(q, CAT.q, 6e-7, 'q');
    const res = catExact(CAT.theta, CAT.phi, Infinity);
    expect(Math.abs(res.logEvidence - CAT.logEvidence)).toBeLessThan(6e-7);
    expect(Math.abs(res.elbo - CAT.elbo)).toBeLessThan(6e-7);
    const post = CAT.theta.map((t) => Math.exp(t - res.logEvidence));
    expectAllClose(post, CAT.posterior, 6e-7, 'posterior');
  });

  for (const row of CAT.table) {
    it(`T = ${row.T}: R-ELBO, Z_R, r, dR/dφ, dR/dθ (Problem path to 1e-5, float64 path to printed precision)`, () => {
      const ex = exactRElboDiscrete(theta0, phi0, undefined, {
        problem: catProblem,
        support: catSupport,
        threshold: row.T,
      });
      const p = ex.perDataPoint[0];
      expect(Math.abs(p.rElbo - row.rElbo)).toBeLessThan(1e-5);
      expect(Math.abs(p.Z - row.Z)).toBeLessThan(1e-5);
      expectAllClose(p.r, row.r, 1e-5, 'r');
      expectAllClose((ex.dPhi as Tensor).dataSync(), row.dPhi, 1e-5, 'dR/dφ');
      expectAllClose((ex.dTheta as Tensor).dataSync(), row.dTheta, 1e-5, 'dR/dθ');
      // float64 path: printed precision (half a unit in the 6th decimal, r in the 5th).
      const g = catExactGrad(CAT.theta, CAT.phi, row.T);
      expect(Math.abs(g.res.rElbo - row.rElbo)).toBeLessThanOrEqual(5e-7 + 1e-12);
      expect(Math.abs(g.res.Z - row.Z)).toBeLessThanOrEqual(5e-7 + 1e-12);
      expectAllClose(g.res.r, row.r, 5e-6 + 1e-12, 'r (float64)');
      expectAllClose(g.dPhi, row.dPhi, 5e-7 + 1e-12, 'dR/dφ (float64)');
      expectAllClose(g.dTheta, row.dTheta, 5e-7 + 1e-12, 'dR/dθ (float64)');
    });
  }

  it('T = −10: R-ELBO = log p(x), Z_R = 5.3e-5, r = posterior, dR/dφ ≈ 0, dR/dθ ≈ posterior', () => {
    const row = CAT.tableMinus10;
    const ex = exactRElboDiscrete(theta0, phi0, undefined, {
      problem: catProblem,
      support: catSupport,
      threshold: row.T,
    });
    const p = ex.perDataPoint[0];
    expect(Math.abs(p.rElbo - row.rElbo)).toBeLessThan(1e-5);
    expect(Math.abs(p.Z - row.Z)).toBeLessThan(0.05e-5);
    expectAllClose(p.r, row.r, 1e-5, 'r');
    expectAllClose((ex.dPhi as Tensor).dataSync(), [0, 0, 0, 0], 1e-5, 'dR/dφ');
    expectAllClose((ex.dTheta as Tensor).dataSync(), CAT.posterior, 1e-4, 'dR/dθ');
  });
});

/** E over all S-tuples of accepted samples (probability Π r(z_s)) of the objective gradient of lossFn(z). */
function exactExpectationOverTuples(
  S: number,
  r: ArrayLike<number>,
  lossFn: (z: Tensor) => (th: Tensor, ph: Tensor) => Tensor,
): number[] {
  const acc = new Array(8).fill(0);
  for (const t of tuples(4, S)) {
    let w = 1;
    for (const i of t) w *= r[i];
    const g = objectiveGrad(lossFn(tensor(t)), theta0, phi0);
    [...g.dPhi, ...g.dTheta].forEach((v, j) => (acc[j] += w * v));
  }
  return acc;
}

describe('VRS covariance estimator: exact expectation over accepted samples (fixedDraws)', () => {
  const cases: { S: number; T: number; eps: number }[] = [
    { S: 2, T: 2, eps: 0 },
    { S: 3, T: 2, eps: 0 },
    { S: 2, T: 0, eps: 0 },
    { S: 3, T: 0, eps: 0 },
    { S: 2, T: -2, eps: 0 },
    { S: 3, T: -2, eps: 0 },
    { S: 2, T: 0, eps: 0.1 },
    { S: 3, T: -1, eps: 0.3 },
  ];
  for (const { S, T, eps } of cases) {
    it(`S = ${S}, T = ${T}, ε = ${eps}: E[ĝ_φ, ĝ_θ] = exact dR/dφ, dR/dθ`, () => {
      const ex = catExactGrad(CAT.theta, CAT.phi, T, eps);
      const e = exactExpectationOverTuples(
        S,
        ex.res.r,
        (z) => (th, ph) =>
          vrs(key(0), th, ph, undefined, {
            problem: catProblem,
            samples: S,
            threshold: T,
            acceptanceFloor: eps,
            fixedDraws: z,
            normalizerSamples: 1,
          }).loss,
      );
      expectAllClose(e.slice(0, 4), ex.dPhi, 5e-6, 'E[ĝ_φ]');
      expectAllClose(e.slice(4), ex.dTheta, 5e-6, 'E[ĝ_θ]');
    });
  }

  it('negative control: the published-sign Theorem 2 variants are biased (each erratum alone and all three)', () => {
    const variants: PublishedVariant[] = ['published', 'swappedLabels', 'minusSoftplusA', 'minusThetaCov'];
    for (const T of [0, -2]) {
      const ex = catExactGrad(CAT.theta, CAT.phi, T);
      const exact = [...ex.dPhi, ...ex.dTheta];
      for (const v of variants) {
        const e = exactExpectationOverTuples(
          2,
          ex.res.r,
          (z) => (th, ph) => publishedVrsLoss(v, catProblem, th, ph, z, T),
        );
        const worst = Math.max(...e.map((x, j) => Math.abs(x - exact[j])));
        expect(worst, `${v} at T = ${T}`).toBeGreaterThan(1e-2);
      }
    }
  });

  it('per-data-point thresholds: a batch of two data points equals the sum of single-point calls', () => {
    const B = 2;
    const problem = {
      logJoint: catProblem.logJoint,
      guide: (phi: Tensor) => catProblem.guide(phi.reshape([1, 4]).broadcastTo([B, 4]), undefined),
    };
    const z = tensor([
      [0, 3],
      [2, 1],
      [1, 1],
    ]); // [S = 3, B = 2]
    const T = tensor([2, -2]);
    const batched = objectiveGrad(
      (th, ph) =>
        vrs(key(5), th, ph, undefined, { problem, samples: 3, threshold: T, fixedDraws: z, normalizerSamples: 1 }).loss,
      theta0,
      phi0,
    );
    const sum = { dPhi: [0, 0, 0, 0], dTheta: [0, 0, 0, 0] };
    [2, -2].forEach((Tb, b) => {
      const zb = tensor((z.toArray() as number[][]).map((row) => row[b]));
      const g = objectiveGrad(
        (th, ph) =>
          vrs(key(5), th, ph, undefined, {
            problem: catProblem,
            samples: 3,
            threshold: Tb,
            fixedDraws: zb,
            normalizerSamples: 1,
          }).loss,
        theta0,
        phi0,
      );
      g.dPhi.forEach((v, j) => (sum.dPhi[j] += v));
      g.dTheta.forEach((v, j) => (sum.dTheta[j] += v));
    });
    expectAllClose(batched.dPhi, sum.dPhi, 1e-6, 'dφ');
    expectAllClose(batched.dTheta, sum.dTheta, 1e-6, 'dθ');
  });

  it('minibatch scaling: loss and bound scale by datasetSize / B', () => {
    const z = tensor([0, 2, 1]);
    const base = vrs(key(1), theta0, phi0, undefined, { problem: catProblem, samples: 3, threshold: 0, fixedDraws: z });
    const scaled = vrs(key(1), theta0, phi0, undefined, {
      problem: { ...catProblem, datasetSize: 7 },
      samples: 3,
      threshold: 0,
      fixedDraws: z,
    });
    expect(scaled.loss.item()).toBeCloseTo(7 * base.loss.item(), 5);
    expect(scaled.bound).toBeCloseTo(7 * base.bound, 5);
  });

  it('refuses S < 2, a bad floor and a NaN threshold', () => {
    expect(() => vrs(key(0), theta0, phi0, undefined, { problem: catProblem, samples: 1, threshold: 0 })).toThrow(
      /samples/,
    );
    expect(() =>
      vrs(key(0), theta0, phi0, undefined, { problem: catProblem, samples: 2, threshold: 0, acceptanceFloor: 1 }),
    ).toThrow(/acceptanceFloor/);
    expect(() => vrs(key(0), theta0, phi0, undefined, { problem: catProblem, samples: 2, threshold: NaN })).toThrow(
      /threshold/,
    );
    expect(vrs.info).toEqual({ name: 'vrs', drawsFrom: 'r', reparameterized: false, minSamples: 2 });
  });
});

describe('VRS at T = +∞ is the score-function ELBO with leave-one-out baseline', () => {
  it('on fixed draws: same gradient and value', () => {
    for (const zs of [
      [0, 1],
      [3, 3, 2],
      [1, 0, 2, 3],
    ]) {
      const z = tensor(zs);
      const S = zs.length;
      const a = objectiveGrad(
        (th, ph) =>
          vrs(key(0), th, ph, undefined, { problem: catProblem, samples: S, threshold: Infinity, fixedDraws: z }).loss,
        theta0,
        phi0,
      );
      const b = objectiveGrad((th, ph) => sfLooLoss(catProblem, th, ph, z), theta0, phi0);
      expectAllClose(a.dPhi, b.dPhi, 1e-6, 'dφ');
      expectAllClose(a.dTheta, b.dTheta, 1e-6, 'dθ');
      const out = vrs(key(0), theta0, phi0, undefined, {
        problem: catProblem,
        samples: S,
        threshold: Infinity,
        fixedDraws: z,
      });
      const lq = logSoftmax64(CAT.phi);
      const meanLw = zs.reduce((s, i) => s + CAT.theta[i] - lq[i], 0) / S;
      expect(out.bound).toBeCloseTo(meanLw, 5);
    }
  });

  it('through the sampler: no loop (rounds 0, S proposals, Ẑ_R = 1) and the SF-LOO gradient on sampler draws', () => {
    const S = 4;
    const k = key(11);
    const out = vrs(k, theta0, phi0, undefined, { problem: catProblem, samples: S, threshold: Infinity });
    expect(out.diagnostics.rounds).toBe(0);
    expect(out.diagnostics.proposals).toBe(S);
    expect((out.diagnostics.acceptanceRate as Tensor).item()).toBe(1);
    const draws = sampleR(k, theta0, phi0, undefined, { problem: catProblem, samples: S, threshold: Infinity }).value;
    const a = objectiveGrad(
      (th, ph) => vrs(k, th, ph, undefined, { problem: catProblem, samples: S, threshold: Infinity }).loss,
      theta0,
      phi0,
    );
    const b = objectiveGrad((th, ph) => sfLooLoss(catProblem, th, ph, draws), theta0, phi0);
    expectAllClose(a.dPhi, b.dPhi, 1e-6, 'dφ');
    expectAllClose(a.dTheta, b.dTheta, 1e-6, 'dθ');
  });
});

describe('R-ELBO limits and identities', () => {
  const vec4 = fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 4, maxLength: 4 });
  const thr = fc.double({ min: -8, max: 8, noNaN: true });

  it('nonincreasing in T, between the ELBO and log p(x), Z_R rising; T = +∞ is the ELBO; T → −∞ is log p(x)', () => {
    fc.assert(
      fc.property(vec4, vec4, thr, thr, (theta, phi, t1, t2) => {
        const [lo, hi] = t1 <= t2 ? [t1, t2] : [t2, t1];
        const a = catExact(theta, phi, lo);
        const b = catExact(theta, phi, hi);
        const inf = catExact(theta, phi, Infinity);
        const tiny = 1e-12;
        expect(a.rElbo).toBeGreaterThanOrEqual(b.rElbo - tiny);
        expect(a.Z).toBeLessThanOrEqual(b.Z + tiny);
        for (const r of [a, b]) {
          expect(r.rElbo).toBeGreaterThanOrEqual(r.elbo - tiny);
          expect(r.rElbo).toBeLessThanOrEqual(r.logEvidence + tiny);
        }
        expect(inf.rElbo).toBeCloseTo(inf.elbo, 12);
        expect(inf.Z).toBe(1);
        expect(Math.abs(catExact(theta, phi, -40).rElbo - inf.logEvidence)).toBeLessThan(1e-9);
      }),
      { seed: 17, numRuns: 200 },
    );
  });

  it('dR/dT = −Cov_r(log σ(l), σ(l)) = finite difference; dR/dφ, dR/dθ = finite differences (ε = 0 and 0.2)', () => {
    fc.assert(
      fc.property(vec4, vec4, thr, fc.constantFrom(0, 0.2), (theta, phi, T, eps) => {
        const h = 1e-5;
        const g = catExactGrad(theta, phi, T, eps);
        const fdT = (catExact(theta, phi, T + h, eps).rElbo - catExact(theta, phi, T - h, eps).rElbo) / (2 * h);
        expect(Math.abs(g.res.dT - fdT)).toBeLessThan(1e-7);
        if (eps === 0) {
          // −Cov_r(log σ(l), σ(l)) with l = −(lw + T).
          const lq = logSoftmax64(phi);
          const l = theta.map((t, i) => -(t - lq[i] + T));
          const logSigL = l.map((v) => logAcceptance64(v, 0)); // log σ(l) = logSigmoid(l + 0)
          const sigL = logSigL.map(Math.exp);
          const r = g.res.r;
          const e1 = r.reduce((s, ri, i) => s + ri * logSigL[i], 0);
          const e2 = r.reduce((s, ri, i) => s + ri * sigL[i], 0);
          const cov = r.reduce((s, ri, i) => s + ri * (logSigL[i] - e1) * (sigL[i] - e2), 0);
          expect(Math.abs(g.res.dT + cov)).toBeLessThan(1e-12);
        }
        for (let j = 0; j < 4; j++) {
          const pp = phi.slice();
          const pm = phi.slice();
          pp[j] += h;
          pm[j] -= h;
          const fd = (catExact(theta, pp, T, eps).rElbo - catExact(theta, pm, T, eps).rElbo) / (2 * h);
          expect(Math.abs(g.dPhi[j] - fd)).toBeLessThan(1e-7);
          const tp = theta.slice();
          const tm = theta.slice();
          tp[j] += h;
          tm[j] -= h;
          const fdt = (catExact(tp, phi, T, eps).rElbo - catExact(tm, phi, T, eps).rElbo) / (2 * h);
          expect(Math.abs(g.dTheta[j] - fdt)).toBeLessThan(1e-7);
        }
      }),
      { seed: 23, numRuns: 60 },
    );
  });

  it('the covariance estimator (1/(S−1)) Σ (A_s − Ā) B_s equals its LOO form (1/S) Σ (A_s − Ā_{−s}) B_s', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 7 }), fc.integer({ min: 0, max: 1000 }), (S, seed) => {
        const rnd = (i: number) => (Math.sin(seed * 12.9898 + i * 78.233) * 43758.5453) % 1;
        const A = Array.from({ length: S }, (_, i) => 10 * rnd(i));
        const Bv = Array.from({ length: S }, (_, i) => 3 * rnd(100 + i));
        const c = covarianceCoefficients(A, new Array(S).fill(1), S, 1);
        const cov = c.cov.reduce((acc, ci, i) => acc + ci * Bv[i], 0);
        const loo = leaveOneOutMean(tensor(A)).dataSync();
        const looForm = A.reduce((acc, a, i) => acc + ((a - loo[i]) * Bv[i]) / S, 0);
        expect(Math.abs(cov - looForm)).toBeLessThan(1e-5 * Math.max(1, Math.abs(cov)));
        expect(Array.from(c.mean)).toEqual(new Array(S).fill(Math.fround(1 / S)));
      }),
      { seed: 5, numRuns: 100 },
    );
  });

  it('A and log a are finite (and right) for |lw| up to 1e4, in float64 and as tensors with gradients', () => {
    for (const lw of [-1e4, -1e3, -50, 0, 50, 1e3, 1e4]) {
      for (const T of [-5, 0, 5, Infinity]) {
        for (const eps of [0, 0.1]) {
          const la = logAcceptance64(lw, T, eps);
          const A = acceptanceLogRatio64(lw, T, eps);
          expect(Number.isFinite(la) && Number.isFinite(A), `lw ${lw} T ${T} ε ${eps}`).toBe(true);
          expect(la).toBeLessThanOrEqual(0);
          const [v, g] = valueAndGrad((u: Tensor) => logAcceptance(u, T, eps).sum())(scalar(lw));
          expect(Number.isFinite(v.item()) && Number.isFinite((g as Tensor).item())).toBe(true);
          expect(Math.abs(v.item() - la)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(la)));
        }
      }
    }
    expect(logAcceptance64(-1e4, 0)).toBe(-1e4);
    expect(acceptanceLogRatio64(-1e4, 0)).toBe(0); // A = lw + softplus(−lw − T) = −1e4 + 1e4
    expect(acceptanceLogRatio64(1e4, 0)).toBe(1e4);
    // R-ELBO arithmetic stays finite with huge log weights.
    const res = exactRElboFromLogDensities([1e4, -1e4, 0], [-1, -1, -1], { threshold: 0 });
    expect(Number.isFinite(res.rElbo) && Number.isFinite(res.logZ) && Number.isFinite(res.dT)).toBe(true);
  });
});

describe('truncated Poisson', () => {
  for (const row of POISSON.table) {
    it(
      `rate ${row.rate}: R-ELBO, dR/dφ, Z_R, ELBO to the printed precision (float64), and via the Problem ` +
        `(float32)`,
      () => {
        const ex = poissonExact(row.rate);
        expect(Math.abs(ex.rElbo - row.rElbo)).toBeLessThanOrEqual(5e-7 + 1e-12);
        expect(Math.abs(ex.dPhi - row.dPhi)).toBeLessThanOrEqual(5e-7 + 1e-12);
        expect(Math.abs(ex.Z - row.Z)).toBeLessThanOrEqual(5e-5);
        expect(Math.abs(ex.elbo - row.elbo)).toBeLessThanOrEqual(5e-4);
        expect(Math.abs(ex.logEvidence - POISSON.logMass)).toBeLessThanOrEqual(5e-7);
        const viaProblem = exactRElboDiscrete(undefined, scalar(Math.log(row.rate)), undefined, {
          problem: poissonProblem,
          support: arange(POISSON.support),
          threshold: POISSON.T,
        });
        const p = viaProblem.perDataPoint[0];
        expect(Math.abs(p.rElbo - row.rElbo)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(row.rElbo)));
        expect(Math.abs((viaProblem.dPhi as Tensor).item() - row.dPhi)).toBeLessThanOrEqual(
          1e-4 * Math.max(1, Math.abs(row.dPhi)),
        );
      },
    );
  }

  it('the R-ELBO peaks at rate 10 (log Σ P), the plain ELBO near 12.98', () => {
    const at = (r: number) => poissonExact(r);
    expect(at(10).rElbo).toBeGreaterThan(at(9.5).rElbo);
    expect(at(10).rElbo).toBeGreaterThan(at(10.5).rElbo);
    expect(at(12.98).elbo).toBeGreaterThan(at(12.5).elbo);
    expect(at(12.98).elbo).toBeGreaterThan(at(13.5).elbo);
    expect(Math.abs(at(12.98).elbo - -0.76858)).toBeLessThan(5e-5);
  });

  it('VRS with SGD (momentum 0.5, lr 0.01, T = 50, S = 5) moves φ to log 10 from below and from above', () => {
    const target = Math.log(10);
    const opt = sgd({ lr: 0.01, momentum: 0.5 });
    const steps = 120;
    for (const start of [Math.log(5), Math.log(20)]) {
      let phi = scalar(start);
      let state = opt.init(phi);
      const keys = split(key(2024), steps);
      const g = grad(
        (p: Tensor, k: ReturnType<typeof key>) =>
          vrs(k, undefined, p, undefined, { problem: poissonProblem, samples: 5, threshold: POISSON.T }).loss,
      );
      for (let t = 0; t < steps; t++) [phi, state] = opt.step(phi, g(phi, keys[t]), state);
      const d0 = Math.abs(start - target);
      const d1 = Math.abs(phi.item() - target);
      expect(d1, `from ${start.toFixed(3)}: φ = ${phi.item()} after ${steps} steps`).toBeLessThan(0.15 * d0);
    }
  });
});
