/**
 * Threshold tools (Grover et al. 2018, eq. 8 / Algorithm 2; docs/estimator-math.md §5.5, §6.6).
 *
 * - g_T (leave-one-out, from the round-0 proposal of each chain) is unbiased for
 *   (Z_R − Z_tgt) · dZ_R/dT: exact expectation over all S-tuples of first proposals on the docs/estimator-math.md §9.4
 *   categorical model (S = 2, 3; ε = 0 and 0.1). Negative control: the non-LOO version is biased.
 * - Running the update with fixed q (docs/estimator-math.md §9.1, q = prior, η_T = 1, T_0 = −ELBO) drives the exact
 *   Z_R(T) to Z_tgt for (0.33, S = 4, no momentum), (0.33, S = 4, momentum 0.99), (0.1, S = 2). 4 independent
 *   chains per setting (one per data point), 20,000 updates each. Checked: Z_R(T̄) within ±0.02 for the
 *   T averaged over the last half (our simulation of the same rule: rms error 0.003), and Z_R(T_final)
 *   within ±0.05 (rms 0.012, i.e. > 4 rms).
 * - quantileThreshold: F(T_γ) within 5 binomial SE of γ, F the exact CDF of −lw under q; schedule.
 * - initialThreshold ≈ −ELBO (5 SE).
 */
import { describe, expect, it } from 'vitest';
import { key, split } from '../src/random/key.js';
import { tensor } from '../src/tensor/creation.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { sampleR } from '../src/vi/rejection-sampler.js';
import {
  type AdaptThresholdState,
  adaptThreshold,
  initialThreshold,
  putThresholds,
  quantileSchedule,
  quantileThreshold,
  takeThresholds,
  thresholdGradient,
} from '../src/vi/threshold.js';
import {
  CAT,
  catExact,
  gaussExact,
  gaussLogp64,
  gaussPhi,
  gaussProblem,
  logSoftmax64,
  tuples,
} from './helpers/vi-rejection-models.js';
import { expectAllClose, expectWithinSe } from './helpers/vi-rejection-stats.js';

describe('g_T is unbiased (exact enumeration of first-round proposals)', () => {
  for (const [S, T, eps, target] of [
    [2, 0, 0, 0.33],
    [3, -1, 0, 0.1],
    [2, 1, 0.1, 0.5],
    [3, 0.5, 0.1, 0.33],
  ] as const) {
    it(`S = ${S}, T = ${T}, ε = ${eps}, Z_tgt = ${target}: E[g_T] = (Z_R − Z_tgt) · dZ_R/dT`, () => {
      const q = logSoftmax64(CAT.phi).map(Math.exp);
      const ex = catExact(CAT.theta, CAT.phi, T, eps);
      const logA = Array.from(ex.logA);
      let eg = 0;
      let egNoLoo = 0;
      for (const t of tuples(4, S)) {
        const w = t.reduce((p, i) => p * q[i], 1);
        const first = tensor(
          t.map((i) => logA[i]),
          [S, 1],
        );
        eg += w * thresholdGradient(first, target, eps)[0];
        // Non-LOO variant (mean including a_s itself): biased.
        const a = t.map((i) => Math.exp(logA[i]));
        const abar = a.reduce((s, v) => s + v, 0) / S;
        const sig = a.map((v) => (v - eps) / (1 - eps));
        egNoLoo += (w * a.reduce((s, _v, j) => s + (abar - target) * (1 - eps) * sig[j] * (1 - sig[j]), 0)) / S;
      }
      const truth = (ex.Z - target) * ex.dZdT;
      expect(Math.abs(eg - truth)).toBeLessThan(1e-7);
      expect(Math.abs(egNoLoo - truth)).toBeGreaterThan(1e-4);
    });
  }
});

/** Exact Z_R(T) for docs/estimator-math.md §9.1 with q = prior (cached quadrature). */
const zPrior = (T: number): number => gaussExact(0, 1, T, 0, 0, 4001).Z;

