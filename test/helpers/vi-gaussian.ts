/**
 * The 1-D conjugate Gaussian model of docs/estimator-math.md §9.1 for the VI estimator tests, with float64
 * references (closed forms, per-sample gradient formulas, and quadrature of the IWAE / VR-IWAE
 * bounds), and small Monte Carlo statistics helpers.
 *
 *   z ~ N(μ0, 1),  x | z ~ N(z, 1),  x = 1;  θ = { mu0 },  q = N(m, s²) with φ = { m, logS }.
 *
 * For replicate studies, θ and φ are tensors of shape [M]: the guide then has batch shape [M] and
 * each replicate has its own copy of the parameters, so one backward pass gives M independent
 * per-replicate gradients (∂loss/∂m[b] = −ĝ_b, since the loss is minus the summed surrogate).
 */
import { expect } from 'vitest';
import { full, Normal, tensor, type Tensor } from '../../src/index.js';
import type { Problem } from '../../src/vi/index.js';

export const X = 1;
/** log p(x = 1) = −½ log(4π) − ¼ (docs/estimator-math.md §9.1). */
export const LOG_PX = -0.5 * Math.log(4 * Math.PI) - 0.25;
const LOG_2PI = Math.log(2 * Math.PI);

export interface Theta {
  mu0: Tensor;
}
export interface Phi {
  m: Tensor;
  logS: Tensor;
}

/**
 * The docs/estimator-math.md §9.1 model as a Problem (x is the number 1, or a tensor of observations for local
 * latents).
 */
export const gaussianProblem: Problem<Theta, Phi, number | Tensor> = {
  logJoint: (theta, z, x) => new Normal(theta.mu0, 1).logProb(z).add(new Normal(z, 1).logProb(x)),
  guide: (phi) => new Normal(phi.m, phi.logS.exp()),
};

/** M replicates of (θ, φ) = (μ0, m, log s), each of shape [M]. */
export function replicated(M: number, m: number, s: number, mu0: number): { theta: Theta; phi: Phi } {
  return { theta: { mu0: full([M], mu0) }, phi: { m: full([M], m), logS: full([M], Math.log(s)) } };
}

/** A single global (θ, φ), shape []. */
export function scalarParams(m: number, s: number, mu0: number): { theta: Theta; phi: Phi } {
  return { theta: { mu0: tensor(mu0) }, phi: { m: tensor(m), logS: tensor(Math.log(s)) } };
}

// ---------------------------------------------------------------------------------------------
// float64 references

/** Closed-form ELBO and its gradient (docs/estimator-math.md §9.1) for q = N(m, s²), prior mean μ0. */
export function elboExact(
  m: number,
  s: number,
  mu0: number,
): { value: number; dm: number; dlogS: number; dmu0: number } {
  const v = s * s;
  const value =
    -0.5 * LOG_2PI -
    ((m - mu0) ** 2 + v) / 2 -
    0.5 * LOG_2PI -
    ((X - m) ** 2 + v) / 2 +
    0.5 * Math.log(2 * Math.PI * Math.E * v);
  return { value, dm: -(m - mu0) + (X - m), dlogS: 1 - v / 0.5, dmu0: m - mu0 };
}

export const logJoint64 = (z: number, mu0: number): number => -LOG_2PI - (z - mu0) ** 2 / 2 - (X - z) ** 2 / 2;
export const logQ64 = (z: number, m: number, s: number): number =>
  -0.5 * LOG_2PI - Math.log(s) - (z - m) ** 2 / (2 * s * s);

/** Per-sample pieces at z = m + s ε: lw, the path derivatives P lw and the scores, ∇θ ℓp. */
export function perSample64(eps: number, m: number, s: number, mu0: number) {
  const z = m + s * eps;
  const dlw = -(z - mu0) + (X - z) + (z - m) / (s * s); // ∂lw/∂z at fixed φ
  return {
    z,
    lw: logJoint64(z, mu0) - logQ64(z, m, s),
    pathM: dlw, // P lw w.r.t. m (dz/dm = 1)
    pathLogS: dlw * s * eps, // P lw w.r.t. log s (dz/dlog s = s ε)
    scoreM: (z - m) / (s * s),
    scoreLogS: -1 + (z - m) ** 2 / (s * s),
    dmu0: z - mu0, // ∇θ ℓp
  };
}

/** (1/(1−α)) LME((1−α) v) in float64. */
export function vrLme64(v: readonly number[], alpha: number): number {
  const c = 1 - alpha;
  const mx = Math.max(...v);
  let t = 0;
  for (const x of v) t += Math.exp(c * (x - mx));
  return mx + Math.log(t / v.length) / c;
}

