/**
 * IWAE bound estimators (docs/estimator-math.md §2): reparameterized (pathwise) and doubly reparameterized (DReG),
 * and the shared machinery of the VR-IWAE (α) family (docs/estimator-math.md §2.5), of which IWAE is α = 0.
 *
 *   L_N = E[ LME(lw_1..N) ],  lw_i = log p_θ(x, z_i) − log q_φ(z_i | x),  z_i iid q,
 *   W_i = softmax(lw)_i (over the sample axis 0),  value = LME(lw) per data point.
 *
 * Log-space throughout (logsumexp over axis 0, softmax over axis 0). The sample count N is
 * `options.samples`; local latents (guide batch shape [B], logJoint → [N, B]) and global latents
 * (batch shape [], logJoint → [N]) are both supported. The loss is −(datasetSize/B) Σ_b of the
 * surrogate fused with the value (docs/estimator-math.md §0.2), so its forward value is −bound.
 */
import { stopGradient } from '../autodiff/custom.js';
import { fail } from '../errors.js';
import type { PRNGKey } from '../random/key.js';
import { expm1, isFinite as isFiniteMask, log1p, where } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkSampleCount, finish, logJointOf, withInfo } from './common.js';
import { checkReparameterized, fuseValue, guideOf, reparamDraws } from './elbo.js';
import { checkLogWeights, effectiveSampleSize, logMeanExp } from './logweights.js';
import type { CommonOptions, EstimatorResult, ImportanceDiagnostics, Problem } from './types.js';

export interface IwaeOptions extends CommonOptions {
  problem: Problem;
}

/**
 * The VR-IWAE value (1/(1−α)) LME((1−α) lw) over axis 0 (differentiable; α = 0 gives
 * `logMeanExp(lw)` exactly). For α > 0 it is computed as
 *   L̂_α = m + log1p(mean_i expm1((1−α)(lw_i − m))) / (1−α),   m = sg(max_i lw_i),
 * which keeps full float32 relative precision of the small log-mean as α → 1 (a plain
 * logsumexp loses ~1e-7 absolute, amplified by 1/(1−α)). Its gradient with respect to lw_i is
 * W_i^{(α)} = softmax((1−α) lw)_i. All −∞ gives −∞.
 */
export function vrLogMeanExp(lw: Tensor, alpha: number): Tensor {
  if (typeof alpha !== 'number' || !(alpha >= 0 && alpha < 1))
    fail('vrLogMeanExp', `alpha must be a number in [0, 1), got ${String(alpha)}`);
  if (alpha === 0) return logMeanExp(lw, 0);
  const c = 1 - alpha;
  const m = stopGradient(lw.max(0, true));
  const shift = where(isFiniteMask(m), m, 0); // an infinite max (all −∞, or +∞) is not subtracted
  return log1p(expm1(lw.sub(shift).mul(c)).mean(0))
    .div(c)
    .add(shift.squeeze(0));
}

/** @internal Which φ-gradient an importance-weighted estimator uses. */
export type IwGradient = 'rep' | 'drep';

/**
 * @internal The VR-IWAE family with reparameterized draws (IWAE is α = 0), docs/estimator-math.md §2.2, §2.4, §2.5.
 *
 * 'rep':  surrogate = L̂_α(lw(z)),  z = rsample (total derivative through z and q's parameters).
 * 'drep': surrogate = S_θ + S_φ with
 *           S_θ = L̂_α(ℓp_θ(sg z) − log q_{sg φ}(sg z))                       (θ only)
 *           S_φ = Σ_i sg(α W_i + (1−α) W_i²) · [ℓp_{sg θ}(z_i) − log q_{sg φ}(z_i)]  (path derivative only)
 *         where W = softmax((1−α) lw).
 * value = L̂_α(lw) = (1/(1−α)) LME((1−α) lw).
 */
