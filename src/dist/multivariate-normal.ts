/**
 * MultivariateNormal(loc, scaleTril): the d-dimensional Gaussian with mean `loc` [..., d] and
 * covariance L Lᵀ, L = `scaleTril` [..., d, d] lower-triangular with a positive diagonal.
 * `MultivariateNormal.fromCovariance(loc, covariance)` takes a covariance and factors it by a
 * (differentiable) Cholesky decomposition. Event shape [d]; batch shape is the broadcast of
 * loc's and scaleTril's leading axes.
 *
 * Reparameterized: value = loc + L ε, ε ~ N(0, I_d) is the noise. logProb uses a triangular solve
 * (no matrix inverse): log p(x) = -½ |L⁻¹(x - loc)|² - Σ log L_ii - (d/2) log 2π.
 */
import { fail, SieveError } from '../errors.js';
import type { PyTree } from '../autodiff/tree.js';
import {
  add,
  cholesky,
  diagonal,
  expandDims,
  isFinite as isFiniteMask,
  log,
  matmul,
  matrixTranspose,
  min,
  mul,
  square,
  squeeze,
  sub,
  sum,
  triangularSolve,
  where,
} from '../tensor/ops/index.js';
import { broadcastShapes, shapeToString, type Shape } from '../tensor/shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { normal } from '../random/continuous.js';
import type { PRNGKey } from '../random/key.js';
import {
  checkLowerCholesky,
  checkValues,
  formatIndex,
  formatValue,
  realVector,
  req,
  type Constraint,
} from './constraints.js';
import { Distribution, getDefaultValidation, param, type DistributionOptions } from './distribution.js';
import { HALF_LOG_2PI } from './normal.js';

const NAME = 'MultivariateNormal';

function batchOf(loc: Tensor, scaleTril: Tensor): number[] {
  if (loc.ndim < 1) fail(NAME, `loc must have shape [..., d], got ${shapeToString(loc.shape)}`);
  if (scaleTril.ndim < 2 || scaleTril.shape[scaleTril.ndim - 1] !== scaleTril.shape[scaleTril.ndim - 2]) {
    fail(NAME, `scaleTril must have shape [..., d, d], got ${shapeToString(scaleTril.shape)}`);
  }
  const d = loc.shape[loc.ndim - 1];
  if (scaleTril.shape[scaleTril.ndim - 1] !== d) {
    fail(
      NAME,
      `loc has dimension ${d} but scaleTril is ` +
        `${scaleTril.shape[scaleTril.ndim - 1]}×${scaleTril.shape[scaleTril.ndim - 1]} (shapes ` +
        `${shapeToString(loc.shape)} and ${shapeToString(scaleTril.shape)})`,
    );
  }
  try {
    return broadcastShapes(NAME, loc.shape.slice(0, -1), scaleTril.shape.slice(0, -2));
  } catch {
    return fail(
      NAME,
      `batch shapes of loc ${shapeToString(loc.shape)} and scaleTril ${shapeToString(scaleTril.shape)} cannot be ` +
        `broadcast together`,
    );
  }
}

/** Σ log L_ii over the last axis: half the log-determinant of L Lᵀ. */
function halfLogDet(scaleTril: Tensor): Tensor {
  return sum(log(diagonal(scaleTril)), -1);
}

export class MultivariateNormal extends Distribution {
  readonly loc: Tensor;
  readonly scaleTril: Tensor;

  constructor(loc: TensorLike, scaleTril: TensorLike, options: DistributionOptions = {}) {
    const l = param(NAME, 'loc', loc);
    const s = param(NAME, 'scaleTril', scaleTril);
    super(NAME, batchOf(l, s), [l.shape[l.ndim - 1] ?? 0], options);
    this.loc = l;
    this.scaleTril = s;
    if (this.validate) {
      checkValues(NAME, 'loc', l, req.finite);
      checkLowerCholesky(NAME, 'scaleTril', s);
    }
  }

