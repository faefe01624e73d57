/**
 * Independent(base, n): reinterpret the last `n` batch axes of `base` as event axes. The log
 * density sums over them, so a batch of d independent Normals becomes one distribution over
 * d-vectors (a diagonal Gaussian): `new Normal(mu, sigma).toEvent(1)`. Sampling, noise, mean and
 * variance are the base's; entropy sums over the reinterpreted axes.
 */
import { fail } from '../errors.js';
import type { PyTree } from '../autodiff/tree.js';
import { sum } from '../tensor/ops/index.js';
import { shapeToString, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { PRNGKey } from '../random/key.js';
import { independent, type Constraint } from './constraints.js';
import { _hooks, Distribution, type DistributionOptions } from './distribution.js';

function lastAxes(n: number): number[] {
  return Array.from({ length: n }, (_, i) => -1 - i);
}

export class Independent extends Distribution {
  readonly base: Distribution;
  /** Number of base batch axes reinterpreted as event axes. */
  readonly reinterpretedBatchNdims: number;

  constructor(base: Distribution, reinterpretedBatchNdims = 1, options: DistributionOptions = {}) {
    if (!(base instanceof Distribution)) fail('Independent', `base must be a Distribution, got ${base === null ? 'null' : typeof base}`);
    const n = reinterpretedBatchNdims;
    const b = base.batchShape;
    if (!Number.isInteger(n) || n < 0 || n > b.length) {
      fail('Independent', `reinterpretedBatchNdims must be an integer in [0, ${b.length}] for a base of batch shape ${shapeToString(b)}, got ${n}`);
    }
    super('Independent', b.slice(0, b.length - n), [...b.slice(b.length - n), ...base.eventShape], { validate: options.validate ?? base.validate });
    this.base = base;
    this.reinterpretedBatchNdims = n;
  }

  get support(): Constraint {
    return independent(this.base.support, this.reinterpretedBatchNdims);
  }

  override get hasRsample(): boolean {
    return this.base.hasRsample;
  }

  protected override get rsampleHint(): string {
    return `${this.base.name} (inside Independent) has no reparameterized sampler; draw with sample() and use a score-function estimator instead (ELBO-SF / REINFORCE with a baseline, VIMCO, VIMCO-★ or VRS)`;
  }

  get params(): { [name: string]: PyTree } {
    return this.base.params;
  }

  _withParams(p: { [name: string]: PyTree }, validate: boolean): Independent {
    return new Independent(this.base._withParams(p, validate), this.reinterpretedBatchNdims, { validate });
  }

  protected override _expand(batchShape: Shape): Distribution {
    const b = this.base.batchShape;
    const n = this.reinterpretedBatchNdims;
    return new Independent(this.base.expand([...batchShape, ...b.slice(b.length - n)]), n, { validate: false });
  }

  override get noiseShapeSuffix(): Shape {
    return this.base.noiseShapeSuffix;
  }

  private sampleShapeOf(shape: Shape): Shape {
    return shape.slice(0, shape.length - this.batchShape.length - this.eventShape.length);
  }

  protected override _sample(key: PRNGKey, shape: Shape): Tensor {
    return this.base.sample(key, this.sampleShapeOf(shape));
  }

  protected override _noise(key: PRNGKey, shape: Shape): Tensor {
    return this.base.rsampleWithNoise(key, this.sampleShapeOf(shape)).noise;
  }

  protected override _fromNoise(noise: Tensor): Tensor {
    return this.base.fromNoise(noise);
  }

  protected _logProb(x: Tensor): Tensor {
    return sum(this.base.logProb(x), lastAxes(this.reinterpretedBatchNdims));
  }

  protected override _entropy(): Tensor {
    return sum(this.base.entropy(), lastAxes(this.reinterpretedBatchNdims));
  }

  protected override _mean(): Tensor {
    return this.base.mean;
  }

  protected override _variance(): Tensor {
    return this.base.variance;
  }

  override toString(): string {
    return `Independent(${this.base.toString()}, ${this.reinterpretedBatchNdims})`;
  }
}

_hooks.independent = (base, n) => new Independent(base, n);
