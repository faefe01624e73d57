/**
 * Theorem 1 of the VRS paper (Grover et al. 2018), computed exactly on the truncated Poisson of the
 * diagnostic (models/truncated-poisson.ts).
 *
 * For a fixed proposal q = Poisson(rate) and a threshold T, the resampled proposal is
 * r_T(z) ∝ q(z)·σ(lw(z) + T) with lw = log P − log q (docs/estimator-math.md §5.1). Its R-ELBO is
 * log Σ P − KL(r_T ‖ p), p = P / Σ P, and dR-ELBO/dT ≤ 0 (§5.2): lowering T moves r_T from q
 * (T = +∞, the plain ELBO) towards p (T → −∞, the R-ELBO → log Σ P), and the price is the
 * acceptance rate Z_R(T) = E_q[σ(lw + T)], which falls towards e^T·Σ P.
 *
 * Everything here is an enumeration of z < 400 in float64: no sampling, hence no seed.
 */
import { TRUNCATED_POISSON } from '../models/truncated-poisson.js';
import { exactRElboFromLogDensities } from '../src/vi/r-elbo-exact.js';

/** Unit roundoff of float64. */
const EPS = 2 ** -53;

/** The proposals of the sweep: either side of the target's rate, and the plain ELBO's optimum. */
export const SWEEP_RATES = [8, TRUNCATED_POISSON.elboOptimumRate, 20] as const;

/** Thresholds of the sweep: from where r_T ≈ p to where r_T ≈ q (rejecting even the z < 5 draws stops). */
export const SWEEP_THRESHOLDS: readonly number[] = Array.from({ length: 141 }, (_, i) => -20 + i);

export interface ThresholdPoint {
  threshold: number;
  rElbo: number;
  /** KL(r_T ‖ p) = Σ r log(r / p). */
  kl: number;
  /** Bound on the float64 rounding error of `kl` (the inputs log P, log q taken as exact). */
  klRoundingBound: number;
  /** Z_R = E_q[σ(lw + T)], the expected acceptance rate. */
  acceptance: number;
  /** dR-ELBO/dT (≤ 0 by the theorem). */
  dRdT: number;
  /** r_T's mass at z = 0, 1, …, 399. */
  r: Float64Array;
}

export interface TruncatedPoissonLogDensities {
  /** log P(z), unnormalized target. */
  logTarget: Float64Array;
  /** log q(z) = log Poisson(z; rate). */
  logProposal: Float64Array;
}

/** log P and log q on z = 0 … 399 in float64 (log z! by cumulative sums). */
export function truncatedPoissonLogDensities(rate: number): TruncatedPoissonLogDensities {
  const n = TRUNCATED_POISSON.support;
  const logTarget = new Float64Array(n);
  const logProposal = new Float64Array(n);
  let logFactorial = 0;
  for (let z = 0; z < n; z++) {
    if (z > 0) logFactorial += Math.log(z);
    const logPoisson10 = z * Math.log(TRUNCATED_POISSON.rate) - TRUNCATED_POISSON.rate - logFactorial;
    logTarget[z] = z >= TRUNCATED_POISSON.cut ? logPoisson10 : TRUNCATED_POISSON.logEps;
    logProposal[z] = z * Math.log(rate) - rate - logFactorial;
  }
  return { logTarget, logProposal };
}

function logSumExp(v: Float64Array): number {
  let m = -Infinity;
  for (const x of v) if (x > m) m = x;
  let s = 0;
  for (const x of v) s += Math.exp(x - m);
  return m + Math.log(s);
}

/** The exact R-ELBO, KL(r_T ‖ p), Z_R and dR/dT for q = Poisson(rate) at threshold T (+Infinity allowed). */
export function exactAtThreshold(rate: number, threshold: number): ThresholdPoint {
  const { logTarget, logProposal } = truncatedPoissonLogDensities(rate);
  const res = exactRElboFromLogDensities(logTarget, logProposal, { threshold });
  const n = logTarget.length;
  const logQ = logSumExp(logProposal);
  // KL summed term by term, log r − log p from the log-domain pieces: KL(r_T ‖ p) shrinks like e^{2T}
  // while log Σ P − R-ELBO would lose it in cancellation long before.
  let kl = 0;
  let magnitude = 0;
  const T = threshold === Infinity ? 0 : Math.abs(threshold);
  for (let z = 0; z < n; z++) {
    if (res.r[z] === 0) continue;
    const logR = logProposal[z] - logQ + res.logA[z] - res.logZ;
    const logP = logTarget[z] - res.logEvidence;
    kl += res.r[z] * (logR - logP);
    const lw = logTarget[z] - logProposal[z];
    // Each of the ~8 roundings in logR − logP (and in log σ(lw + T)) errs by ε times these magnitudes.
    const terms = Math.abs(logProposal[z]) + Math.abs(logQ) + Math.abs(res.logA[z]) + Math.abs(res.logZ);
    magnitude += res.r[z] * (terms + Math.abs(logTarget[z]) + Math.abs(res.logEvidence) + Math.abs(lw) + T);
  }
  // r's own rounding (a few ε relative per entry, n entries summed) scales the KL.
  const klRoundingBound = 8 * EPS * magnitude + 4 * n * EPS * Math.abs(kl);
  return { threshold, rElbo: res.rElbo, kl, klRoundingBound, acceptance: res.Z, dRdT: res.dT, r: res.r };
}

export interface ThresholdSweep {
  rate: number;
  /** log Σ P (the R-ELBO's limit as T → −∞). */
  logEvidence: number;
  /** The plain ELBO (the R-ELBO at T = +∞). */
  elbo: number;
  /** KL(q ‖ p), the KL at T = +∞. */
  klAtInfinity: number;
  points: ThresholdPoint[];
}

/** The exact quantities of Theorem 1 at each threshold, for the proposal Poisson(rate). */
export function thresholdSweep(rate: number, thresholds: readonly number[] = SWEEP_THRESHOLDS): ThresholdSweep {
  const atInfinity = exactAtThreshold(rate, Infinity);
  const { logTarget } = truncatedPoissonLogDensities(rate);
  return {
    rate,
    logEvidence: logSumExp(logTarget),
    elbo: atInfinity.rElbo,
    klAtInfinity: atInfinity.kl,
    points: thresholds.map((t) => exactAtThreshold(rate, t)),
  };
}

/**
 * Adjacent thresholds (in increasing T) where the exact numbers break the theorem by more than their
 * rounding: KL(r_T ‖ p) falling, or Z_R falling, as T rises. Zero when Theorem 1 holds.
 */
export function monotonicityViolations(sweep: ThresholdSweep): number {
  const pts = [...sweep.points].sort((a, b) => a.threshold - b.threshold);
  let violations = 0;
  for (let i = 1; i < pts.length; i++) {
    const [a, b] = [pts[i - 1], pts[i]];
    if (b.kl < a.kl - (a.klRoundingBound + b.klRoundingBound)) violations++;
    // Z_R is a sum of n terms in [0, 1]: its rounding is below n·ε.
    if (b.acceptance < a.acceptance - 2 * TRUNCATED_POISSON.support * EPS) violations++;
  }
  return violations;
}