describe('target-acceptance adaptation drives Z_R(T) to Z_tgt (conjugate Gaussian, q = prior, η_T = 1)', () => {
  const settings = [
    { target: 0.33, S: 4, momentum: 0 },
    { target: 0.33, S: 4, momentum: 0.99 },
    { target: 0.1, S: 2, momentum: 0 },
  ];
  const updates = 20000;
  const chains = 4;
  for (const { target, S, momentum } of settings) {
    it(`Z_tgt = ${target}, S = ${S}, momentum ${momentum}: ${updates} updates × ${chains} chains`, () => {
      const phi = gaussPhi(0, 1, chains);
      const T0 = initialThreshold(key(1), undefined, phi, undefined, { problem: gaussProblem, samples: 2000 });
      let T: Tensor | number = T0;
      let state: AdaptThresholdState | undefined;
      const keys = split(key(900 + S + Math.round(momentum * 100)), updates);
      const sums = new Float64Array(chains);
      for (let t = 0; t < updates; t++) {
        // One sampler round (maxProposals = S) gives the S first-round proposals of every chain.
        const res = sampleR(keys[t], undefined, phi, undefined, {
          problem: gaussProblem,
          samples: S,
          threshold: T,
          maxProposals: S,
        });
        const step = adaptThreshold(T, res.firstLogA, { target, lr: 1, momentum, state });
        T = step.threshold;
        state = step.state;
        if (t >= updates / 2) {
          const d = (T as Tensor).dataSync();
          for (let c = 0; c < chains; c++) sums[c] += d[c] / (updates / 2);
        }
      }
      const fin = (T as Tensor).dataSync();
      for (let c = 0; c < chains; c++) {
        const zAvg = zPrior(sums[c]);
        const zFin = zPrior(fin[c]);
        expect(Math.abs(zAvg - target), `chain ${c}: Z_R(T̄ = ${sums[c]}) = ${zAvg}`).toBeLessThanOrEqual(0.02);
        expect(Math.abs(zFin - target), `chain ${c}: Z_R(T_final = ${fin[c]}) = ${zFin}`).toBeLessThanOrEqual(0.05);
      }
      // It moved: the start (−ELBO ≈ 1.92) has Z_R ≈ 0.5, far from both targets.
      expect(Math.abs(zPrior((T0 as Tensor).dataSync()[0]) - target)).toBeGreaterThan(0.1);
    });
  }

  it('momentum state, lr schedules, numbers vs tensors, and refusals', () => {
    const first = tensor([[Math.log(0.9)], [Math.log(0.2)]]); // S = 2, B = 1 (batch shape [1])
    const g = thresholdGradient(first, 0.33)[0];
    const s1 = adaptThreshold(1.5, first.reshape([2]), { target: 0.33, momentum: 0.5 });
    expect(typeof s1.threshold).toBe('number');
    expect(s1.threshold as number).toBeCloseTo(1.5 - 0.5 * g, 12);
    const s2 = adaptThreshold(s1.threshold, first.reshape([2]), {
      target: 0.33,
      momentum: 0.5,
      state: s1.state,
      lr: (t) => 1 / (t + 1),
    });
    expect(s2.threshold as number).toBeCloseTo((s1.threshold as number) - 0.5 * (0.5 * (0.5 * g) + 0.5 * g), 12);
    expect(s2.state.count).toBe(2);
    const s3 = adaptThreshold(tensor([1.5]), first, { target: 0.33 });
    expect((s3.threshold as Tensor).shape).toEqual([1]);
    expect(() => adaptThreshold(Infinity, first.reshape([2]), { target: 0.33 })).toThrow(/finite/);
    expect(() => adaptThreshold(0, first.reshape([2]), { target: 1.2 })).toThrow(/target/);
    expect(() => thresholdGradient(tensor([0]), 0.3)).toThrow(/S >= 2/);
  });
});

