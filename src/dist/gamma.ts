/**
 * Gamma(concentration, rate): density β^α x^(α-1) e^(-βx) / Γ(α) on (0, ∞), α, β > 0.
 *
 * Reparameterized by implicit reparameterization (Figurnov et al. 2018): the noise is log z for a
 * standard Gamma(α, 1) draw z, the value is z / β, and d z / d α comes from the Gamma CDF at fixed
 * quantile (the `reparamLogGamma` op), not from differentiating the rejection sampler. Samples
 * are kept at or above 2^-126 (the smallest normal float32, as TFP does): for α well below 1 a
 * draw can be smaller than float32 can hold, and 0 would have infinite density.
 */
import type { PyTree } from '../autodiff/tree.js';
import { stopGradient } from '../autodiff/custom.js';
import {
  add,
  digamma,
  div,
  exp,
  ge,
  lgamma,
  log,
  maximum,
  mul,
  reparamLogGamma,
  square,
  sub,
} from '../tensor/ops/index.js';
import type { Shape } from '../tensor/shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import type { PRNGKey } from '../random/key.js';
import { checkValues, positive, req, type Constraint } from './constraints.js';
import { Distribution, param, type DistributionOptions } from './distribution.js';
import { logStandardGamma } from './gamma-sampler.js';
import { broadcastParamShapes, FLOAT32_TINY, masked, xlogy } from './util.js';

export class Gamma extends Distribution {
  /** Shape parameter α. */
  readonly concentration: Tensor;
  /** Rate parameter β (inverse scale). */
  readonly rate: Tensor;

  constructor(concentration: TensorLike, rate: TensorLike = 1, options: DistributionOptions = {}) {
    const a = param('Gamma', 'concentration', concentration);
    const b = param('Gamma', 'rate', rate);
    super('Gamma', broadcastParamShapes('Gamma', { concentration: a.shape, rate: b.shape }), [], options);
    this.concentration = a;
    this.rate = b;
    if (this.validate) {
      checkValues('Gamma', 'concentration', a, req.positive);
      checkValues('Gamma', 'rate', b, req.positive);
    }
  }

  get support(): Constraint {
    return positive;
  }

  override get hasRsample(): boolean {
    return true;
  }

  get params(): { concentration: Tensor; rate: Tensor } {
    return { concentration: this.concentration, rate: this.rate };
  }

  _withParams(p: { [name: string]: PyTree }, validate: boolean): Gamma {
    return new Gamma(p.concentration as Tensor, p.rate as Tensor, { validate });
  }

  /** Noise: log of standard Gamma(α, 1) draws. */
  protected override _noise(key: PRNGKey, shape: Shape): Tensor {
    return logStandardGamma(key, this.concentration, shape);
  }

  protected override _fromNoise(noise: Tensor): Tensor {
    return maximum(exp(sub(reparamLogGamma(this.concentration, noise), log(this.rate))), FLOAT32_TINY);
  }

  /**
   * log of the pathwise sample for stored noise, computed in log space: log z - log β, exact and
   * differentiable even where z itself is below the float32 range (concentrations below ~0.1),
   * where `fromNoise` clamps to 2^-126 and loses the gradient of those draws.
   */
  logFromNoise(noise: Tensor): Tensor {
    this.checkNoise(`${this.name}.logFromNoise`, noise);
    return sub(reparamLogGamma(this.concentration, stopGradient(noise)), log(this.rate));
  }

  protected _logProb(x: Tensor): Tensor {
    const a = this.concentration;
    const b = this.rate;
    return masked(ge(x, 0), x, 1, (xs) => sub(add(sub(mul(a, log(b)), lgamma(a)), xlogy(sub(a, 1), xs)), mul(b, xs)));
  }

  protected override _entropy(): Tensor {
    const a = this.concentration;
    // α - log β + log Γ(α) + (1 - α) ψ(α)
    return add(sub(add(a, lgamma(a)), log(this.rate)), mul(sub(1, a), digamma(a)));
  }

  protected override _mean(): Tensor {
    return div(this.concentration, this.rate);
  }

  protected override _variance(): Tensor {
    return div(this.concentration, square(this.rate));
  }
}
