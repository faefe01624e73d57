/**
 * Exponential(rate): density rate · e^(-rate x) on [0, ∞), rate > 0.
 * Reparameterized: value = e / rate, e ~ Exponential(1) is the noise.
 */
import type { PyTree } from '../autodiff/tree.js';
import { div, ge, log, mul, square, sub } from '../tensor/ops/index.js';
import type { Shape } from '../tensor/shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { exponential } from '../random/continuous.js';
import type { PRNGKey } from '../random/key.js';
import { checkValues, nonNegative, req, type Constraint } from './constraints.js';
import { Distribution, param, type DistributionOptions } from './distribution.js';
import { masked } from './util.js';

const reciprocal = (x: Tensor): Tensor => div(1, x);

export class Exponential extends Distribution {
  readonly rate: Tensor;

  constructor(rate: TensorLike, options: DistributionOptions = {}) {
    const r = param('Exponential', 'rate', rate);
    super('Exponential', r.shape, [], options);
    this.rate = r;
    if (this.validate) checkValues('Exponential', 'rate', r, req.positive);
  }

  get support(): Constraint {
    return nonNegative;
  }

  override get hasRsample(): boolean {
    return true;
  }

  get params(): { rate: Tensor } {
    return { rate: this.rate };
  }

  _withParams(p: { [name: string]: PyTree }, validate: boolean): Exponential {
    return new Exponential(p.rate as Tensor, { validate });
  }

  protected override _noise(key: PRNGKey, shape: Shape): Tensor {
    return exponential(key, shape);
  }

  protected override _fromNoise(noise: Tensor): Tensor {
    return div(noise, this.rate);
  }

  protected _logProb(x: Tensor): Tensor {
    return masked(ge(x, 0), x, 0, (xs) => sub(log(this.rate), mul(this.rate, xs)));
  }

  protected override _entropy(): Tensor {
    return sub(1, log(this.rate));
  }

  protected override _mean(): Tensor {
    return reciprocal(this.rate);
  }

  protected override _variance(): Tensor {
    return reciprocal(square(this.rate));
  }
}
