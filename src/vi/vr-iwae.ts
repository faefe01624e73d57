/**
 * VR-IWAE bound estimators (docs/estimator-math.md §2.5, Daudel–Benton–Shi–Doucet 2023), α ∈ [0, 1):
 *
 *   L_N^{(α)} = (1/(1−α)) E[ LME((1−α) lw_1..N) ],   W_i^{(α)} = softmax((1−α) lw)_i
 *   value L̂_α = (1/(1−α)) LME((1−α) lw)   (per data point)
 *
 * α = 0 is IWAE; N = 1 is the ELBO for every α; for fixed draws mean(lw) ≤ L̂_α ≤ LME(lw) and L̂_α
 * is nonincreasing in α.
 *
 * gradient 'rep' (default): surrogate = L̂_α(lw(z)), z = rsample → Σ_i W_i^{(α)} ∇ lw_i.
 * gradient 'drep': surrogate = S_θ + S_φ,
 *   S_θ = L̂_α(ℓp_θ(sg z) − log q_{sg φ}(sg z))                                   → Σ_i W_i^{(α)} ∇_θ ℓp
 *   S_φ = Σ_i sg(α W_i^{(α)} + (1−α)(W_i^{(α)})²) · [ℓp_{sg θ}(z_i) − log q_{sg φ}(z_i)] → DREP φ-gradient
 * Both are unbiased for ∇L_N^{(α)}; 'drep' is DReG at α = 0 and has much lower φ-variance.
 * gradient 'score': delegates to `vrIwaeScore` (src/vi/iw-score.ts): the plain score-function
 *   gradient Σ_i (L̂_α − W_i^{(α)}) s_φ(z_i) for guides without rsample (high variance; `vimcoStar`
 *   there is the low-variance score-function choice). `vrIwae.info` describes the reparameterized
 *   modes.
 */
import { fail } from '../errors.js';
import type { PRNGKey } from '../random/key.js';
import { withInfo } from './common.js';
import { vrIwaeScore } from './iw-score.js';
import { iwFamily, type IwaeOptions } from './iwae.js';
import type { EstimatorResult, ImportanceDiagnostics } from './types.js';

export interface VrIwaeOptions extends IwaeOptions {
  /** α ∈ [0, 1): 0 is IWAE; larger α moves the bound towards the ELBO. */
  alpha: number;
  /** φ-gradient: 'rep' (pathwise, default), 'drep' (doubly reparameterized) or 'score' (= vrIwaeScore). */
  gradient?: 'rep' | 'drep' | 'score';
}

export const vrIwae = withInfo(
  function vrIwae(
    key: PRNGKey,
    theta: unknown,
    phi: unknown,
    x: unknown,
    options: VrIwaeOptions,
  ): EstimatorResult<ImportanceDiagnostics> {
    const op = 'vrIwae';
    if (options === null || typeof options !== 'object')
      fail(op, 'options must be an object with at least { problem, samples, alpha }');
    const { alpha } = options;
    if (typeof alpha !== 'number' || !(alpha >= 0 && alpha < 1)) {
      fail(op, `alpha must be a number in [0, 1) (0 is IWAE; α → 1 approaches the ELBO), got ${String(alpha)}`);
    }
    const gradient = options.gradient ?? 'rep';
    if (gradient === 'score') {
      const { gradient: _, ...rest } = options;
      return vrIwaeScore(key, theta, phi, x, rest);
    }
    if (gradient !== 'rep' && gradient !== 'drep')
      fail(op, `gradient must be 'rep', 'drep' or 'score', got ${String(gradient)}`);
    return iwFamily(op, key, theta, phi, x, options, alpha, gradient);
  },
  { name: 'vrIwae', drawsFrom: 'q', reparameterized: true, minSamples: 1 },
);
