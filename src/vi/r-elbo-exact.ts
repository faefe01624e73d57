/**
 * Exact R-ELBO, Z_R, r and gradients (docs/estimator-math.md §5.1–5.3, §6.2, §6.6), for verifying the VRS and RVRS
 * estimators and for experiments: by enumeration over a small discrete support, or by quadrature
 * on a grid for 1-D continuous latents. All arithmetic is float64 (plain numbers).
 *
 * For log weights lw = ℓp − ℓq, threshold T and floor ε, with u = lw + T, σ = σ(u), λ = ε/(1−ε):
 *   a_ε = ε + (1−ε)σ,  k = d log a_ε/du = σ(1−σ)/(λ+σ),  ρ = 1 − k,  A = lw − log a_ε
 *   Z_R = E_q[a_ε],  r = q a_ε / Z_R,  R-ELBO = E_r[A] + log Z_R
 *   dR/dφ = Cov_r(A, ρ ∂ℓq/∂φ)                      (score form; corrected Theorem 2)
 *   dR/dθ = E_r[∂ℓp/∂θ] + Cov_r(A, k ∂ℓp/∂θ)
 *   dR/dT = Cov_r(A, k)   (= −Cov_r(log σ(l), σ(l)) for ε = 0, l = −(lw + T))
 *   dZ_R/dT = E_q[(1−ε) σ(1−σ)]
 * The gradients are returned as coefficient vectors: dR/dφ = Σ_i phiCoef_i ∂ℓq(z_i)/∂φ and
 * dR/dθ = Σ_i thetaCoef_i ∂ℓp(z_i)/∂θ, which turns any per-point derivative into the exact gradient.
 */
import { fail } from '../errors.js';
import { valueAndGrad } from '../autodiff/transforms.js';
import { stopGradient } from '../autodiff/custom.js';
import { treeFlatten } from '../autodiff/tree.js';
import { Tensor } from '../tensor/tensor.js';
import { broadcastTo } from '../tensor/ops/movement.js';
import { isFinite as isFiniteT, mul, sum, where } from '../tensor/ops/index.js';
import { shapeSize, shapeToString } from '../tensor/shape.js';
import { acceptanceRho64, logAcceptance64, sigmoid64 } from './rejection-sampler.js';
import type { Problem } from './types.js';

export interface TiltOptions {
  /** T (a number; +Infinity gives r = q and the ELBO). */
  threshold: number;
  /** ε ∈ [0, 1) (default 0). */
  acceptanceFloor?: number;
}

export interface ExactRElbo {
  /** R-ELBO = E_r[A] + log Z_R. */
  rElbo: number;
  logZ: number;
  /** Z_R = E_q[a_ε]. */
  Z: number;
  /** ELBO = E_q[lw]. */
  elbo: number;
  /** log p(x) = log Σ_i p(x, z_i) (times the quadrature weights). */
  logEvidence: number;
  /** dR-ELBO/dT. */
  dT: number;
  /** dZ_R/dT. */
  dZdT: number;
  /** r's mass at each point (sums to 1; includes quadrature weights). */
  r: Float64Array;
  /** q's mass at each point (renormalized to sum to 1). */
  q: Float64Array;
  logA: Float64Array;
  A: Float64Array;
  /** dR/dφ = Σ_i phiCoef_i ∂ℓq(z_i)/∂φ. */
  phiCoef: Float64Array;
  /** dR/dθ = Σ_i thetaCoef_i ∂ℓp(z_i)/∂θ. */
  thetaCoef: Float64Array;
  /** k_i = d log a_ε/du at each point (for path-form gradients). */
  k: Float64Array;
}

function lse(v: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < v.length; i++) if (v[i] > m) m = v[i];
  if (m === -Infinity || m === Infinity) return m;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.exp(v[i] - m);
  return m + Math.log(s);
}

/**
 * The exact R-ELBO and friends from log p(x, z_i) and log q(z_i) at the points z_i of a support
 * (logMeasure omitted) or a quadrature grid (logMeasure_i = log of the quadrature weight). q's
 * mass on the points is renormalized to 1 (removes truncation error; a no-op for a full support).
 */