describe('quantile threshold (eq. 8, Algorithm 2) and initial threshold', () => {
  /** Exact CDF of −lw(z) under q = N(m, s²) for docs/estimator-math.md §9.1 by quadrature over z. */
  function cdfNegLw(m: number, s: number, t: number): number {
    const n = 20001;
    const lo = m - 12 * s;
    const h = (24 * s) / (n - 1);
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const z = lo + i * h;
      const lq = -0.5 * Math.log(2 * Math.PI) - Math.log(s) - 0.5 * ((z - m) / s) ** 2;
      const w = (i === 0 || i === n - 1 ? 1 : i % 2 === 1 ? 4 : 2) * (h / 3);
      if (lq - gaussLogp64(z) <= t) acc += w * Math.exp(lq);
    }
    return acc;
  }

  for (const [m, s, gamma] of [
    [0, 1, 0.9],
    [0.7, 2 / 3, 0.95],
    [1, 0.5, 0.5],
  ] as const) {
    it(`q = N(${m}, ${s}²), γ = ${gamma}: P_q(−lw ≤ T_γ) = γ within 5 binomial SE; a ≥ ½ for a fraction ≈ γ`, () => {
      const N = 4000;
      const B = 3;
      const T = quantileThreshold(key(7), undefined, gaussPhi(m, s, B), undefined, {
        problem: gaussProblem,
        gamma,
        samples: N,
      });
      expect(T.shape).toEqual([B]);
      const se = Math.sqrt((gamma * (1 - gamma)) / N);
      for (const t of T.dataSync()) {
        const F = cdfNegLw(m, s, t);
        expect(Math.abs(F - gamma), `F(T) = ${F}`).toBeLessThanOrEqual(5 * se + 2 / N);
      }
    });
  }

  it('quantileSchedule: T = +∞ before the first refresh, refreshed at steps 0, F, 2F and held in between', () => {
    const sched = quantileSchedule({ problem: gaussProblem, gamma: 0.9, samples: 200, every: 3 });
    let st = sched.init();
    expect(st.threshold).toBe(Infinity);
    const phi = gaussPhi(0, 1, 2);
    const seen: number[] = [];
    const keys = split(key(3), 7);
    for (let t = 0; t < 7; t++) {
      st = sched.update(keys[t], undefined, phi, undefined, st);
      seen.push((st.threshold as Tensor).dataSync()[0]);
    }
    expect(seen[1]).toBe(seen[0]);
    expect(seen[2]).toBe(seen[0]);
    expect(seen[3]).not.toBe(seen[2]);
    expect(seen[4]).toBe(seen[3]);
    expect(seen[6]).not.toBe(seen[5]);
    expect(st.step).toBe(7);
  });

  it('initialThreshold ≈ −ELBO (q = prior: 1.918939; q = N(0.7, (2/3)²): 1.558848), 5 SE', () => {
    const N = 5000;
    for (const [m, s, negElbo] of [
      [0, 1, 1.918939],
      [0.7, 2 / 3, 1.558848],
    ] as const) {
      const T = initialThreshold(key(11), undefined, gaussPhi(m, s, 1), undefined, {
        problem: gaussProblem,
        samples: N,
      }).item();
      // SE from the spread of −lw under q, estimated by quadrature-free MC of the same draws' size.
      const draws = gaussExact(m, s, Infinity, 0, 0, 4001);
      let m2 = 0;
      for (let i = 0; i < draws.grid.length; i++) {
        const z = draws.grid[i];
        const negLw = -(gaussLogp64(z) - (-0.5 * Math.log(2 * Math.PI) - Math.log(s) - 0.5 * ((z - m) / s) ** 2));
        m2 += draws.q[i] * (negLw - negElbo) ** 2;
      }
      expectWithinSe({ n: N, mean: T, sd: Math.sqrt(m2), se: Math.sqrt(m2 / N) }, negElbo, '−ELBO');
    }
  });

  it('per-data-point thresholds for minibatches: take and put', () => {
    const table = tensor([0, 1, 2, 3, 4]);
    expect(Array.from(takeThresholds(table, [3, 1]).dataSync())).toEqual([3, 1]);
    const next = putThresholds(table, [3, 1], tensor([-3, -1]));
    expect(Array.from(next.dataSync())).toEqual([0, -1, 2, -3, 4]);
    expect(Array.from(table.dataSync())).toEqual([0, 1, 2, 3, 4]); // immutable
    expect(() => takeThresholds(table, [5])).toThrow(/out of range/);
    expectAllClose(putThresholds(table, [0], 9).dataSync(), [9, 1, 2, 3, 4], 0, 'put number');
  });
});
