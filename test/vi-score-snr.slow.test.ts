/**
 * SNR scaling of the score-function IWAE estimators (docs/estimator-math.md §4.6). Slow (about a
 * minute): part of `npm test` and CI; `npm run test:fast` leaves the *.slow.test.ts files out.
 *
 * Model: z ~ N(0, 1), x | z ~ N(z, 1), x = 1; q = N(m, (2/3)²) at m = 0.7; gradient w.r.t. m from
 * `q.sample` (score function). M = 5·10⁴ independent replicates per N, obtained in chunks from one
 * estimator call each: φ = { m } has shape [chunk], so the guide has batch shape [chunk] and each
 * replicate has its own copy of m (one backward pass gives every per-replicate gradient).
 * SNR = |E ĝ| / std(ĝ). Its numerator is taken from the float64 expected gradient ∂L_N/∂m of
 * docs/estimator-math.md §4.6 (shared by all unbiased estimators; each estimator's Monte Carlo mean is checked
 * against it within 5 SE):
 * for VIMCO the sample mean has a relative SE of 1/(√M · SNR) ≈ 25% at N = 300, which alone moves the fitted slope
 * by ~0.1, while the std is estimated to a few %. The sample-mean SNR is printed too. Fitted slope of log SNR on
 * log N over N ∈ {10, 30, 100, 300}: [0.3, 0.65] for VIMCO-★ (√N growth; reference 0.46), [−0.75, −0.4] for VIMCO
 * (geometric) (collapse; reference ≈ −0.58).
 */
import { describe, expect, it } from 'vitest';
import { Normal, full, key, random, valueAndGrad, type Tensor } from '../src/index.js';
import { vimco, vimcoStar, type Estimator, type Problem } from '../src/vi/index.js';

const M = 50_000;
const CHUNK = 10_000;
const NS = [10, 30, 100, 300];
const SCALE = 2 / 3;
/** docs/estimator-math.md §4.6 (float64): expected ∂L_N/∂m and the SNRs. */
const SPEC = {
  grad: [-0.054, -0.0187, -0.00571, -0.00191],
  star: [0.897, 1.44, 2.49, 4.22],
  geo: [0.124, 0.067, 0.039, 0.018],
};

const problem: Problem<undefined, { m: Tensor }, number> = {
  logJoint: (_theta, z, x) => new Normal(0, 1).logProb(z).add(new Normal(z, 1).logProb(x)),
  guide: (phi) => new Normal(phi.m, SCALE),
};

/** Per-replicate gradient estimates of ∂L_N/∂m (float64). */
function replicates(est: Estimator<any>, N: number, seed: number): Float64Array {
  const out = new Float64Array(M);
  for (let c = 0; c < M / CHUNK; c++) {
    const phi = { m: full([CHUNK], 0.7) };
    const k = random.foldIn(key(seed), c);
    const [, g] = valueAndGrad((p: { m: Tensor }) => est(k, undefined, p, 1, { problem, samples: N }).loss)(phi);
    const d = (g as { m: Tensor }).m.dataSync();
    for (let i = 0; i < CHUNK; i++) out[c * CHUNK + i] = -d[i]; // loss = −Σ surrogate
  }
  return out;
}

function stats(x: Float64Array) {
  let s = 0;
  for (const v of x) s += v;
  const mean = s / x.length;
  let q = 0;
  for (const v of x) q += (v - mean) ** 2;
  const sd = Math.sqrt(q / (x.length - 1));
  return { mean, sd, se: sd / Math.sqrt(x.length), snr: Math.abs(mean) / sd };
}

function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxy / sxx;
}

describe('SNR scaling in N (slow)', () => {
  const run = (est: Estimator<any>, seed: number) => {
    const t0 = performance.now();
    const rows = NS.map((N, i) => {
      const st = stats(replicates(est, N, seed + N));
      return { N, ...st, snrExact: Math.abs(SPEC.grad[i]) / st.sd };
    });
    const fitted = slope(
      NS.map(Math.log),
      rows.map((r) => Math.log(r.snrExact)),
    );
    const fittedSample = slope(
      NS.map(Math.log),
      rows.map((r) => Math.log(r.snr)),
    );
    console.log(
      `${est.info.name}: slope ${fitted.toFixed(3)} (sample-mean SNR: ${fittedSample.toFixed(3)}; ` +
        `${((performance.now() - t0) / 1000).toFixed(1)} s)`,
      rows
        .map(
          (r) =>
            `N=${r.N}: mean ${r.mean.toExponential(3)} ± ${r.se.toExponential(1)}, sd ` +
            `${r.sd.toExponential(3)}, SNR ${r.snrExact.toFixed(4)} (sample ${r.snr.toFixed(4)})`,
        )
        .join('; '),
    );
    return { rows, fitted };
  };

  it('VIMCO-★: SNR grows like √N (slope in [0.3, 0.65]); unbiased for ∂L_N/∂m', () => {
    const { rows, fitted } = run(vimcoStar, 100);
    expect(fitted).toBeGreaterThanOrEqual(0.3);
    expect(fitted).toBeLessThanOrEqual(0.65);
    rows.forEach((r, i) => {
      // The reference expected gradient has 3 significant digits (rounding ≤ 5e-5 ≪ 5 SE ≥ 1e-4).
      expect(Math.abs(r.mean - SPEC.grad[i]), `N = ${r.N}`).toBeLessThan(5 * r.se + 5e-5);
      // SNR of VIMCO-★ is estimated to ≈ 1% here (relative SE ≈ √((1 + SNR²/2)/M)/SNR).
      expect(Math.abs(r.snrExact - SPEC.star[i]) / SPEC.star[i], `N = ${r.N}`).toBeLessThan(0.1);
    });
  });

  it('VIMCO (geometric): SNR collapses (slope in [−0.75, −0.4]); unbiased', () => {
    const { rows, fitted } = run(vimco, 200);
    expect(fitted).toBeGreaterThanOrEqual(-0.75);
    expect(fitted).toBeLessThanOrEqual(-0.4);
    rows.forEach((r, i) => expect(Math.abs(r.mean - SPEC.grad[i]), `N = ${r.N}`).toBeLessThan(5 * r.se + 5e-5));
  });
});
