/**
 * Uniform(low, high): constant density 1/(high - low) on [low, high], low < high.
 * Reparameterized: value = low + (high - low) · u, u ~ Uniform[0, 1) is the noise.
 */
import { fail } from '../errors.js';
import type { PyTree } from '../autodiff/tree.js';
import { add, div, ge, le, log, mul, neg, square, sub } from '../tensor/ops/index.js';
import type { Shape } from '../tensor/shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { uniform } from '../random/continuous.js';
import type { PRNGKey } from '../random/key.js';
import { checkValues, formatIndex, formatValue, interval, req, type Constraint } from './constraints.js';
import { Distribution, param, type DistributionOptions } from './distribution.js';
import { and, broadcastParamShapes, toShape } from './util.js';
import { where } from '../tensor/ops/index.js';

export class Uniform extends Distribution {
  readonly low: Tensor;
  readonly high: Tensor;

  constructor(low: TensorLike, high: TensorLike, options: DistributionOptions = {}) {
    const lo = param('Uniform', 'low', low);
    const hi = param('Uniform', 'high', high);
    const batch = broadcastParamShapes('Uniform', { low: lo.shape, high: hi.shape });
    super('Uniform', batch, [], options);
    this.low = lo;
    this.high = hi;
    if (this.validate) {
      checkValues('Uniform', 'low', lo, req.finite);
      checkValues('Uniform', 'high', hi, req.finite);
      const l = toShape(lo.primal(), batch).dataSync();
      const h = toShape(hi.primal(), batch).dataSync();
      for (let i = 0; i < l.length; i++) {
        if (!(l[i] < h[i]))
          fail(
            'Uniform',
            `low must be < high, got low ${formatValue(l[i])} and high ${formatValue(h[i])}${formatIndex(i, batch)}`,
          );
      }
    }
  }

  get support(): Constraint {
    return interval(this.low, this.high);
  }

  override get hasRsample(): boolean {
    return true;
  }

  get params(): { low: Tensor; high: Tensor } {
    return { low: this.low, high: this.high };
  }

  _withParams(p: { [name: string]: PyTree }, validate: boolean): Uniform {
    return new Uniform(p.low as Tensor, p.high as Tensor, { validate });
  }

  protected override _noise(key: PRNGKey, shape: Shape): Tensor {
    return uniform(key, shape);
  }

  protected override _fromNoise(noise: Tensor): Tensor {
    return add(this.low, mul(sub(this.high, this.low), noise));
  }

  protected _logProb(x: Tensor): Tensor {
    const inside = and(ge(x, this.low.primal()), le(x, this.high.primal()));
    return where(inside, neg(log(sub(this.high, this.low))), -Infinity);
  }

  protected override _entropy(): Tensor {
    return log(sub(this.high, this.low));
  }

  protected override _mean(): Tensor {
    return mul(add(this.low, this.high), 0.5);
  }

  protected override _variance(): Tensor {
    return div(square(sub(this.high, this.low)), 12);
  }
}