  /**
   * The MultivariateNormal with covariance `covariance` [..., d, d] (symmetric positive
   * definite), through its Cholesky factor; gradients flow to the covariance.
   */
  static fromCovariance(
    loc: TensorLike,
    covariance: TensorLike,
    options: DistributionOptions = {},
  ): MultivariateNormal {
    const c = param(NAME, 'covariance', covariance);
    if (c.ndim < 2 || c.shape[c.ndim - 1] !== c.shape[c.ndim - 2]) {
      fail(NAME, `covariance must have shape [..., d, d], got ${shapeToString(c.shape)}`);
    }
    const validate = options.validate ?? getDefaultValidation();
    if (validate) {
      checkValues(NAME, 'covariance', c, req.finite);
      const data = c.dataSync();
      const n = c.shape[c.ndim - 1];
      let scale = 0;
      for (let i = 0; i < data.length; i++) scale = Math.max(scale, Math.abs(data[i]));
      for (let i = 0; i < data.length; i++) {
        const base = i - (i % (n * n));
        const r = Math.floor((i % (n * n)) / n);
        const k = i % n;
        const j = base + k * n + r;
        if (Math.abs(data[i] - data[j]) > 1e-6 * scale) {
          fail(
            NAME,
            `covariance must be symmetric, got ${formatValue(data[i])}${formatIndex(i, c.shape)} but ` +
              `${formatValue(data[j])}${formatIndex(j, c.shape)}`,
          );
        }
      }
    }
    let l: Tensor;
    try {
      l = cholesky(c);
    } catch (e) {
      if (e instanceof SieveError && e.op === 'cholesky')
        fail(NAME, `covariance ${e.message.replace(/^cholesky: matrix /, '')}`);
      throw e;
    }
    return new MultivariateNormal(loc, l, { validate });
  }

  get support(): Constraint {
    return realVector;
  }

  override get hasRsample(): boolean {
    return true;
  }

  get params(): { loc: Tensor; scaleTril: Tensor } {
    return { loc: this.loc, scaleTril: this.scaleTril };
  }

  protected override get paramEventRanks(): { [name: string]: number } {
    return { loc: 1, scaleTril: 2 };
  }

  _withParams(p: { [name: string]: PyTree }, validate: boolean): MultivariateNormal {
    return new MultivariateNormal(p.loc as Tensor, p.scaleTril as Tensor, { validate });
  }

  /** The covariance L Lᵀ, shape batchShape ++ [d, d]. */
  get covariance(): Tensor {
    return matmul(this.scaleTril, matrixTranspose(this.scaleTril));
  }

  protected override _noise(key: PRNGKey, shape: Shape): Tensor {
    return normal(key, shape);
  }

  protected override _fromNoise(noise: Tensor): Tensor {
    return add(this.loc, squeeze(matmul(this.scaleTril, expandDims(noise, -1)), -1));
  }

  protected _logProb(x: Tensor): Tensor {
    const d = this.eventShape[0];
    const finite = min(isFiniteMask(x), -1); // a coordinate at ±Infinity has density 0
    const xs = where(expandDims(finite, -1), x, this.loc);
    const y = triangularSolve(this.scaleTril, expandDims(sub(xs, this.loc), -1));
    const maha = sum(square(y), [-2, -1]);
    const lp = sub(sub(mul(maha, -0.5), halfLogDet(this.scaleTril)), d * HALF_LOG_2PI);
    return where(finite, lp, -Infinity);
  }

  protected override _entropy(): Tensor {
    const d = this.eventShape[0];
    return add(halfLogDet(this.scaleTril), d * (0.5 + HALF_LOG_2PI));
  }

  protected override _mean(): Tensor {
    return this.loc;
  }

  protected override _variance(): Tensor {
    return sum(square(this.scaleTril), -1);
  }
}

/** KL(p || q) between two MultivariateNormals (same dimension), shape broadcast of the batch shapes. */
export function klMultivariateNormal(p: MultivariateNormal, q: MultivariateNormal): Tensor {
  const d = p.eventShape[0];
  const m = triangularSolve(q.scaleTril, p.scaleTril); // Lq⁻¹ Lp
  const trace = sum(square(m), [-2, -1]);
  const y = triangularSolve(q.scaleTril, expandDims(sub(q.loc, p.loc), -1));
  const maha = sum(square(y), [-2, -1]);
  return add(mul(sub(add(trace, maha), d), 0.5), sub(halfLogDet(q.scaleTril), halfLogDet(p.scaleTril)));
}
