/**
 * A full-rank Gaussian guide for the logistic-regression posterior: q(coef) = N(loc, L Lᵀ) with L
 * lower-triangular, L = strictly-lower part of `offDiagonal` + diag(softplus(rawDiagonal)). Unlike
 * the mean-field guide it can follow the posterior's correlations (petal length against petal
 * width), at the same cost of one log-joint evaluation per ELBO step: it is the baseline against
 * which to judge what RVRS's extra proposals buy.
 *
 * Besides the tensor guide (for training), float64 draws with their log importance weights for
 * the evaluation in `logreg-evaluate.ts`.
 */
import { MultivariateNormal } from '../src/dist/index.js';
import { normal as normalDraws } from '../src/random/continuous.js';
import { split, type PRNGKey } from '../src/random/key.js';
import { eye } from '../src/tensor/creation.js';
import { tril } from '../src/tensor/ops/index.js';
import { Tensor } from '../src/tensor/tensor.js';
import type { Problem } from '../src/vi/types.js';
import type { BinaryDataset } from '../models/data/iris.js';
import { logJoint64, logRegLogJoint, type LogRegData } from '../models/logistic-regression.js';
import type { LogWeights64 } from './logreg-evaluate.js';

export interface FullRankPhi {
  loc: Tensor;
  /** [D, D]; only the part strictly below the diagonal is used. */
  offDiagonal: Tensor;
  /** [D]; the diagonal of L is softplus(rawDiagonal) > 0. */
  rawDiagonal: Tensor;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** loc = 0 and L = initScale · I: the same starting distribution as the mean-field guide's. */
export function fullRankInit(D: number, initScale = 0.1): FullRankPhi {
  const raw = Math.log(Math.expm1(initScale)); // softplus⁻¹
  return {
    loc: Tensor.fromData(new Float32Array(D), [D]),
    offDiagonal: Tensor.fromData(new Float32Array(D * D), [D, D]),
    rawDiagonal: Tensor.fromData(new Float32Array(D).fill(raw), [D]),
  };
}

/** The Cholesky factor L of the guide's covariance (differentiable in phi). */
export function fullRankScaleTril(phi: FullRankPhi): Tensor {
  const D = phi.loc.shape[0];
  // eye · v puts v on the diagonal (row i of eye keeps only column i).
  return tril(phi.offDiagonal, -1).add(eye(D).mul(phi.rawDiagonal.softplus()));
}

export function fullRankGuide(phi: FullRankPhi): MultivariateNormal {
  return new MultivariateNormal(phi.loc, fullRankScaleTril(phi));
}

export const fullRankProblem: Problem<unknown, FullRankPhi, LogRegData> = {
  logJoint: logRegLogJoint,
  guide: (phi) => fullRankGuide(phi),
};

function softplus64(u: number): number {
  return u > 0 ? u + Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u));
}

/** loc and L (row-major D × D) in float64. */
export function fullRank64(phi: FullRankPhi): { loc: Float64Array; tril: Float64Array } {
  const D = phi.loc.shape[0];
  const off = phi.offDiagonal.dataSync();
  const raw = phi.rawDiagonal.dataSync();
  const L = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    for (let j = 0; j < i; j++) L[i * D + j] = off[i * D + j];
    L[i * D + i] = softplus64(raw[i]);
  }
  return { loc: Float64Array.from(phi.loc.dataSync()), tril: L };
}

/**
 * n i.i.d. draws z = loc + L ε (ε standard normal from `key`, the same noise as the mean-field
 * guide's `guideDraws64` with the same key), log q(z) = −½|ε|² − Σ log L_ii − (D/2) log 2π, and
 * the log weights lw = log p(x, z) − log q(z).
 */
export function fullRankDraws64(
  key: PRNGKey,
  phi: FullRankPhi,
  ds: BinaryDataset,
  n: number,
): { z: Float64Array; logQ: Float64Array; lw: Float64Array } {
  const { loc, tril: L } = fullRank64(phi);
  const D = loc.length;
  const eps = normalDraws(key, [n, D]).dataSync();
  let logNorm = 0;
  for (let j = 0; j < D; j++) logNorm += Math.log(L[j * D + j]) + HALF_LOG_2PI;
  const z = new Float64Array(n * D);
  const logQ = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    let e2 = 0;
    for (let i = 0; i < D; i++) {
      let v = loc[i];
      for (let j = 0; j <= i; j++) v += L[i * D + j] * eps[s * D + j];
      z[s * D + i] = v;
      e2 += eps[s * D + i] ** 2;
    }
    logQ[s] = -0.5 * e2 - logNorm;
  }
  const lp = logJoint64(z, ds, n);
  const lw = new Float64Array(n);
  for (let s = 0; s < n; s++) lw[s] = lp[s] - logQ[s];
  return { z, logQ, lw };
}

/** The log weights of the full-rank guide, in chunks of at most `chunk` draws (as `guideLogWeights64`). */
export function fullRankLogWeights(phi: FullRankPhi, ds: BinaryDataset, chunk = 50_000): LogWeights64 {
  return (key, n) => {
    const out = new Float64Array(n);
    const chunks = Math.ceil(n / chunk);
    const keys = split(key, Math.max(chunks, 2));
    for (let c = 0; c < chunks; c++) {
      const m = Math.min(chunk, n - c * chunk);
      out.set(fullRankDraws64(keys[c], phi, ds, m).lw, c * chunk);
    }
    return out;
  };
}
