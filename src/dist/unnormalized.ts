/**
 * UnnormalizedDensity: a target known only up to a constant, log p̃(x) = logDensity(x, params).
 *
 * Estimators need the target p only through its log density (ELBO, IWAE, VRS and RVRS all use
 * log p(x, z) up to log p(x)), so a target can be any function of tensors. Wrapping it gives it
 * the common interface: batch and event shapes, a support (values outside get -Infinity), `params`
 * (a pytree of tensors that gradients flow to) and `detach()` (stop-gradient on those params).
 * It cannot be sampled, and has no entropy, mean or variance.
 *
 *   // The truncated Poisson target of the VRS diagnostic: Poisson(10) with the mass on z < 5
 *   // replaced by a negligible constant ε (log ε = -100), unnormalized.
 *   const target = new UnnormalizedDensity(
 *     (z, { rate }) => where(ge(z, 5), new Poisson(rate).logProb(z), -100),
 *     { rate: scalar(10) },
 *     { support: constraints.nonNegativeInteger },
 *   );
 */
import type { PyTree } from '../autodiff/tree.js';
import { where } from '../tensor/ops/index.js';
import { checkShape, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { PRNGKey } from '../random/key.js';
import { real, type Constraint } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { fail } from '../errors.js';

export interface UnnormalizedOptions extends DistributionOptions {
  /** Batch shape of the result of logDensity for one event (default []). */
  batchShape?: Shape;
  /** Shape of one value (default []). */
  eventShape?: Shape;
  /** The support (default real); values outside get -Infinity without calling logDensity's value. */
  support?: Constraint;
  /** Name used in error messages (default "UnnormalizedDensity"). */
  name?: string;
}

export class UnnormalizedDensity<P extends PyTree = PyTree> extends Distribution {
  readonly logDensity: (x: Tensor, params: P) => Tensor;
  readonly parameters: P;
  private readonly options: UnnormalizedOptions;
  /** Always false: logProb is log p̃, off from the normalized log density by a constant. */
  readonly normalized = false;

  constructor(logDensity: (x: Tensor, params: P) => Tensor, params: P, options: UnnormalizedOptions = {}) {
    const name = options.name ?? 'UnnormalizedDensity';
    if (typeof logDensity !== 'function')
      fail(name, `logDensity must be a function (x, params) => Tensor, got ${typeof logDensity}`);
    const batchShape = options.batchShape ?? [];
    const eventShape = options.eventShape ?? [];
    checkShape(name, batchShape);
    checkShape(name, eventShape);
    super(name, batchShape, eventShape, options);
    this.logDensity = logDensity;
    this.parameters = params;
    this.options = options;
  }

  get support(): Constraint {
    return this.options.support ?? real;
  }

  get params(): { params: PyTree } {
    return { params: this.parameters };
  }

  _withParams(p: { [name: string]: PyTree }, validate: boolean): UnnormalizedDensity<P> {
    return new UnnormalizedDensity(this.logDensity, p.params as P, { ...this.options, validate });
  }

  protected override _expand(batchShape: Shape): Distribution {
    return new UnnormalizedDensity(this.logDensity, this.parameters, { ...this.options, batchShape });
  }

  protected override get rsampleHint(): string {
    return (
      `${this.name} is an unnormalized density: it cannot be sampled; use it as the target p of an estimator ` +
      `(or sample it by MCMC or rejection)`
    );
  }

  protected override _sample(_key: PRNGKey, _shape: Shape): Tensor {
    return fail(`${this.name}.sample`, this.rsampleHint);
  }

  protected _logProb(x: Tensor): Tensor {
    const lp = this.logDensity(x, this.parameters);
    if (this.options.support === undefined) return lp;
    return where(this.options.support.check(x), lp, -Infinity);
  }
}
