/**
 * High-accuracy float64 evaluation of the logistic-regression bounds (ELBO, IWAE-K, R-ELBO) from many
 * i.i.d. draws of a guide. The guide enters only through its log importance weights
 * lw = log p(x, z) − log q(z), so the mean-field and the full-rank Gaussian guide are evaluated by the
 * same code.
 */
import { uniform as uniformDraws } from '../src/random/continuous.js';
import { split, type PRNGKey } from '../src/random/key.js';
import { logAcceptance64 } from '../src/vi/rejection-sampler.js';
import type { BinaryDataset } from '../models/data/iris.js';
import { guideLogWeights64, logMeanExpSe64, meanAndSe, type MeanFieldPhi } from '../models/logistic-regression.js';

export interface Estimate {
  value: number;
  se: number;
}

/** n i.i.d. log importance weights of a guide, drawn from `key` (the same key gives the same draws). */
export type LogWeights64 = (key: PRNGKey, n: number) => Float64Array;

/** The log weights of the mean-field guide. */
export function meanFieldLogWeights(phi: MeanFieldPhi, ds: BinaryDataset): LogWeights64 {
  return (key, n) => guideLogWeights64(key, phi, ds, n);
}

/** Mean and its standard error (NaN for a single value). */
export function meanSe(v: ArrayLike<number>): Estimate {
  const { mean, se } = meanAndSe(v);
  return { value: mean, se };
}

/** ELBO: mean of lw over n i.i.d. draws from q. */
export function evaluateElbo(key: PRNGKey, logWeights: LogWeights64, n: number): Estimate {
  return meanSe(logWeights(key, n));
}

/** IWAE-K bound: mean over ⌊n/K⌋ disjoint groups of K draws of LME(lw), with its SE. */
export function evaluateIwae(key: PRNGKey, logWeights: LogWeights64, n: number, K: number): Estimate {
  const groups = Math.floor(n / K);
  const lw = logWeights(key, groups * K);
  const vals = new Float64Array(groups);
  for (let g = 0; g < groups; g++) vals[g] = logMeanExpSe64(lw.subarray(g * K, (g + 1) * K)).value;
  return meanSe(vals);
}

export interface RElboEstimate extends Estimate {
  /** Ẑ: the estimated acceptance rate Z_R. */
  acceptance: number;
  /** Accepted draws of the second set (out of n proposals). */
  accepted: number;
}

/**
 * The R-ELBO of r ∝ q · a_ε, a_ε = ε + (1 − ε) σ(lw + T), by the RVRS reference script's evaluation
 * (docs/estimator-math.md §6.5): Ẑ from n i.i.d. draws of q; an independent set of n proposals put
 * through the rejection step (accept when u < a_ε); value = mean of A_ε = lw − log a_ε over the
 * accepted draws + log Ẑ. The two sets are independent, so SE² = Var(A)/n_acc + Var(a)/(n Ẑ²)
 * (delta method for log Ẑ).
 */
export function evaluateRElbo(
  key: PRNGKey,
  logWeights: LogWeights64,
  n: number,
  T: number,
  floor: number,
): RElboEstimate {
  const [kz, kp, ku] = split(key, 3);
  const lwZ = logWeights(kz, n);
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.exp(logAcceptance64(lwZ[i], T, floor));
  const Z = meanSe(a);
  const lw = logWeights(kp, n);
  const u = uniformDraws(ku, [n]).dataSync();
  const A: number[] = [];
  for (let i = 0; i < n; i++) {
    const la = logAcceptance64(lw[i], T, floor);
    if (u[i] < Math.exp(la)) A.push(lw[i] - la);
  }
  const mA = meanSe(A);
  const relSeZ = Z.se / Z.value;
  return {
    value: mA.value + Math.log(Z.value),
    se: Math.sqrt(mA.se ** 2 + relSeZ ** 2),
    acceptance: Z.value,
    accepted: A.length,
  };
}
