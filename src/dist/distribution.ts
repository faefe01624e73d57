/**
 * Distribution: the base class of every probability distribution in Sieve.
 *
 * A distribution is an immutable value built from parameter tensors. Build it inside the function
 * you differentiate (or from traced tensors) and gradients flow to its parameters through
 * `logProb`, `rsample`, `entropy`, `mean`, `variance` and `kl`.
 *
 * Shapes follow TFP and NumPyro. A distribution has a batch shape (independent, not necessarily
 * identical distributions) and an event shape (the shape of one draw: [] for scalars, [d] for a
 * d-dimensional MultivariateNormal or Dirichlet). Then
 *
 *   sample(key, sampleShape)       -> sampleShape ++ batchShape ++ eventShape
 *   logProb(x), x of shape S ++ eventShape -> broadcast(S, batchShape)
 *   entropy()                       -> batchShape
 *   mean, variance                  -> batchShape ++ eventShape
 *
 * `logProb` broadcasts: the part of x's shape before the event shape may be any shape that
 * broadcasts with the batch shape (NumPy rules), so one value can be scored under a batch of
 * distributions, or a stack of samples under one distribution. Values outside the support get
 * -Infinity (never NaN); a NaN value gives NaN.
 *
 * Sampling:
 *   sample(key, shape)            no gradient path (works for every family);
 *   rsample(key, shape)           pathwise (reparameterized) sample, differentiable in the
 *                                 parameters, only where `hasRsample`;
 *   rsampleWithNoise(key, shape)  { value, noise }: the parameter-free noise the value was made
 *                                 from, with sampleShape as its leading axes;
 *   fromNoise(noise)              recomputes the value differentiably from stored noise (RVRS
 *                                 recomputes accepted samples this way).
 * For families with `hasRsample`, `sample(key, s)` equals `rsample(key, s)` without its gradient.
 *
 * Parameters are validated on construction (invalid values throw a SieveError naming the
 * distribution, the parameter, the first offending value and its index). Pass
 * `{ validate: false }` to skip the checks, or change the default with `setDefaultValidation`.
 * Shape mismatches are always reported.
 */
import { fail } from '../errors.js';
import { stopGradient } from '../autodiff/custom.js';
import type { PyTree } from '../autodiff/tree.js';
import { asTensor } from '../tensor/creation.js';
import { exp, sqrt, sum } from '../tensor/ops/index.js';
import { broadcastShapes, checkShape, shapesEqual, shapeToString, type Shape } from '../tensor/shape.js';
import { Tensor, type TensorLike } from '../tensor/tensor.js';
import { checkKey, type PRNGKey } from '../random/key.js';
import { independent, type Constraint } from './constraints.js';
import { toShape } from './util.js';

export interface DistributionOptions {
  /** Check parameter values on construction (default: `getDefaultValidation()`, initially true). */
  validate?: boolean;
}

let defaultValidate = true;

/** Set whether distributions validate their parameters by default; returns the previous setting. */
export function setDefaultValidation(on: boolean): boolean {
  const prev = defaultValidate;
  defaultValidate = on;
  return prev;
}

export function getDefaultValidation(): boolean {
  return defaultValidate;
}

/** A pathwise sample and the noise it was computed from (`value = dist.fromNoise(noise)`). */
export interface NoisySample {
  readonly value: Tensor;
  readonly noise: Tensor;
}

export abstract class Distribution {
  /** The family name used in error messages ("Normal"). */
  readonly name: string;
  readonly batchShape: Shape;
  readonly eventShape: Shape;
  /** Whether this instance validated its parameters (and will validate `withParams`). */
  readonly validate: boolean;

  protected constructor(name: string, batchShape: Shape, eventShape: Shape, options: DistributionOptions = {}) {
    this.name = name;
    this.batchShape = Object.freeze(batchShape.slice());
    this.eventShape = Object.freeze(eventShape.slice());
    this.validate = options.validate ?? defaultValidate;
  }

  /** The set of values with positive density or mass. */
  abstract get support(): Constraint;