export function exactRElboFromLogDensities(
  logp: ArrayLike<number>,
  logq: ArrayLike<number>,
  options: TiltOptions & { logMeasure?: ArrayLike<number> },
): ExactRElbo {
  const op = 'exactRElbo';
  const n = logp.length;
  if (logq.length !== n) fail(op, `logp has ${n} points, logq ${logq.length}`);
  const T = options.threshold;
  const eps = options.acceptanceFloor ?? 0;
  if (!(eps >= 0 && eps < 1)) fail(op, `acceptanceFloor must be in [0, 1), got ${eps}`);
  if (typeof T !== 'number' || Number.isNaN(T) || T === -Infinity)
    fail(op, `threshold must be a real number or +Infinity, got ${T}`);
  const lm = options.logMeasure;
  const logqm = new Float64Array(n);
  for (let i = 0; i < n; i++) logqm[i] = logq[i] + (lm === undefined ? 0 : lm[i]);
  const logQ = lse(logqm);
  const qn = new Float64Array(n);
  const lw = new Float64Array(n);
  const logA = new Float64Array(n);
  const A = new Float64Array(n);
  const k = new Float64Array(n);
  const rho = new Float64Array(n);
  const lgr = new Float64Array(n);
  const lpm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    qn[i] = Math.exp(logqm[i] - logQ);
    lw[i] = logp[i] - logq[i];
    logA[i] = logAcceptance64(lw[i], T, eps);
    A[i] = lw[i] - logA[i];
    rho[i] = acceptanceRho64(lw[i], T, eps);
    k[i] = 1 - rho[i];
    lgr[i] = logqm[i] - logQ + logA[i];
    lpm[i] = logp[i] + (lm === undefined ? 0 : lm[i]);
  }
  const logZ = lse(lgr);
  const r = new Float64Array(n);
  let EA = 0;
  let elbo = 0;
  let dZdT = 0;
  for (let i = 0; i < n; i++) {
    r[i] = Math.exp(lgr[i] - logZ);
    if (r[i] > 0) EA += r[i] * A[i];
    if (qn[i] > 0) {
      elbo += qn[i] * lw[i];
      if (T !== Infinity) {
        const s = sigmoid64(lw[i] + T);
        dZdT += qn[i] * (1 - eps) * s * (1 - s);
      }
    }
  }
  const phiCoef = new Float64Array(n);
  const thetaCoef = new Float64Array(n);
  let dT = 0;
  for (let i = 0; i < n; i++) {
    if (r[i] === 0) continue;
    const c = A[i] - EA;
    phiCoef[i] = r[i] * c * rho[i];
    thetaCoef[i] = r[i] * (1 + c * k[i]);
    dT += r[i] * c * k[i];
  }
  return {
    rElbo: EA + logZ,
    logZ,
    Z: Math.exp(logZ),
    elbo,
    logEvidence: lse(lpm),
    dT,
    dZdT,
    r,
    q: qn,
    logA,
    A,
    phiCoef,
    thetaCoef,
    k,
  };
}

// ---- (a) enumeration over a discrete support, from a Problem -------------------------------

export interface ExactDiscreteOptions {
  problem: Problem;
  /**
   * The support, shape [K, ...] such that logJoint(theta, support, x) and guide.logProb(support)
   * both give [K, ...batch] (after broadcasting): K states per data point, e.g.
   * `Categorical.enumerateSupport()` ([K, 1, ..., 1]).
   */
  support: Tensor;
  /** T: a number or one number per data point. */
  threshold: number | ArrayLike<number>;
  acceptanceFloor?: number;
  /** Also compute dR/dφ and dR/dθ by autodiff (default true). */
  gradients?: boolean;
}

export interface ExactDiscreteResult {
  /** Σ over data points of the R-ELBO. */
  rElbo: number;
  /** One result per data point (flattened batch). */
  perDataPoint: ExactRElbo[];
  /** d(Σ R-ELBO)/dφ and d(Σ R-ELBO)/dθ, pytrees like phi and theta (undefined if gradients: false). */
  // biome-ignore lint/suspicious/noExplicitAny: shaped like the caller's phi, whose type the Problem erases.
  dPhi?: any;
  // biome-ignore lint/suspicious/noExplicitAny: shaped like the caller's theta, whose type the Problem erases.
  dTheta?: any;
}

/**
 * Exact R-ELBO, Z_R, r and gradients by enumeration: log p and log q are evaluated (in float32, by
 * the Problem) at every state of the support, everything else is float64.
 */
