/**
 * Poisson(rate): mass rate^k e^(-rate) / k! on k = 0, 1, 2, ..., rate > 0. Not reparameterized.
 */
import type { PyTree } from '../autodiff/tree.js';
import { add, div, exp, gt, lgamma, log, max, mul, neg, reshape, sub, sum, where } from '../tensor/ops/index.js';
import { arange } from '../tensor/creation.js';
import type { Shape } from '../tensor/shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { poisson } from '../random/poisson.js';
import type { PRNGKey } from '../random/key.js';
import { checkValues, nonNegativeInteger, req, type Constraint } from './constraints.js';
import { Distribution, param, type DistributionOptions } from './distribution.js';
import { masked, xlogy } from './util.js';

/** Rates above this use the asymptotic expansion of the entropy. */
const ENTROPY_SERIES_MAX_RATE = 100;

export class Poisson extends Distribution {
  readonly rate: Tensor;

  constructor(rate: TensorLike, options: DistributionOptions = {}) {
    const r = param('Poisson', 'rate', rate);
    super('Poisson', r.shape, [], options);
    this.rate = r;
    if (this.validate) checkValues('Poisson', 'rate', r, req.positive);
  }

  get support(): Constraint {
    return nonNegativeInteger;
  }

  get params(): { rate: Tensor } {
    return { rate: this.rate };
  }

  _withParams(p: { [name: string]: PyTree }, validate: boolean): Poisson {
    return new Poisson(p.rate as Tensor, { validate });
  }

  protected override _sample(key: PRNGKey, shape: Shape): Tensor {
    return poisson(key, this.rate.primal(), shape);
  }

  protected _logProb(x: Tensor): Tensor {
    const r = this.rate;
    return masked(nonNegativeInteger.check(x), x.primal(), 0, (k) => sub(sub(xlogy(k, r), r), lgamma(add(k, 1))));
  }

  /**
   * -Σ_k p_k log p_k. For rate <= 100 the sum runs over k <= rate + 12 sqrt(rate) + 30 (the
   * omitted tail mass is below e^-70); above, the asymptotic series
   * ½ log(2πeλ) - 1/(12λ) - 1/(24λ²) - 19/(360λ³) (error O(λ^-4) < 1e-8).
   */
  protected override _entropy(): Tensor {
    const lam = this.rate;
    const big = gt(lam, ENTROPY_SERIES_MAX_RATE);
    const small = where(big, ENTROPY_SERIES_MAX_RATE, lam);
    const large = where(big, lam, ENTROPY_SERIES_MAX_RATE);
    const m = lam.size === 0 ? 0 : max(small.primal()).item();
    const kmax = Math.ceil(m + 12 * Math.sqrt(m) + 30);
    const k = reshape(arange(kmax + 1), [kmax + 1, ...lam.shape.map(() => 1)]);
    const lp = sub(sub(xlogy(k, small), small), lgamma(add(k, 1)));
    const series = neg(sum(mul(exp(lp), lp), 0));
    const inv = div(1, large);
    const asym = sub(
      mul(log(mul(large, 2 * Math.PI * Math.E)), 0.5),
      add(add(mul(inv, 1 / 12), mul(mul(inv, inv), 1 / 24)), mul(mul(mul(inv, inv), inv), 19 / 360)),
    );
    return where(big, asym, series);
  }

  protected override _mean(): Tensor {
    return this.rate;
  }

  protected override _variance(): Tensor {
    return this.rate;
  }
}
