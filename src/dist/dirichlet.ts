/**
 * Dirichlet(concentration): density Γ(α₀) / Π Γ(α_k) · Π x_k^(α_k - 1) on the simplex, for
 * concentration α of shape [..., K] (α_k > 0, α₀ = Σ α_k). Event shape [K].
 *
 * Reparameterized through normalized Gammas: G_k ~ Gamma(α_k), value = G / Σ G = softmax(log G).
 * The noise is log G (same shape as the value); the implicit Gamma gradients give the Dirichlet
 * gradient by the chain rule. As in NumPyro, coordinates are clamped to [2^-126, 1 - 2^-24] so
 * that none is exactly 0 or 1 after float32 rounding (the sum stays within 1e-6 of 1).
 */
import { fail } from '../errors.js';
import type { PyTree } from '../autodiff/tree.js';
import {
  add,
  clip,
  digamma,
  div,
  expandDims,
  lgamma,
  mul,
  reparamLogGamma,
  softmax,
  square,
  sub,
  sum,
  where,
} from '../tensor/ops/index.js';
import { shapeToString, type Shape } from '../tensor/shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import type { PRNGKey } from '../random/key.js';
import { checkValues, req, simplex, type Constraint } from './constraints.js';
import { Distribution, param, type DistributionOptions } from './distribution.js';
import { logStandardGamma } from './gamma-sampler.js';
import { FLOAT32_TINY, ONE_MINUS_EPS, xlogy } from './util.js';

/** log B(α) = Σ log Γ(α_k) - log Γ(Σ α_k), over the last axis. */
export function logMultivariateBeta(alpha: Tensor): Tensor {
  return sub(sum(lgamma(alpha), -1), lgamma(sum(alpha, -1)));
}

export class Dirichlet extends Distribution {
  readonly concentration: Tensor;

  constructor(concentration: TensorLike, options: DistributionOptions = {}) {
    const a = param('Dirichlet', 'concentration', concentration);
    if (a.ndim < 1 || a.shape[a.ndim - 1] < 1) {
      fail('Dirichlet', `concentration must have shape [..., K] with K >= 1, got ${shapeToString(a.shape)}`);
    }
    super('Dirichlet', a.shape.slice(0, -1), a.shape.slice(-1), options);
    this.concentration = a;
    if (this.validate) checkValues('Dirichlet', 'concentration', a, req.positive);
  }

  get support(): Constraint {
    return simplex;
  }

  override get hasRsample(): boolean {
    return true;
  }

  get params(): { concentration: Tensor } {
    return { concentration: this.concentration };
  }

  protected override get paramEventRanks(): { [name: string]: number } {
    return { concentration: 1 };
  }

  _withParams(p: { [name: string]: PyTree }, validate: boolean): Dirichlet {
    return new Dirichlet(p.concentration as Tensor, { validate });
  }

  protected override _noise(key: PRNGKey, shape: Shape): Tensor {
    return logStandardGamma(key, this.concentration, shape);
  }

  protected override _fromNoise(noise: Tensor): Tensor {
    return clip(softmax(reparamLogGamma(this.concentration, noise), -1), FLOAT32_TINY, ONE_MINUS_EPS);
  }

  protected _logProb(x: Tensor): Tensor {
    const a = this.concentration;
    const k = this.eventShape[0];
    const inside = simplex.check(x);
    const xs = where(expandDims(inside, -1), x, 1 / k);
    const lp = sub(sum(xlogy(sub(a, 1), xs), -1), logMultivariateBeta(a));
    return where(inside, lp, -Infinity);
  }

  protected override _entropy(): Tensor {
    const a = this.concentration;
    const k = this.eventShape[0];
    const a0 = sum(a, -1);
    // log B(α) + (α₀ - K) ψ(α₀) - Σ (α_k - 1) ψ(α_k)
    return sub(add(logMultivariateBeta(a), mul(sub(a0, k), digamma(a0))), sum(mul(sub(a, 1), digamma(a)), -1));
  }

  protected override _mean(): Tensor {
    return div(this.concentration, sum(this.concentration, -1, true));
  }

  protected override _variance(): Tensor {
    const a = this.concentration;
    const a0 = sum(a, -1, true);
    return div(mul(a, sub(a0, a)), mul(square(a0), add(a0, 1)));
  }
}