/**
 * L_N^{(α)}(m, s, μ0) for N ∈ {1, 2} by trapezoidal quadrature over ε ∈ [−9, 9] (step 0.02; the
 * integrand is smooth and Gaussian-weighted, so the error is far below 1e-8), with its gradient by
 * central finite differences (h = 1e-4, error ~1e-8).
 */
export function vrIwaeQuadrature(
  N: 1 | 2,
  alpha: number,
  m: number,
  s: number,
  mu0: number,
): { value: number; dm: number; dlogS: number; dmu0: number } {
  const L = 9;
  const h = 0.02;
  const n = Math.round((2 * L) / h) + 1;
  const eps = new Float64Array(n);
  const wt = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    eps[j] = -L + j * h;
    wt[j] = (h * Math.exp((-eps[j] * eps[j]) / 2)) / Math.sqrt(2 * Math.PI);
  }
  const c = 1 - alpha;
  const bound = (mm: number, logS: number, mu: number): number => {
    const ss = Math.exp(logS);
    const lw = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const z = mm + ss * eps[j];
      lw[j] = logJoint64(z, mu) - logQ64(z, mm, ss);
    }
    let total = 0;
    if (N === 1) {
      for (let j = 0; j < n; j++) total += wt[j] * lw[j];
      return total;
    }
    for (let i = 0; i < n; i++) {
      let row = 0;
      const a = c * lw[i];
      for (let j = 0; j < n; j++) {
        const b = c * lw[j];
        const mx = a > b ? a : b;
        row += wt[j] * (mx + Math.log((Math.exp(a - mx) + Math.exp(b - mx)) / 2));
      }
      total += wt[i] * row;
    }
    return total / c;
  };
  const ls = Math.log(s);
  const fd = 1e-4;
  return {
    value: bound(m, ls, mu0),
    dm: (bound(m + fd, ls, mu0) - bound(m - fd, ls, mu0)) / (2 * fd),
    dlogS: (bound(m, ls + fd, mu0) - bound(m, ls - fd, mu0)) / (2 * fd),
    dmu0: (bound(m, ls, mu0 + fd) - bound(m, ls, mu0 - fd)) / (2 * fd),
  };
}

// ---------------------------------------------------------------------------------------------
// Monte Carlo statistics

export interface MeanSe {
  mean: number;
  sd: number;
  se: number;
  n: number;
}

/** Mean, sample standard deviation and standard error (float64). */
export function meanSe(xs: ArrayLike<number>, scale = 1): MeanSe {
  const n = xs.length;
  let t = 0;
  for (let i = 0; i < n; i++) t += scale * xs[i];
  const mean = t / n;
  let q = 0;
  for (let i = 0; i < n; i++) q += (scale * xs[i] - mean) ** 2;
  const sd = Math.sqrt(q / (n - 1));
  return { mean, sd, se: sd / Math.sqrt(n), n };
}

/** Paired difference statistics of a − b. */
export function pairedDiff(a: ArrayLike<number>, b: ArrayLike<number>): MeanSe {
  return meanSe(Float64Array.from(a, (v, i) => v - b[i]));
}

/**
 * The z-score |mean − truth| / SE. With Z = 5 the two-sided false-alarm rate of one check under
 * the CLT is 2Φ(−5) ≈ 5.7e-7 (tests use fixed keys, so they are deterministic anyway).
 */
export const zScore = (s: MeanSe, truth: number): number => Math.abs(s.mean - truth) / s.se;

export function expectWithinSe(s: MeanSe, truth: number, label: string, z = 5): void {
  const score = zScore(s, truth);
  expect(
    score,
    `${label}: mean ${s.mean.toPrecision(6)} vs ${truth.toPrecision(6)} (SE ${s.se.toPrecision(3)}, z = ` +
      `${score.toFixed(2)})`,
  ).toBeLessThanOrEqual(z);
}

export function expectRejected(s: MeanSe, truth: number, label: string, z = 5): void {
  const score = zScore(s, truth);
  expect(
    score,
    `negative control ${label}: mean ${s.mean.toPrecision(6)} vs ${truth.toPrecision(6)} should be ` +
      `rejected (z = ${score.toFixed(2)})`,
  ).toBeGreaterThan(z);
}

/** Per-replicate estimates −∂loss/∂p for a parameter tensor of shape [M]. */
export const estimates = (g: Tensor): Float64Array => Float64Array.from(g.dataSync(), (v) => -v);
