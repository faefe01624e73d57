/**
 * How noisy VIMCO's and VIMCO-★'s recognition-network gradients are at fixed parameters: M replicate
 * φ-gradients on one fixed set of images, each replicate from its own key, both estimators called with
 * the same key (so with the same draws z: they differ only in the control variate c_i).
 *
 * Both estimators are unbiased for the same ∇_φ L_k (each c_i ignores z_i), so they share the mean μ
 * and differ in the covariance Σ. Over all coordinates of φ (U and d) we report
 *   - the total variance tr Σ, unbiased: (Σ_r ‖g_r‖² − ‖Σ_r g_r‖² / M) / (M − 1);
 *   - the vector SNR ‖μ‖ / √tr Σ (as in the snr-scaling experiment), with ‖μ‖² from the unbiased
 *     U-statistic (‖Σ_r g_r‖² − Σ_r ‖g_r‖²) / (M (M − 1)) of the lower-variance estimator's replicates.
 *     With 157,000 coordinates, ‖mean‖² itself would be mostly noise (it is biased up by tr Σ / M); the
 *     U-statistic is not, but can come out ≤ 0 when the noise swamps μ: then the SNR is undefined.
 * Replicates are independent, so the error of tr Σ is about √(2 / (M − 1)) relative for Gaussian-like
 * gradients (heavier tails widen it); the across-seed intervals of the report include that error.
 */
import { valueAndGrad } from '../src/autodiff/transforms.js';
import { treeFlatten } from '../src/autodiff/tree.js';
import { foldIn, type PRNGKey } from '../src/random/key.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { vimco, vimcoStar } from '../src/vi/iw-score.js';
import { sbnProblem, type SbnPhi, type SbnTheta } from '../models/sbn.js';

export interface GradientNoise {
  /** Total variance tr Σ of the φ-gradient of each estimator (summed over the images). */
  varianceVimco: number;
  varianceStar: number;
  /** ‖μ‖² estimated without bias (may be ≤ 0 when the noise swamps it). */
  meanSquaredNorm: number;
  /** Mean effective sample size 1/Σ W_i² of the k importance weights (over images and replicates). */
  ess: number;
  /** ‖μ‖ / √tr Σ, or NaN when the estimate of ‖μ‖² is ≤ 0. */
  snrVimco: number;
  snrStar: number;
}

/** Running float64 sums of the replicates of one estimator: Σ g_r and Σ ‖g_r‖². */
export class GradientSums {
  readonly sum: Float64Array;
  squares = 0;
  count = 0;
  constructor(size: number) {
    this.sum = new Float64Array(size);
  }
  add(leaves: Tensor[]): void {
    let offset = 0;
    for (const leaf of leaves) {
      const g = leaf.dataSync();
      for (let j = 0; j < g.length; j++) {
        this.sum[offset + j] += g[j];
        this.squares += g[j] * g[j];
      }
      offset += g.length;
    }
    this.count++;
  }
  private sumNormSquared(): number {
    let s = 0;
    for (const v of this.sum) s += v * v;
    return s;
  }
  variance(): number {
    const M = this.count;
    return (this.squares - this.sumNormSquared() / M) / (M - 1);
  }
  meanSquaredNorm(): number {
    const M = this.count;
    return (this.sumNormSquared() - this.squares) / (M * (M - 1));
  }
}

/** tr Σ and SNR of VIMCO's and VIMCO-★'s φ-gradients with k samples per image on the images x. */
export function gradientNoise(
  key: PRNGKey,
  theta: SbnTheta,
  phi: SbnPhi,
  x: Tensor,
  k: number,
  replicates: number,
): GradientNoise {
  if (!Number.isInteger(replicates) || replicates < 2)
    throw new Error(`gradientNoise: expected at least 2 replicates, got ${replicates}`);
  const problem = sbnProblem();
  const size = phi.U.size + phi.d.size;
  const sums = { vimco: new GradientSums(size), star: new GradientSums(size) };
  let essSum = 0;
  for (let r = 0; r < replicates; r++) {
    const kr = foldIn(key, r);
    // Only φ is differentiated: θ enters as a constant, so the decoder is evaluated forward only.
    const gV = valueAndGrad((p: SbnPhi) => {
      const result = vimco(kr, theta, p, x, { problem, samples: k });
      const ess = result.diagnostics.ess.dataSync();
      for (const v of ess) essSum += v / ess.length;
      return result.loss;
    })(phi)[1];
    const gS = valueAndGrad((p: SbnPhi) => vimcoStar(kr, theta, p, x, { problem, samples: k }).loss)(phi)[1];
    sums.vimco.add(treeFlatten(gV)[0]);
    sums.star.add(treeFlatten(gS)[0]);
  }
  const varianceVimco = sums.vimco.variance();
  const varianceStar = sums.star.variance();
  const meanSquaredNorm = (varianceStar <= varianceVimco ? sums.star : sums.vimco).meanSquaredNorm();
  const snr = (variance: number): number => (meanSquaredNorm > 0 ? Math.sqrt(meanSquaredNorm / variance) : NaN);
  return {
    varianceVimco,
    varianceStar,
    meanSquaredNorm,
    ess: essSum / replicates,
    snrVimco: snr(varianceVimco),
    snrStar: snr(varianceStar),
  };
}