export function iwFamily(
  op: string,
  key: PRNGKey,
  theta: unknown,
  phi: unknown,
  x: unknown,
  options: IwaeOptions,
  alpha: number,
  gradient: IwGradient,
): EstimatorResult<ImportanceDiagnostics> {
  const q = guideOf(op, options, phi, x);
  const { problem, samples: N } = options;
  checkSampleCount(op, N, 1, q, options.maxDrawElements);
  checkReparameterized(op, q, 'a score-function importance-weighted estimator (VIMCO, VIMCO-★)');
  const z = reparamDraws(op, key, q, N, options.fixedDraws); // [N, ...batch, ...event], differentiable in φ

  let surrogate: Tensor;
  let value: Tensor;
  let lwValue: Tensor;
  if (gradient === 'rep') {
    const lw = logJointOf(op, problem, theta, z, x, q).sub(q.logProb(z)); // [N, ...batch]
    checkLogWeights(op, lw);
    value = vrLogMeanExp(lw, alpha);
    surrogate = value;
    lwValue = lw.primal();
  } else {
    const qd = q.detach();
    const zc = stopGradient(z);
    const lwTheta = logJointOf(op, problem, theta, zc, x, q).sub(qd.logProb(zc)); // θ only
    checkLogWeights(op, lwTheta);
    const sTheta = vrLogMeanExp(lwTheta, alpha);
    const w = stopGradient(lwTheta)
      .mul(1 - alpha)
      .softmax(0);
    const coef = alpha === 0 ? w.square() : w.mul(alpha).add(w.square().mul(1 - alpha)); // constants
    const lwPath = logJointOf(op, problem, stopGradient(theta), z, x, q).sub(qd.logProb(z)); // path only
    surrogate = sTheta.add(coef.mul(lwPath).sum(0));
    value = sTheta;
    lwValue = lwTheta.primal();
  }
  const out = finish(op, problem, q, fuseValue(surrogate, value), value);
  return {
    ...out,
    diagnostics: { samples: N, ess: effectiveSampleSize(alpha === 0 ? lwValue : lwValue.mul(1 - alpha)) },
  };
}

/**
 * Reparameterized IWAE (docs/estimator-math.md §2.2, Burda et al. 2016):
 *
 *   z_i = g_φ(ε_i),  surrogate = value = LME(lw_1..N)
 *   ĝ = Σ_i W_i ∇ lw_i (total derivative),  ĝ_θ = Σ_i W_i ∇_θ ℓp(z_i)
 *
 * The φ-gradient's SNR decays like O(N^{−1/2}); prefer `iwaeDreg` for φ when N is large.
 */
export const iwae = withInfo(
  function iwae(
    key: PRNGKey,
    theta: unknown,
    phi: unknown,
    x: unknown,
    options: IwaeOptions,
  ): EstimatorResult<ImportanceDiagnostics> {
    return iwFamily('iwae', key, theta, phi, x, options, 0, 'rep');
  },
  { name: 'iwae', drawsFrom: 'q', reparameterized: true, minSamples: 1 },
);

/**
 * Doubly reparameterized IWAE gradient, DReG (docs/estimator-math.md §2.4, Tucker et al. 2018):
 *
 *   S_θ = LME(ℓp_θ(sg z) − log q_{sg φ}(sg z))           → ĝ_θ = Σ_i W_i ∇_θ ℓp(z_i)
 *   S_φ = Σ_i sg(W_i²) · [ℓp_{sg θ}(z_i) − log q_{sg φ}(z_i)]  → ĝ_φ = Σ_i W_i² P lw_i
 *   surrogate = S_θ + S_φ,  value = LME(lw)
 *
 * Unbiased for ∇L_N; per-sample zero φ-gradient when q is the exact posterior; φ-SNR grows like
 * O(N^{1/2}). Evaluates the log joint twice (once with detached z, once with detached θ).
 */
export const iwaeDreg = withInfo(
  function iwaeDreg(
    key: PRNGKey,
    theta: unknown,
    phi: unknown,
    x: unknown,
    options: IwaeOptions,
  ): EstimatorResult<ImportanceDiagnostics> {
    return iwFamily('iwaeDreg', key, theta, phi, x, options, 0, 'drep');
  },
  { name: 'iwaeDreg', drawsFrom: 'q', reparameterized: true, minSamples: 1 },
);
