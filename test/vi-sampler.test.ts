/**
 * The rejection sampler (Algorithm 1 of Grover et al. 2018; docs/estimator-math.md §5.5, §6.7).
 *
 * - Accepted samples follow r: Pearson χ² against the enumerated r of the docs/estimator-math.md §9.4 categorical model
 *   (df = 3, critical value at α = 1e-3), Kolmogorov–Smirnov against the quadrature CDF of r for
 *   the docs/estimator-math.md §9.1 Gaussian (α = 1e-3), also with the floor ε > 0.
 * - Acceptance frequency ≈ Z_R and mean proposals per acceptance ≈ 1/Z_R (5 SE); the pooled Ẑ_R.
 * - The proposal cap is reported (exhausted), never hangs; estimators use what they have or mask.
 * - Bookkeeping: log Ẑ_R = LSE(all log a) − log #proposals; first-round log a; T = +∞ short-circuit;
 *   determinism per key; noise reproduces the samples.
 */
import { describe, expect, it } from 'vitest';
import { Normal } from '../src/dist/index.js';
import { foldIn, key, split } from '../src/random/key.js';
import { tensor } from '../src/tensor/creation.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { logAcceptance64, rejectionSample, sampleR } from '../src/vi/rejection-sampler.js';
import { rvrs } from '../src/vi/rvrs.js';
import { vrs } from '../src/vi/vrs.js';
import {
  CAT,
  catBatchProblem,
  catExact,
  gaussExact,
  gaussLogJoint,
  gaussPhi,
  gaussProblem,
} from './helpers/vi-rejection-models.js';
import {
  CHI2_CRIT_1E3,
  chiSquare,
  expectAllClose,
  expectWithinSe,
  ksCritical1e3,
  ksStatistic,
  meanSe,
} from './helpers/vi-rejection-stats.js';

const theta = tensor(CAT.theta);
const phi = tensor(CAT.phi);

describe('accepted samples follow r', () => {
  for (const [T, eps] of [
    [0, 0],
    [-2, 0],
    [-2, 0.05],
  ] as const) {
    it(`categorical, T = ${T}, ε = ${eps}: χ² (df 3) below the α = 1e-3 critical value`, () => {
      const B = 3000;
      const S = 4;
      const res = sampleR(key(31), theta, phi, undefined, {
        problem: catBatchProblem(B),
        samples: S,
        threshold: T,
        acceptanceFloor: eps,
      });
      expect(res.exhaustedCount).toBe(0);
      const counts = [0, 0, 0, 0];
      for (const v of res.value.dataSync()) counts[v]++;
      const r = Array.from(catExact(CAT.theta, CAT.phi, T, eps).r);
      const x2 = chiSquare(counts, r);
      expect(x2, `counts ${counts} vs r ${r}`).toBeLessThan(CHI2_CRIT_1E3[3]);
      // Power: the same counts are far from q (what a sampler that never rejects would give).
      expect(chiSquare(counts, CAT.q)).toBeGreaterThan(10 * CHI2_CRIT_1E3[3]);
    });
  }

  for (const [m, s, T, eps] of [
    [0, 1, 0, 0],
    [1, 0.5, -1, 0],
    [0.2, 1.5, -1, 0.1],
  ] as const) {
    it(`Gaussian, q = N(${m}, ${s}²), T = ${T}, ε = ${eps}: KS against the quadrature CDF of r (α = 1e-3)`, () => {
      const B = 2000;
      const S = 2;
      const phiG = gaussPhi(m, s, B);
      const res = sampleR(key(41), undefined, phiG, undefined, {
        problem: gaussProblem,
        samples: S,
        threshold: T,
        acceptanceFloor: eps,
      });
      const e = gaussExact(m, s, T, eps, 0, 20001);
      const d = ksStatistic(res.value.dataSync(), e.rCdf);
      const n = S * B;
      expect(d).toBeLessThan(ksCritical1e3(n));
      // Power: q's own CDF is rejected.
      const qCdf = gaussExact(m, s, Infinity, 0, 0, 20001).rCdf;
      expect(ksStatistic(res.value.dataSync(), qCdf)).toBeGreaterThan(3 * ksCritical1e3(n));
    });
  }

  it('accepted samples are independent across lanes: lag-1 correlation of lane pairs ≈ 0 (5 SE)', () => {
    const B = 4000;
    const res = sampleR(key(43), undefined, gaussPhi(0, 1, B), undefined, {
      problem: gaussProblem,
      samples: 2,
      threshold: 0,
    });
    const v = res.value.dataSync();
    const prods: number[] = [];
    const a = meanSe(Array.from(v.subarray(0, B)));
    const b = meanSe(Array.from(v.subarray(B, 2 * B)));
    for (let i = 0; i < B; i++) prods.push((v[i] - a.mean) * (v[B + i] - b.mean));
    expectWithinSe(meanSe(prods), 0, 'covariance of lanes 0 and 1');
  });
});

