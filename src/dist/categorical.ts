/**
 * Categorical: an index k in {0, ..., K-1} with probability p_k, and OneHotCategorical: the same
 * choice as a one-hot vector of length K. Parameterized by `logits` (p = softmax(logits), logits
 * may be -Infinity for impossible categories) or by `probs` (non-negative, summing to 1 along the
 * last axis; they are renormalized exactly). Parameters have shape [..., K]; the batch shape is
 * [...]. Not reparameterized.
 */
import { fail } from '../errors.js';
import type { PyTree } from '../autodiff/tree.js';
import { arange, eye } from '../tensor/creation.js';
import {
  div,
  eq,
  exp,
  log,
  logSoftmax,
  mul,
  neg,
  oneHot,
  reshape,
  square,
  sub,
  sum,
  where,
} from '../tensor/ops/index.js';
import { shapeToString, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { categorical } from '../random/discrete.js';
import type { PRNGKey } from '../random/key.js';
import {
  checkSimplexRows,
  checkValues,
  formatIndex,
  integerInterval,
  oneHot as oneHotConstraint,
  req,
  type Constraint,
} from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { readLogitsOrProbs, type LogitsOrProbs } from './bernoulli.js';
import { plogp, safeLog } from './util.js';

/** Shared parameter handling of the two categorical families. */
function readCategoricalParams(
  dist: string,
  p: LogitsOrProbs,
  validate: boolean,
): { kind: 'logits' | 'probs'; value: Tensor } {
  const r = readLogitsOrProbs(dist, p);
  if (r.value.ndim < 1 || r.value.shape[r.value.ndim - 1] < 1) {
    fail(dist, `${r.kind} must have shape [..., K] with K >= 1 categories, got ${shapeToString(r.value.shape)}`);
  }
  if (validate) {
    if (r.kind === 'probs') {
      checkValues(dist, 'probs', r.value, req.probability);
      checkSimplexRows(dist, 'probs', r.value);
    } else {
      checkValues(dist, 'logits', r.value, req.logit);
      const d = r.value.dataSync();
      const k = r.value.shape[r.value.ndim - 1];
      for (let row = 0; row < d.length / k; row++) {
        let allNeg = true;
        for (let j = 0; j < k; j++) if (d[row * k + j] !== -Infinity) allNeg = false;
        if (allNeg) {
          const where = formatIndex(row, r.value.shape.slice(0, -1)).replace(' at index', ' for batch index');
          fail(dist, `logits must not all be -Infinity (no category would have positive probability)${where}`);
        }
      }
    }
  }
  return r;
}

/** Normalized log-probabilities, shape [..., K]. */
function normalizedLogProbs(kind: 'logits' | 'probs', value: Tensor): Tensor {
  if (kind === 'logits') return logSoftmax(value, -1);
  return sub(safeLog(value), log(sum(value, -1, true)));
}

export class Categorical extends Distribution {
  private readonly kind: 'logits' | 'probs';
  private readonly value: Tensor;
  /** Number of categories K. */
  readonly numCategories: number;

  constructor(p: LogitsOrProbs, options: DistributionOptions = {}) {
    const probe = readLogitsOrProbs('Categorical', p).value;
    super('Categorical', probe.ndim >= 1 ? probe.shape.slice(0, -1) : [], [], options);
    const r = readCategoricalParams('Categorical', p, this.validate);
    this.kind = r.kind;
    this.value = r.value;
    this.numCategories = r.value.shape[r.value.ndim - 1];
  }

  /** Normalized log-probabilities log p, shape batchShape ++ [K]. */
  get logits(): Tensor {
    return normalizedLogProbs(this.kind, this.value);
  }

  /** Probabilities, shape batchShape ++ [K]. */
  get probs(): Tensor {
    return this.kind === 'probs' ? div(this.value, sum(this.value, -1, true)) : exp(this.logits);
  }

  get support(): Constraint {
    return integerInterval(0, this.numCategories - 1);
  }

  get params(): { logits: Tensor } | { probs: Tensor } {
    return this.kind === 'logits' ? { logits: this.value } : { probs: this.value };
  }

  protected override get paramEventRanks(): { [name: string]: number } {
    return { logits: 1, probs: 1 };
  }

  _withParams(p: { [name: string]: PyTree }, validate: boolean): Categorical {
    return new Categorical((this.kind === 'logits' ? { logits: p.logits } : { probs: p.probs }) as LogitsOrProbs, {
      validate,
    });
  }

  protected override _sample(key: PRNGKey, shape: Shape): Tensor {
    return categorical(key, this.logits.primal(), { shape });
  }

  protected _logProb(x: Tensor): Tensor {
    const k = this.numCategories;
    const xv = x.primal();
    const inside = this.support.check(xv);
    const hot = oneHot(where(inside, xv, 0), k); // lead ++ [K], no gradient
    const lp = sum(where(hot, this.logits, 0), -1);
    return where(inside, lp, -Infinity);
  }

  /** The support 0..K-1 as a tensor of shape [K, 1, ..., 1] (one 1 per batch axis). */
  enumerateSupport(): Tensor {
    return reshape(arange(this.numCategories), [this.numCategories, ...this.batchShape.map(() => 1)]);
  }

  protected override _entropy(): Tensor {
    const lp = this.logits;
    return neg(sum(plogp(exp(lp), lp), -1));
  }

  /** Σ k p_k: the mean of the index (treated as a number). */
  protected override _mean(): Tensor {
    return sum(mul(this.probs, arange(this.numCategories)), -1);
  }

  /** Σ k² p_k - (Σ k p_k)²: the variance of the index. */
  protected override _variance(): Tensor {
    const p = this.probs;
    const ks = arange(this.numCategories);
    const m = sum(mul(p, ks), -1);
    return sub(sum(mul(p, square(ks)), -1), square(m));
  }
}

export class OneHotCategorical extends Distribution {
  private readonly kind: 'logits' | 'probs';
  private readonly value: Tensor;
  readonly numCategories: number;

  constructor(p: LogitsOrProbs, options: DistributionOptions = {}) {
    const probe = readLogitsOrProbs('OneHotCategorical', p).value;
    super(
      'OneHotCategorical',
      probe.ndim >= 1 ? probe.shape.slice(0, -1) : [],
      probe.ndim >= 1 ? probe.shape.slice(-1) : [],
      options,
    );
    const r = readCategoricalParams('OneHotCategorical', p, this.validate);
    this.kind = r.kind;
    this.value = r.value;
    this.numCategories = r.value.shape[r.value.ndim - 1];
  }

  get logits(): Tensor {
    return normalizedLogProbs(this.kind, this.value);
  }

  get probs(): Tensor {
    return exp(this.logits);
  }

  get support(): Constraint {
    return oneHotConstraint;
  }

  get params(): { logits: Tensor } | { probs: Tensor } {
    return this.kind === 'logits' ? { logits: this.value } : { probs: this.value };
  }

  protected override get paramEventRanks(): { [name: string]: number } {
    return { logits: 1, probs: 1 };
  }

  _withParams(p: { [name: string]: PyTree }, validate: boolean): OneHotCategorical {
    return new OneHotCategorical(
      (this.kind === 'logits' ? { logits: p.logits } : { probs: p.probs }) as LogitsOrProbs,
      { validate },
    );
  }

  /** The equivalent Categorical (same parameters). */
  toCategorical(): Categorical {
    return new Categorical((this.kind === 'logits' ? { logits: this.value } : { probs: this.value }) as LogitsOrProbs, {
      validate: false,
    });
  }

  protected override _sample(key: PRNGKey, shape: Shape): Tensor {
    const idx = categorical(key, this.logits.primal(), { shape: shape.slice(0, -1) });
    return oneHot(idx, this.numCategories);
  }

  protected _logProb(x: Tensor): Tensor {
    const xv = x.primal();
    const inside = oneHotConstraint.check(xv);
    const lp = sum(where(eq(xv, 1), this.logits, 0), -1);
    return where(inside, lp, -Infinity);
  }

  /** The K one-hot vectors, shape [K, 1, ..., 1, K]. */
  enumerateSupport(): Tensor {
    const k = this.numCategories;
    return reshape(eye(k), [k, ...this.batchShape.map(() => 1), k]);
  }

  protected override _entropy(): Tensor {
    const lp = this.logits;
    return neg(sum(plogp(exp(lp), lp), -1));
  }

  protected override _mean(): Tensor {
    return this.probs;
  }

  protected override _variance(): Tensor {
    const p = this.probs;
    return mul(p, sub(1, p));
  }
}
