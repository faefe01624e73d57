/**
 * SNR scaling of the IWAE φ-gradient (docs/estimator-math.md §4.6). Slow (about a minute): part of
 * `npm test` and CI; `npm run test:fast` leaves the *.slow.test.ts files out.
 *
 * Model docs/estimator-math.md §9.1 (z ~ N(0,1), x | z ~ N(z,1), x = 1), q = N(m, (2/3)²) at m = 0.7,
 * gradient w.r.t. m.
 * SNR = |mean| / std over M independent replicates for N ∈ {10, 30, 100, 300}. The fitted slope of log SNR against
 * log N must lie in [0.3, 0.65] for DReG (theory: O(N^{1/2}), measured 0.38 in the float64 reference study of
 * docs/estimator-math.md §4.6) and in [−0.75, −0.4] for pathwise IWAE (O(N^{−1/2}), measured ≈ −0.58). The mean
 * gradients are also checked against that study's expected values (−0.0540, −0.0187, −0.00571, −0.00191) within 5
 * SE, the SE combining ours, the study's (assumed equal to ours) and the rounding of the printed value (false-alarm
 * rate 5.7e-7 per check).
 *
 * Replicates and precision of the slope: the estimated SNR has relative standard error
 * ≈ 1/(√M · SNR). DReG (SNR 4–14): M = 20,000 gives < 0.4%. Pathwise IWAE (SNR 0.11 → 0.015):
 * M = 50k, 50k, 100k, 200k for N = 10, 30, 100, 300 gives 4%, 8%, 10%, 15%, i.e. a slope SE of
 * ≈ 0.04 over log N ∈ [2.3, 5.7], so the ±0.17 band around the expected −0.58 is > 4 SE wide.
 */
import { describe, expect, it } from 'vitest';
import { Normal, key, random, tensor, valueAndGrad, type Tensor } from '../src/index.js';
import { iwae, iwaeDreg, type Estimator, type Problem } from '../src/vi/index.js';
import { meanSe } from './helpers/vi-gaussian.js';

const NS = [10, 30, 100, 300];
const CHUNK = 10_000;
const EXPECTED_MEAN = [-0.054, -0.0187, -0.00571, -0.00191];
const ROUNDING = [5e-5, 5e-5, 5e-6, 5e-6]; // half a unit in the last printed digit

const problem: Problem<{ mu0: Tensor }, { m: Tensor }, number> = {
  logJoint: (theta, z, x) => new Normal(theta.mu0, 1).logProb(z).add(new Normal(z, 1).logProb(x)),
  guide: (phi) => new Normal(phi.m, 2 / 3),
};

/** M per-replicate estimates of ∂L_N/∂m (replicates are data points with their own copy of m). */
function gradients(est: Estimator<any>, N: number, M: number, seed: number): Float64Array {
  const out = new Float64Array(M);
  for (let c = 0; c < M / CHUNK; c++) {
    const phi = { m: tensor(new Array(CHUNK).fill(0.7)) };
    const [, g] = valueAndGrad(
      (ph: { m: Tensor }) => est(random.foldIn(key(seed), c), { mu0: tensor(0) }, ph, 1, { problem, samples: N }).loss,
    )(phi);
    g.m.dataSync().forEach((v: number, i: number) => (out[c * CHUNK + i] = -v));
  }
  return out;
}

/** Least-squares slope of y on x. */
function slope(x: number[], y: number[]): number {
  const mx = x.reduce((a, b) => a + b) / x.length;
  const my = y.reduce((a, b) => a + b) / y.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  return sxy / sxx;
}

describe('SNR scaling of the IWAE φ-gradient (slow)', () => {
  const cases: [string, Estimator<any>, [number, number], number[]][] = [
    ['iwaeDreg', iwaeDreg, [0.3, 0.65], [20_000, 20_000, 20_000, 20_000]],
    ['iwae (pathwise)', iwae, [-0.75, -0.4], [50_000, 50_000, 100_000, 200_000]],
  ];
  for (const [name, est, [lo, hi], Ms] of cases) {
    it(`${name}: slope of log SNR vs log N in [${lo}, ${hi}]`, () => {
      const t0 = performance.now();
      const snr: number[] = [];
      NS.forEach((N, i) => {
        const s = meanSe(gradients(est, N, Ms[i], 1000 + N));
        snr.push(Math.abs(s.mean) / s.sd);
        const se = Math.sqrt(2 * s.se ** 2 + ROUNDING[i] ** 2);
        expect(
          Math.abs(s.mean - EXPECTED_MEAN[i]) / se,
          `${name} N = ${N}: mean ${s.mean} (SE ${s.se})`,
        ).toBeLessThanOrEqual(5);
      });
      const b = slope(NS.map(Math.log), snr.map(Math.log));
      const secs = (performance.now() - t0) / 1000;
      console.log(
        `${name}: SNR ${NS.map((N, i) => `N=${N}: ${snr[i].toPrecision(3)}`).join(', ')}; slope ` +
          `${b.toFixed(3)} (${secs.toFixed(1)} s, M = ${Ms.join('/')})`,
      );
      expect(b).toBeGreaterThanOrEqual(lo);
      expect(b).toBeLessThanOrEqual(hi);
    }, 600_000);
  }
});