  /** True if `rsample` (a pathwise, reparameterized sample) is available. */
  get hasRsample(): boolean {
    return false;
  }

  /** The parameters as a pytree of tensors (plain objects), e.g. `{ loc, scale }`. */
  abstract get params(): { [name: string]: PyTree };

  /**
   * @internal A distribution of the same family with new parameters (same structure as `params`).
   * Used by detach, expand and withParams.
   */
  abstract _withParams(params: { [name: string]: PyTree }, validate: boolean): Distribution;

  /** Number of trailing parameter axes that are not batch axes, per parameter (default 0). */
  protected get paramEventRanks(): { [name: string]: number } {
    return {};
  }

  protected abstract _logProb(x: Tensor): Tensor;

  get eventRank(): number {
    return this.eventShape.length;
  }

  /** sampleShape ++ batchShape ++ eventShape. */
  shape(sampleShape: Shape = []): number[] {
    return [...sampleShape, ...this.batchShape, ...this.eventShape];
  }

  // ---- sampling ---------------------------------------------------------------------------

  private checkSampleArgs(op: string, key: PRNGKey, sampleShape: Shape): number[] {
    checkKey(op, key);
    if (!Array.isArray(sampleShape))
      fail(op, `sampleShape must be an array of non-negative integers, got ${String(sampleShape)}`);
    checkShape(op, sampleShape);
    return this.shape(sampleShape);
  }

  /** A sample of shape sampleShape ++ batchShape ++ eventShape, with no gradient path. */
  sample(key: PRNGKey, sampleShape: Shape = []): Tensor {
    const shape = this.checkSampleArgs(`${this.name}.sample`, key, sampleShape);
    return stopGradient(this._sample(key, shape));
  }

  /** Draw a (non-differentiable) sample of the full shape. Default: the pathwise sample's value. */
  protected _sample(key: PRNGKey, shape: Shape): Tensor {
    if (!this.hasRsample) fail(`${this.name}.sample`, 'not implemented');
    return this._fromNoise(this._noise(key, shape));
  }

  /** Why there is no rsample, and what to do instead. */
  protected get rsampleHint(): string {
    return (
      `${this.name} has no reparameterized sampler (its samples are discrete, so there is no pathwise gradient); ` +
      'draw with sample() and use a score-function estimator instead (ELBO-SF / REINFORCE with a baseline, VIMCO, ' +
      'VIMCO-★ or VRS)'
    );
  }

  /** A pathwise sample: differentiable in the parameters. Only where `hasRsample`. */
  rsample(key: PRNGKey, sampleShape: Shape = []): Tensor {
    if (!this.hasRsample) fail(`${this.name}.rsample`, this.rsampleHint);
    return this.rsampleWithNoise(key, sampleShape).value;
  }

  /** A pathwise sample and the noise it was computed from; `fromNoise(noise)` recomputes the value. */
  rsampleWithNoise(key: PRNGKey, sampleShape: Shape = []): NoisySample {
    if (!this.hasRsample) fail(`${this.name}.rsampleWithNoise`, this.rsampleHint);
    const shape = this.checkSampleArgs(`${this.name}.rsampleWithNoise`, key, sampleShape);
    const noise = this._noise(key, shape);
    return { value: this._fromNoise(noise), noise };
  }

  /** The trailing shape that noise must have: batchShape ++ eventShape, plus any extra noise axes. */
  get noiseShapeSuffix(): Shape {
    return [...this.batchShape, ...this.eventShape];
  }

  /**
   * The pathwise sample for stored noise (from `rsampleWithNoise`), differentiable in the
   * parameters. The noise's leading axes are sample axes; the rest must be `noiseShapeSuffix`.
   */
  fromNoise(noise: Tensor): Tensor {
    this.checkNoise(`${this.name}.fromNoise`, noise);
    return this._fromNoise(stopGradient(noise));
  }