describe('acceptance rate and proposal counts', () => {
  for (const [m, s, T, eps] of [
    [0, 1, 0, 0],
    [0.7, 2 / 3, -2, 0],
    [0, 1, -3, 0.05],
  ] as const) {
    it(
      `q = N(${m}, ${s}²), T = ${T}, ε = ${eps}: acceptance frequency ≈ Z_R, proposals per acceptance ≈ 1/Z_R, ` +
        'pooled Ẑ_R ≈ Z_R (5 SE)',
      () => {
        const B = 2000;
        const S = 3;
        const e = gaussExact(m, s, T, eps, 0, 20001);
        const Z = e.Z;
        const res = sampleR(key(51), undefined, gaussPhi(m, s, B), undefined, {
          problem: gaussProblem,
          samples: S,
          threshold: T,
          acceptanceFloor: eps,
        });
        expect(res.exhaustedCount).toBe(0);
        // Proposals per data point are negative binomial: S acceptances, mean S/Z, variance S(1 − Z)/Z².
        const perAcc = Array.from(res.proposals, (p) => p / S);
        const m1 = meanSe(perAcc);
        expectWithinSe(m1, 1 / Z, 'proposals per acceptance');
        // Acceptance frequency S·B / Σ proposals, with its delta-method SE.
        const freq = (S * B) / res.totalProposals;
        const seFreq = Z * Z * m1.se;
        expect(Math.abs(freq - Z)).toBeLessThanOrEqual(5 * seFreq);
        // Pooled Ẑ_R = Σ a / Σ proposals (ratio estimator) ≈ Z_R.
        let sumA = 0;
        const ratioTerms: number[] = [];
        for (let b = 0; b < B; b++) {
          let sa = 0;
          for (const la of res.logA[b]) sa += Math.exp(la);
          sumA += sa;
          ratioTerms.push(sa - Z * res.proposals[b]);
        }
        const pooled = sumA / res.totalProposals;
        const seRatio = meanSe(ratioTerms).se / (res.totalProposals / B);
        expect(Math.abs(pooled - Z), `pooled ${pooled} vs ${Z}`).toBeLessThanOrEqual(5 * seRatio);
      },
    );
  }

  it(
    'log Ẑ_R = LSE(all log a) − log #proposals; every counted log a recorded; first-round log a = log a of the ' +
      'round-0 proposals',
    () => {
      const B = 7;
      const S = 3;
      const k = key(61);
      const phiG = gaussPhi(0.3, 1.2, B);
      const res = sampleR(k, undefined, phiG, undefined, { problem: gaussProblem, samples: S, threshold: -0.5 });
      let total = 0;
      for (let b = 0; b < B; b++) {
        const la = res.logA[b];
        expect(la.length).toBe(res.proposals[b]);
        const mx = Math.max(...la);
        const lse = mx + Math.log(la.reduce((s, v) => s + Math.exp(v - mx), 0));
        expect(res.logZ[b]).toBeCloseTo(lse - Math.log(la.length), 10);
        total += res.proposals[b];
        expect(res.accepted[b]).toBe(S);
      }
      expect(res.totalProposals).toBe(total);
      // Round 0 used foldIn(key, 0) split into (proposal key, uniform key).
      const [kz] = split(foldIn(k, 0), 2);
      const q = gaussProblem.guide(phiG, undefined);
      const z0 = q.sample(kz, [S]);
      const lw = gaussLogJoint(undefined, z0).sub(q.logProb(z0)).dataSync();
      const expected = Array.from(lw, (v) => logAcceptance64(v, -0.5));
      expectAllClose(res.firstLogA.dataSync(), expected, 2e-6, 'firstLogA');
      for (let b = 0; b < B; b++)
        for (let s = 0; s < S; s++) expect(res.logA[b][s]).toBeCloseTo(res.firstLogA.dataSync()[s * B + b], 6);
    },
  );
});