export function exactRElboDiscrete(
  theta: unknown,
  phi: unknown,
  x: unknown,
  options: ExactDiscreteOptions,
): ExactDiscreteResult {
  const op = 'exactRElboDiscrete';
  const { problem, support } = options;
  const K = support.shape[0];
  const evalBoth = (th: unknown, ph: unknown): { lp: Tensor; lq: Tensor } => {
    const q = problem.guide(ph, x);
    const target = [K, ...q.batchShape];
    const lp0 = problem.logJoint(th, support, x);
    const lq0 = q.logProb(support);
    const fit = (t: Tensor, what: string): Tensor => {
      try {
        return broadcastTo(t, target);
      } catch {
        return fail(
          op,
          `${what} has shape ${shapeToString(t.shape)}; expected [K, ...batch] = ${shapeToString(target)}`,
        );
      }
    };
    return { lp: fit(lp0, 'logJoint(theta, support, x)'), lq: fit(lq0, 'guide.logProb(support)') };
  };
  const { lp, lq } = evalBoth(stopGradient(theta), stopGradient(phi));
  const B = shapeSize(lp.shape.slice(1));
  const lpd = lp.dataSync();
  const lqd = lq.dataSync();
  const Ts =
    typeof options.threshold === 'number'
      ? new Array<number>(B).fill(options.threshold)
      : Array.from(options.threshold);
  if (Ts.length !== B) fail(op, `threshold has ${Ts.length} values for ${B} data points`);
  const per: ExactRElbo[] = [];
  const phiCoef = new Float32Array(K * B);
  const thetaCoef = new Float32Array(K * B);
  let total = 0;
  for (let b = 0; b < B; b++) {
    const p = new Float64Array(K);
    const qv = new Float64Array(K);
    for (let i = 0; i < K; i++) {
      p[i] = lpd[i * B + b];
      qv[i] = lqd[i * B + b];
    }
    const res = exactRElboFromLogDensities(p, qv, { threshold: Ts[b], acceptanceFloor: options.acceptanceFloor });
    per.push(res);
    total += res.rElbo;
    for (let i = 0; i < K; i++) {
      phiCoef[i * B + b] = res.phiCoef[i];
      thetaCoef[i * B + b] = res.thetaCoef[i];
    }
  }
  const out: ExactDiscreteResult = { rElbo: total, perDataPoint: per };
  if (options.gradients === false) return out;
  const shape = lp.shape.slice();
  const cPhi = Tensor.fromData(phiCoef, shape);
  const cTheta = Tensor.fromData(thetaCoef, shape);
  const weighted = (t: Tensor, c: Tensor): Tensor => sum(mul(where(isFiniteT(t.primal()), t, 0), c));
  const hasTheta = treeFlatten(theta)[0].length > 0;
  const hasPhi = treeFlatten(phi)[0].length > 0;
  if (hasPhi) out.dPhi = valueAndGrad((ph: unknown) => weighted(evalBoth(stopGradient(theta), ph).lq, cPhi))(phi)[1];
  if (hasTheta)
    out.dTheta = valueAndGrad((th: unknown) => weighted(evalBoth(th, stopGradient(phi)).lp, cTheta))(theta)[1];
  return out;
}

// ---- (b) 1-D continuous latents by quadrature ------------------------------------------------

export interface Quadrature1D {
  /** log p(x, z) (float64). */
  logp: (z: number) => number;
  /** log q(z | x) (float64, normalized density). */
  logq: (z: number) => number;
  /** ∂ log q(z)/∂φ_j at fixed z (score), for dR/dφ. */
  dlogq?: (z: number) => ArrayLike<number>;
  /** ∂ log p(x, z)/∂θ_j at fixed z, for dR/dθ. */
  dlogp?: (z: number) => ArrayLike<number>;
  /**
   * For the path form of docs/estimator-math.md §6.2 (a check of the RVRS identity): ∂lw/∂z and ∂z/∂φ_j at fixed noise
   * written as a function of z (location-scale q = N(m, s²): ∂z/∂m = 1, ∂z/∂log s = z − m).
   */
  dlwdz?: (z: number) => number;
  dzdphi?: (z: number) => ArrayLike<number>;
  /** Integration range and number of Simpson points (odd, default 20001). */
  lower: number;
  upper: number;
  points?: number;
}

