/**
 * Normal(loc, scale): the Gaussian with mean `loc` and standard deviation `scale` > 0.
 * Reparameterized: value = loc + scale · ε, ε ~ N(0, 1) is the noise.
 */
import type { PyTree } from '../autodiff/tree.js';
import { add, log, mul, square, sub, div } from '../tensor/ops/index.js';
import type { Shape } from '../tensor/shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { normal } from '../random/continuous.js';
import type { PRNGKey } from '../random/key.js';
import { checkValues, real, req, type Constraint } from './constraints.js';
import { Distribution, param, type DistributionOptions } from './distribution.js';
import { broadcastParamShapes } from './util.js';

export const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

export class Normal extends Distribution {
  readonly loc: Tensor;
  readonly scale: Tensor;

  constructor(loc: TensorLike, scale: TensorLike, options: DistributionOptions = {}) {
    const l = param('Normal', 'loc', loc);
    const s = param('Normal', 'scale', scale);
    super('Normal', broadcastParamShapes('Normal', { loc: l.shape, scale: s.shape }), [], options);
    this.loc = l;
    this.scale = s;
    if (this.validate) {
      checkValues('Normal', 'loc', l, req.finite);
      checkValues('Normal', 'scale', s, req.positive);
    }
  }

  get support(): Constraint {
    return real;
  }

  override get hasRsample(): boolean {
    return true;
  }

  get params(): { loc: Tensor; scale: Tensor } {
    return { loc: this.loc, scale: this.scale };
  }

  _withParams(p: { [name: string]: PyTree }, validate: boolean): Normal {
    return new Normal(p.loc as Tensor, p.scale as Tensor, { validate });
  }

  protected override _noise(key: PRNGKey, shape: Shape): Tensor {
    return normal(key, shape);
  }

  protected override _fromNoise(noise: Tensor): Tensor {
    return add(this.loc, mul(this.scale, noise));
  }

  protected _logProb(x: Tensor): Tensor {
    const z = div(sub(x, this.loc), this.scale);
    return sub(sub(mul(square(z), -0.5), log(this.scale)), HALF_LOG_2PI);
  }

  protected override _entropy(): Tensor {
    return add(log(this.scale), 0.5 + HALF_LOG_2PI);
  }

  protected override _mean(): Tensor {
    return this.loc;
  }

  protected override _variance(): Tensor {
    return square(this.scale);
  }
}
