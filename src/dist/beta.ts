/**
 * Beta(concentration1, concentration0): density x^(α-1) (1-x)^(β-1) / B(α, β) on [0, 1], α, β > 0
 * (α = concentration1 weighs 1, β = concentration0 weighs 0, as in NumPyro and TFP).
 *
 * Reparameterized through two Gammas: X ~ Gamma(α), Y ~ Gamma(β), value X / (X + Y), computed as
 * sigmoid(log X - log Y). The noise is the pair (log X, log Y) along a trailing axis of length 2;
 * the implicit Gamma gradients give the Beta gradient by the chain rule. As in NumPyro, samples are
 * clamped to [2^-126, 1 - 2^-24] (the smallest normal float32 and the largest float32 below 1),
 * so that a draw within 1e-8 of 1 does not round to exactly 1, where the density is 0 or infinite.
 */
import type { PyTree } from '../autodiff/tree.js';
import {
  add,
  clip,
  digamma,
  div,
  ge,
  le,
  lgamma,
  mul,
  reparamLogGamma,
  sigmoid,
  split,
  square,
  squeeze,
  stack,
  sub,
} from '../tensor/ops/index.js';
import type { Shape } from '../tensor/shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { split as splitKey, type PRNGKey } from '../random/key.js';
import { checkValues, req, unitInterval, type Constraint } from './constraints.js';
import { Distribution, param, type DistributionOptions } from './distribution.js';
import { logStandardGamma } from './gamma-sampler.js';
import { and, broadcastParamShapes, FLOAT32_TINY, masked, ONE_MINUS_EPS, xlog1py, xlogy } from './util.js';

/** log B(a, b) = log Γ(a) + log Γ(b) - log Γ(a + b). */
export function logBeta(a: Tensor, b: Tensor): Tensor {
  return sub(add(lgamma(a), lgamma(b)), lgamma(add(a, b)));
}

export class Beta extends Distribution {
  /** α, the exponent of x. */
  readonly concentration1: Tensor;
  /** β, the exponent of 1 - x. */
  readonly concentration0: Tensor;

  constructor(concentration1: TensorLike, concentration0: TensorLike, options: DistributionOptions = {}) {
    const a = param('Beta', 'concentration1', concentration1);
    const b = param('Beta', 'concentration0', concentration0);
    super('Beta', broadcastParamShapes('Beta', { concentration1: a.shape, concentration0: b.shape }), [], options);
    this.concentration1 = a;
    this.concentration0 = b;
    if (this.validate) {
      checkValues('Beta', 'concentration1', a, req.positive);
      checkValues('Beta', 'concentration0', b, req.positive);
    }
  }

  get support(): Constraint {
    return unitInterval;
  }

  override get hasRsample(): boolean {
    return true;
  }

  get params(): { concentration1: Tensor; concentration0: Tensor } {
    return { concentration1: this.concentration1, concentration0: this.concentration0 };
  }

  _withParams(p: { [name: string]: PyTree }, validate: boolean): Beta {
    return new Beta(p.concentration1 as Tensor, p.concentration0 as Tensor, { validate });
  }

  override get noiseShapeSuffix(): Shape {
    return [...this.batchShape, 2];
  }

  /** Noise: [..., 2] holding log X (X ~ Gamma(α)) and log Y (Y ~ Gamma(β)). */
  protected override _noise(key: PRNGKey, shape: Shape): Tensor {
    const [k1, k2] = splitKey(key);
    return stack(
      [logStandardGamma(k1, this.concentration1, shape), logStandardGamma(k2, this.concentration0, shape)],
      -1,
    );
  }

  protected override _fromNoise(noise: Tensor): Tensor {
    const [lx, ly] = split(noise, 2, -1).map((t) => squeeze(t, -1));
    const x = sigmoid(sub(reparamLogGamma(this.concentration1, lx), reparamLogGamma(this.concentration0, ly)));
    return clip(x, FLOAT32_TINY, ONE_MINUS_EPS);
  }

  protected _logProb(x: Tensor): Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    return masked(and(ge(x, 0), le(x, 1)), x, 0.5, (xs) =>
      sub(add(xlogy(sub(a, 1), xs), xlog1py(sub(b, 1), mul(xs, -1))), logBeta(a, b)),
    );
  }

  protected override _entropy(): Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    // log B(α, β) - (α-1)ψ(α) - (β-1)ψ(β) + (α+β-2)ψ(α+β)
    return add(
      sub(sub(logBeta(a, b), mul(sub(a, 1), digamma(a))), mul(sub(b, 1), digamma(b))),
      mul(sub(add(a, b), 2), digamma(add(a, b))),
    );
  }

  protected override _mean(): Tensor {
    return div(this.concentration1, add(this.concentration1, this.concentration0));
  }

  protected override _variance(): Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const s = add(a, b);
    return div(mul(a, b), mul(square(s), add(s, 1)));
  }
}