  /** Throw unless `noise` is a Tensor whose trailing shape is `noiseShapeSuffix`. */
  protected checkNoise(op: string, noise: unknown): asserts noise is Tensor {
    if (!this.hasRsample) fail(op, this.rsampleHint);
    if (!(noise instanceof Tensor)) fail(op, `noise must be a Tensor, got ${noise === null ? 'null' : typeof noise}`);
    const suffix = this.noiseShapeSuffix;
    if (noise.ndim < suffix.length || !shapesEqual(noise.shape.slice(noise.ndim - suffix.length), suffix)) {
      fail(
        op,
        `noise of shape ${shapeToString(noise.shape)} must end with ${shapeToString(suffix)} (batch shape ++ event ` +
          `shape${suffix.length > this.batchShape.length + this.eventRank ? ' ++ noise axes' : ''})`,
      );
    }
  }

  /** Parameter-free noise of the full sample shape (plus extra noise axes). */
  protected _noise(_key: PRNGKey, _shape: Shape): Tensor {
    return fail(`${this.name}.rsample`, this.rsampleHint);
  }

  /** The value for noise (differentiable in the parameters). */
  protected _fromNoise(_noise: Tensor): Tensor {
    return fail(`${this.name}.rsample`, this.rsampleHint);
  }

  // ---- densities and moments --------------------------------------------------------------

  /**
   * Log density (continuous) or log mass (discrete) of x, whose shape must end with the event
   * shape; the rest broadcasts with the batch shape. -Infinity outside the support.
   * Differentiable in the parameters, and in x for continuous families.
   */
  logProb(value: TensorLike): Tensor {
    const op = `${this.name}.logProb`;
    const x = asTensor(value);
    const er = this.eventRank;
    if (x.ndim < er || !shapesEqual(x.shape.slice(x.ndim - er), this.eventShape)) {
      fail(
        op,
        `value of shape ${shapeToString(x.shape)} must end with the event shape ${shapeToString(this.eventShape)}`,
      );
    }
    const lead = x.shape.slice(0, x.ndim - er);
    let out: number[];
    try {
      out = broadcastShapes(op, lead, this.batchShape);
    } catch {
      return fail(
        op,
        `value of shape ${shapeToString(x.shape)} does not broadcast with the batch shape ` +
          `${shapeToString(this.batchShape)} (event shape ${shapeToString(this.eventShape)})`,
      );
    }
    return toShape(this._logProb(x), out);
  }

  /** exp(logProb(x)). */
  prob(value: TensorLike): Tensor {
    return exp(this.logProb(value));
  }

  /** Entropy (in nats), shape batchShape. */
  entropy(): Tensor {
    return toShape(this._entropy(), this.batchShape);
  }

  protected _entropy(): Tensor {
    return fail(
      `${this.name}.entropy`,
      'not available in closed form (estimate it by Monte Carlo: -mean(logProb(sample(key, [n]))))',
    );
  }

  /** Mean, shape batchShape ++ eventShape. */
  get mean(): Tensor {
    return toShape(this._mean(), this.shape());
  }

  protected _mean(): Tensor {
    return fail(`${this.name}.mean`, 'not available in closed form');
  }

  /** Variance (elementwise, of each event coordinate), shape batchShape ++ eventShape. */
  get variance(): Tensor {
    return toShape(this._variance(), this.shape());
  }

  protected _variance(): Tensor {
    return fail(`${this.name}.variance`, 'not available in closed form');
  }

  /** Square root of the variance. */
  get stddev(): Tensor {
    return sqrt(this.variance);
  }

  // ---- transformations --------------------------------------------------------------------

  /** The same family with new parameters (same structure as `params`), validated as this one was. */
  withParams(params: { [name: string]: PyTree }): this {
    return this._withParams(params, this.validate) as this;
  }

  /**
   * The same distribution with stop-gradient on every parameter: its logProb and samples carry
   * gradients only through the value, never to the parameters (sticking-the-landing, DReG, RVRS).
   */
  detach(): this {
    return this._withParams(stopGradient(this.params), false) as this;
  }

