/**
 * LogNormal(loc, scale): exp(Y) for Y ~ Normal(loc, scale). Support (0, ∞).
 * Reparameterized: value = exp(loc + scale · ε), ε ~ N(0, 1) is the noise.
 */
import type { PyTree } from '../autodiff/tree.js';
import { add, div, exp, expm1, gt, log, mul, square, sub } from '../tensor/ops/index.js';
import type { Shape } from '../tensor/shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { normal } from '../random/continuous.js';
import type { PRNGKey } from '../random/key.js';
import { checkValues, positive, req, type Constraint } from './constraints.js';
import { Distribution, param, type DistributionOptions } from './distribution.js';
import { HALF_LOG_2PI } from './normal.js';
import { broadcastParamShapes, masked } from './util.js';

export class LogNormal extends Distribution {
  /** Mean of log(X). */
  readonly loc: Tensor;
  /** Standard deviation of log(X). */
  readonly scale: Tensor;

  constructor(loc: TensorLike, scale: TensorLike, options: DistributionOptions = {}) {
    const l = param('LogNormal', 'loc', loc);
    const s = param('LogNormal', 'scale', scale);
    super('LogNormal', broadcastParamShapes('LogNormal', { loc: l.shape, scale: s.shape }), [], options);
    this.loc = l;
    this.scale = s;
    if (this.validate) {
      checkValues('LogNormal', 'loc', l, req.finite);
      checkValues('LogNormal', 'scale', s, req.positive);
    }
  }

  get support(): Constraint {
    return positive;
  }

  override get hasRsample(): boolean {
    return true;
  }

  get params(): { loc: Tensor; scale: Tensor } {
    return { loc: this.loc, scale: this.scale };
  }

  _withParams(p: { [name: string]: PyTree }, validate: boolean): LogNormal {
    return new LogNormal(p.loc as Tensor, p.scale as Tensor, { validate });
  }

  protected override _noise(key: PRNGKey, shape: Shape): Tensor {
    return normal(key, shape);
  }

  protected override _fromNoise(noise: Tensor): Tensor {
    return exp(add(this.loc, mul(this.scale, noise)));
  }

  protected _logProb(x: Tensor): Tensor {
    return masked(gt(x, 0), x, 1, (xs) => {
      const lx = log(xs);
      const z = div(sub(lx, this.loc), this.scale);
      return sub(sub(sub(mul(square(z), -0.5), log(this.scale)), HALF_LOG_2PI), lx);
    });
  }

  protected override _entropy(): Tensor {
    return add(add(this.loc, log(this.scale)), 0.5 + HALF_LOG_2PI);
  }

  protected override _mean(): Tensor {
    return exp(add(this.loc, mul(square(this.scale), 0.5)));
  }

  protected override _variance(): Tensor {
    const s2 = square(this.scale);
    return mul(expm1(s2), exp(add(mul(this.loc, 2), s2)));
  }
}