export interface Exact1DResult extends ExactRElbo {
  grid: Float64Array;
  /** r's density on the grid. */
  rDensity: Float64Array;
  /** CDF of r (trapezoid on the grid, linear interpolation; 0 below, 1 above the range). */
  rCdf: (z: number) => number;
  /** dR/dφ (score form), if dlogq is given. */
  dPhi?: Float64Array;
  /** dR/dθ, if dlogp is given. */
  dTheta?: Float64Array;
  /** dR/dφ by the path form E_r[ρ² P lw] + Cov_r(A, (k − k² − k') P lw), if dlwdz and dzdphi are given. */
  dPhiPath?: Float64Array;
}

/** Exact R-ELBO quantities for a 1-D latent by Simpson quadrature on [lower, upper]. */
export function exactRElbo1D(model: Quadrature1D, options: TiltOptions): Exact1DResult {
  const op = 'exactRElbo1D';
  let n = model.points ?? 20001;
  if (!Number.isInteger(n) || n < 3) fail(op, `points must be an integer >= 3, got ${n}`);
  if (n % 2 === 0) n += 1;
  const { lower: a, upper: b } = model;
  if (!(a < b)) fail(op, `need lower < upper, got ${a}, ${b}`);
  const h = (b - a) / (n - 1);
  const grid = new Float64Array(n);
  const lp = new Float64Array(n);
  const lq = new Float64Array(n);
  const lm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const z = a + i * h;
    grid[i] = z;
    lp[i] = model.logp(z);
    lq[i] = model.logq(z);
    const w = i === 0 || i === n - 1 ? 1 : i % 2 === 1 ? 4 : 2;
    lm[i] = Math.log((w * h) / 3);
  }
  const res = exactRElboFromLogDensities(lp, lq, { ...options, logMeasure: lm });
  const rDensity = new Float64Array(n);
  const logQ = lse(lq.map((v, j) => v + lm[j]));
  for (let i = 0; i < n; i++) rDensity[i] = Math.exp(lq[i] - logQ + res.logA[i] - res.logZ);
  // CDF by the trapezoid rule on the density (renormalized to end at 1).
  const cdf = new Float64Array(n);
  for (let i = 1; i < n; i++) cdf[i] = cdf[i - 1] + 0.5 * h * (rDensity[i - 1] + rDensity[i]);
  const totalMass = cdf[n - 1];
  for (let i = 0; i < n; i++) cdf[i] /= totalMass;
  const rCdf = (z: number): number => {
    if (z <= a) return 0;
    if (z >= b) return 1;
    const t = (z - a) / h;
    const i = Math.min(n - 2, Math.floor(t));
    const f = t - i;
    return cdf[i] * (1 - f) + cdf[i + 1] * f;
  };
  const out: Exact1DResult = { ...res, grid, rDensity, rCdf };
  const combine = (coef: Float64Array, d: (z: number) => ArrayLike<number>): Float64Array => {
    let acc: Float64Array | null = null;
    for (let i = 0; i < n; i++) {
      if (coef[i] === 0) continue;
      const g = d(grid[i]);
      if (acc === null) acc = new Float64Array(g.length);
      for (let j = 0; j < g.length; j++) acc[j] += coef[i] * g[j];
    }
    return acc ?? new Float64Array(0);
  };
  if (model.dlogq) out.dPhi = combine(res.phiCoef, model.dlogq);
  if (model.dlogp) out.dTheta = combine(res.thetaCoef, model.dlogp);
  if (model.dlwdz && model.dzdphi) {
    // ∇_φ R = E_r[ρ² P lw] + Cov_r(A, (k − k² − k') P lw), P lw = (∂lw/∂z)(∂z/∂φ).
    const eps = options.acceptanceFloor ?? 0;
    const lambda = eps / (1 - eps);
    let EA = 0;
    for (let i = 0; i < n; i++) if (res.r[i] > 0) EA += res.r[i] * res.A[i];
    const coefPath = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (res.r[i] === 0) continue;
      const kk = res.k[i];
      const rho = 1 - kk;
      let kp = 0;
      if (options.threshold !== Infinity) {
        const s = sigmoid64(lp[i] - lq[i] + options.threshold);
        kp = (s * (1 - s) * ((1 - 2 * s) * (lambda + s) - s * (1 - s))) / ((lambda + s) * (lambda + s));
      }
      coefPath[i] = res.r[i] * (rho * rho + (res.A[i] - EA) * (kk - kk * kk - kp)) * model.dlwdz(grid[i]);
    }
    out.dPhiPath = combine(coefPath, model.dzdphi);
  }
  return out;
}