  /**
   * The distribution broadcast to a larger batch shape (the current batch shape must broadcast
   * to it). Parameters are broadcast, so gradients flow back to the originals.
   */
  expand(batchShape: Shape): Distribution {
    const op = `${this.name}.expand`;
    if (!Array.isArray(batchShape))
      fail(op, `batchShape must be an array of non-negative integers, got ${String(batchShape)}`);
    checkShape(op, batchShape);
    let b: number[] | null = null;
    try {
      b = broadcastShapes(op, this.batchShape, batchShape);
    } catch {
      b = null;
    }
    if (b === null || !shapesEqual(b, batchShape)) {
      fail(op, `cannot expand batch shape ${shapeToString(this.batchShape)} to ${shapeToString(batchShape)}`);
    }
    if (shapesEqual(batchShape, this.batchShape)) return this;
    return this._expand(batchShape);
  }

  /** Default expand: broadcast each parameter to batchShape ++ (its trailing non-batch axes). */
  protected _expand(batchShape: Shape): Distribution {
    const ranks = this.paramEventRanks;
    const out: { [name: string]: PyTree } = {};
    for (const [k, v] of Object.entries(this.params)) {
      if (!(v instanceof Tensor)) fail(`${this.name}.expand`, `parameter ${k} is not a tensor; override _expand`);
      const r = ranks[k] ?? 0;
      out[k] = toShape(v, [...batchShape, ...v.shape.slice(v.ndim - r)]);
    }
    return this._withParams(out, false);
  }

  /**
   * Reinterpret the last `n` batch axes as event axes: an Independent distribution whose
   * logProb sums over them (a diagonal Normal over vectors is `new Normal(mu, sigma).toEvent(1)`).
   */
  toEvent(n = 1): Independent {
    return new Independent(this, n);
  }

  toString(): string {
    return `${this.name}(batchShape=${shapeToString(this.batchShape)}, eventShape=${shapeToString(this.eventShape)})`;
  }
}

/** The axes -1, -2, ..., -n. */
function lastAxes(n: number): number[] {
  return Array.from({ length: n }, (_, i) => -1 - i);
}

/**
 * Independent(base, n): reinterpret the last `n` batch axes of `base` as event axes. The log
 * density sums over them, so a batch of d independent Normals becomes one distribution over
 * d-vectors (a diagonal Gaussian): `new Normal(mu, sigma).toEvent(1)`. Sampling, noise, mean and
 * variance are the base's; entropy sums over the reinterpreted axes.
 *
 * It lives in this file, not its own, because Distribution.toEvent constructs it: in a separate module it would need
 * an import cycle (the subclass needs the base at load time) or a registration done as a side effect of importing,
 * which bundlers drop under "sideEffects": false.
 */
export class Independent extends Distribution {
  readonly base: Distribution;
  /** Number of base batch axes reinterpreted as event axes. */
  readonly reinterpretedBatchNdims: number;

  constructor(base: Distribution, reinterpretedBatchNdims = 1, options: DistributionOptions = {}) {
    if (!(base instanceof Distribution)) {
      fail('Independent', `base must be a Distribution, got ${base === null ? 'null' : typeof base}`);
    }
    const n = reinterpretedBatchNdims;
    const b = base.batchShape;
    if (!Number.isInteger(n) || n < 0 || n > b.length) {
      fail(
        'Independent',
        `reinterpretedBatchNdims must be an integer in [0, ${b.length}] for a base of batch shape ` +
          `${shapeToString(b)}, got ${n}`,
      );
    }
    super('Independent', b.slice(0, b.length - n), [...b.slice(b.length - n), ...base.eventShape], {
      validate: options.validate ?? base.validate,
    });
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
    return (
      `${this.base.name} (inside Independent) has no reparameterized sampler; draw with sample() and use a ` +
      'score-function estimator instead (ELBO-SF / REINFORCE with a baseline, VIMCO, VIMCO-★ or VRS)'
    );
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

/** Convert a TensorLike parameter to a tensor, reporting non-tensors clearly. */
export function param(dist: string, name: string, value: unknown): Tensor {
  if (value instanceof Tensor) return value;
  if (typeof value === 'number') return asTensor(value);
  return fail(
    dist,
    `${name} must be a Tensor or a number, got ` +
      `${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
  );
}