describe('cap, exhaustion and masking', () => {
  it('a tiny Z_R hits the cap quickly: exhausted is reported, rounds ≤ ceil(max/S), no hang', () => {
    const B = 5;
    const S = 4;
    // "No hang" is the rounds bound below (and the test timeout); speed belongs in bench/, not in an assertion.
    const res = sampleR(key(71), undefined, gaussPhi(0, 1, B), undefined, {
      problem: gaussProblem,
      samples: S,
      threshold: -60,
      maxProposals: 50,
    });
    expect(res.exhaustedCount).toBe(B);
    expect(res.rounds).toBeLessThanOrEqual(Math.ceil(50 / S));
    for (let b = 0; b < B; b++) expect(res.proposals[b]).toBe(50);
    expect(Array.from(res.accepted)).toEqual(new Array(B).fill(0));
    expect(Array.from(res.mask.dataSync())).toEqual(new Array(S * B).fill(0));
    expect(res.value.dataSync().every(Number.isFinite)).toBe(true);
    // Estimators: every point masked → loss 0 with zero gradient, bound NaN, reported.
    for (const est of [vrs, rvrs]) {
      const out = est(key(72), undefined, gaussPhi(0, 1, B), undefined, {
        problem: gaussProblem,
        samples: S,
        threshold: -60,
        maxProposals: 50,
      });
      expect(out.diagnostics.exhausted).toBe(B);
      expect(out.diagnostics.masked).toBe(B);
      expect(out.loss.item()).toBe(0);
      expect(Number.isNaN(out.bound)).toBe(true);
    }
  });

  it(
    'partial exhaustion: points with ≥ 2 accepted samples are used with what they have, the rest masked and the ' +
      'loss renormalized',
    () => {
      // Data point 0 has T = +∞ (accepts everything), point 1 has T = −60 (accepts nothing).
      const B = 2;
      const S = 3;
      const T = tensor([Infinity, -60]);
      const res = sampleR(key(81), undefined, gaussPhi(0, 1, B), undefined, {
        problem: gaussProblem,
        samples: S,
        threshold: T,
        maxProposals: 30,
      });
      expect(Array.from(res.accepted)).toEqual([S, 0]);
      expect(Array.from(res.exhausted)).toEqual([0, 1]);
      const out = vrs(key(81), undefined, gaussPhi(0, 1, B), undefined, {
        problem: gaussProblem,
        samples: S,
        threshold: T,
        maxProposals: 30,
      });
      expect(out.diagnostics.masked).toBe(1);
      const per = out.perDataPoint.dataSync();
      expect(Number.isFinite(per[0]) && Number.isNaN(per[1])).toBe(true);
      expect(out.bound).toBeCloseTo(2 * per[0], 4); // renormalized by B / B_used = 2
    },
  );

  it('a floor ε bounds the expected proposals by S/ε even when σ(lw + T) ≈ 0', () => {
    const B = 500;
    const S = 2;
    const eps = 0.2;
    const res = sampleR(key(91), undefined, gaussPhi(0, 1, B), undefined, {
      problem: gaussProblem,
      samples: S,
      threshold: -60,
      acceptanceFloor: eps,
    });
    expect(res.exhaustedCount).toBe(0);
    expectWithinSe(meanSe(Array.from(res.proposals, (p) => p / S)), 1 / eps, 'proposals per acceptance = 1/ε');
  });

  it('refuses maxProposals < samples and a bad floor', () => {
    const q = new Normal(0, 1);
    expect(() => rejectionSample(key(0), q, (z) => z, { samples: 4, threshold: 0, maxProposals: 3 })).toThrow(
      /maxProposals/,
    );
    expect(() => rejectionSample(key(0), q, (z) => z, { samples: 4, threshold: 0, acceptanceFloor: -0.1 })).toThrow(
      /acceptanceFloor/,
    );
    expect(() => rejectionSample(key(0), q, (z) => z.sum(), { samples: 2, threshold: 0 })).toThrow(/shape/);
  });
});

describe('T = +∞, determinism, noise', () => {
  it('T = +∞ short-circuits: no logJoint call, rounds 0, a = 1, Ẑ_R = 1, S proposals per point', () => {
    let calls = 0;
    const q = new Normal(tensor([0, 1, 2]), 1);
    const res = rejectionSample(
      key(3),
      q,
      (z) => {
        calls++;
        return z;
      },
      { samples: 4, threshold: Infinity },
    );
    expect(calls).toBe(0);
    expect(res.rounds).toBe(0);
    expect(Array.from(res.logZ)).toEqual([0, 0, 0]);
    expect(Array.from(res.proposals)).toEqual([4, 4, 4]);
    expect(Array.from(res.firstLogA.dataSync())).toEqual(new Array(12).fill(0));
    expect(res.value.shape).toEqual([4, 3]);
  });

  it('same key ⇒ same result; different key ⇒ different draws', () => {
    const opts = { problem: gaussProblem, samples: 3, threshold: 0 };
    const a = sampleR(key(5), undefined, gaussPhi(0, 1, 20), undefined, opts);
    const b = sampleR(key(5), undefined, gaussPhi(0, 1, 20), undefined, opts);
    const c = sampleR(key(6), undefined, gaussPhi(0, 1, 20), undefined, opts);
    expect(Array.from(a.value.dataSync())).toEqual(Array.from(b.value.dataSync()));
    expect(Array.from(a.proposals)).toEqual(Array.from(b.proposals));
    expect(Array.from(a.value.dataSync())).not.toEqual(Array.from(c.value.dataSync()));
  });

  it('reparameterized: q.fromNoise(noise) reproduces the accepted samples', () => {
    const phiG = gaussPhi(0.5, 0.8, 10);
    const res = sampleR(key(8), undefined, phiG, undefined, {
      problem: gaussProblem,
      samples: 3,
      threshold: -1,
      reparameterized: true,
    });
    const z = gaussProblem.guide(phiG, undefined).fromNoise(res.noise as Tensor);
    expectAllClose(z.dataSync(), res.value.dataSync(), 1e-6, 'fromNoise(noise) vs value');
    expect(() =>
      sampleR(key(8), theta, phi, undefined, {
        problem: catBatchProblem(2),
        samples: 2,
        threshold: 0,
        reparameterized: true,
      }),
    ).toThrow(/rsample/);
  });
});
